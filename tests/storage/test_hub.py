"""Pushing to the Hub replaces what was pushed for the same config/split, in one commit, and keeps
one card listing every config/split there (#15). The Hub is a fake HfApi over a dict of files."""

import asyncio
from types import SimpleNamespace

import pytest
from huggingface_hub import CommitOperationDelete, DatasetCard

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.registry import export_format
from steplabel.storage.export import export
from steplabel.storage.hub import glob_match, push

LEGACY_CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
---
an older steplabel card
"""


class FakeHub:
    """The part of ``HfApi`` that ``push`` uses; each commit bumps the head revision."""

    def __init__(self, tmp_path, files=None):
        self.tmp, self.files, self.commits, self.sha = tmp_path, dict(files or {}), [], "rev0"

    def create_repo(self, repo_id, repo_type, exist_ok):
        assert repo_type == "dataset" and exist_ok

    def repo_info(self, repo_id, repo_type):
        return SimpleNamespace(sha=self.sha)

    def list_repo_files(self, repo_id, repo_type, revision):
        assert revision == self.sha
        return list(self.files)

    def hf_hub_download(self, repo_id, filename, repo_type, revision):
        path = self.tmp / f"download-{len(self.commits)}-{filename}"
        path.write_bytes(self.files[filename])
        return str(path)

    def create_commit(self, repo_id, repo_type, operations, commit_message, parent_commit):
        assert parent_commit == self.sha  # a push that landed in between would make the Hub refuse this one
        for op in operations:
            if isinstance(op, CommitOperationDelete):
                del self.files[op.path_in_repo]
            else:
                with op.as_file() as f:
                    self.files[op.path_in_repo] = f.read()
        self.commits.append(commit_message)
        self.sha = f"rev{len(self.commits)}"

    def card(self):
        return DatasetCard(self.files["README.md"].decode())


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub") / "store"
    cfg = load_config(None, {"run.store": str(root), "problems.limit": 8, "generate.samples": 2,
                             "label.mc.k": 4, "label.labelers": ["mc"]})
    asyncio.run(run_direct(cfg))
    return root


def test_pushing_twice_leaves_one_set_of_files(store, tmp_path):
    hub = FakeHub(tmp_path, {"data/train-00000-of-00001-3f2a9c1b.parquet": b"old", "README.md": LEGACY_CARD.encode(),
                             "data/other/train-00000-of-00001.parquet": b"not ours"})
    export(store, tmp_path / "p", export_format("trl"), shard_rows=5)
    first = push(tmp_path / "p", "org/steps", api=hub)
    # what the old card listed for default/train (an older push's renamed shard) is replaced
    assert first.deleted == ["data/train-00000-of-00001-3f2a9c1b.parquet"]
    after_first = sorted(hub.files)
    export(store, tmp_path / "p", export_format("trl"), shard_rows=5, overwrite=True)
    push(tmp_path / "p", "org/steps", api=hub)
    assert sorted(hub.files) == after_first and len(hub.commits) == 2
    shards = sorted(f for f in hub.files if f.startswith("data/default/"))
    assert len(shards) > 1 and all(f.endswith(f"-of-{len(shards):05d}.parquet") for f in shards)
    assert "data/other/train-00000-of-00001.parquet" in hub.files  # not this config's: untouched
    # a smaller export next time: the shards it no longer has go, in the same commit
    export(store, tmp_path / "p", export_format("trl"), overwrite=True)
    third = push(tmp_path / "p", "org/steps", api=hub)
    assert sorted(f for f in hub.files if f.startswith("data/default/")) == ["data/default/train-00000-of-00001.parquet"]
    assert sorted(third.deleted) == shards and len(hub.commits) == 3  # "-of-N" changed: all replaced
    assert [c["config_name"] for c in hub.card().data.configs] == ["default"]


def test_the_card_lists_every_config_pushed(store, tmp_path):
    hub = FakeHub(tmp_path)
    export(store, tmp_path / "a", export_format("trl"))
    push(tmp_path / "a", "org/steps", api=hub)
    export(store, tmp_path / "b", export_format("openrlhf"), config_name="openrlhf", split="test")
    push(tmp_path / "b", "org/steps", api=hub)
    export(store, tmp_path / "a", export_format("soft"), overwrite=True)  # default/train again, as soft
    push(tmp_path / "a", "org/steps", api=hub)
    card = hub.card()
    configs = {c["config_name"]: c["data_files"] for c in card.data.configs}
    assert configs == {"default": [{"split": "train", "path": "data/default/train-*"}],
                       "openrlhf": [{"split": "test", "path": "data/openrlhf/test-*"}]}
    features = {i["config_name"]: [f["name"] for f in i["features"]] for i in card.data.dataset_info}
    assert "scores" in features["default"] and "value" in features["openrlhf"]
    assert card.text.count("## Config `default`, split `train`") == 1 and "Form `soft`" in card.text
    assert "## Config `openrlhf`, split `test`" in card.text and "Form `trl`" not in card.text
    assert sorted(f for f in hub.files if f.startswith("data/")) == [
        "data/default/train-00000-of-00001.parquet", "data/openrlhf/test-00000-of-00001.parquet"]
    assert "plots/default/train/score_distribution.png" in hub.files


def test_hub_patterns_stay_inside_their_folder():
    assert glob_match("data/default/train-00000-of-00001.parquet", "data/default/train-*")
    assert not glob_match("data/default/train-00000-of-00001.parquet", "data/train-*")
    assert not glob_match("data/default/training-00000-of-00001.parquet", "data/default/train-*")
    assert glob_match("plots/default/train/a.png", "plots/default/train/**")


def test_export_command_pushes_with_the_hub_api(store, tmp_path, monkeypatch):
    """The README's command, with ``HfApi`` replaced by the fake."""
    import huggingface_hub
    from typer.testing import CliRunner

    from steplabel.cli import app

    hub = FakeHub(tmp_path)
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda token=None: hub)
    args = ["export", "--format", "openrlhf", "--out", str(tmp_path / "export" / "openrlhf"), "--store", str(store),
            "--config-name", "openrlhf", "--push", "ORG/NAME"]
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(app, [*args, *extra])
        assert result.exit_code == 0 and "pushed" in result.output
    assert sorted(f for f in hub.files if f.startswith("data/")) == ["data/openrlhf/train-00000-of-00001.parquet"]
    assert len(hub.commits) == 2


def test_a_broad_pattern_never_takes_another_configs_files(store, tmp_path):
    card = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/**
- config_name: other
  data_files:
  - split: train
    path: data/other/*
---
"""
    hub = FakeHub(tmp_path, {"README.md": card.encode(), "data/old.parquet": b"old",
                             "data/other/train.parquet": b"other's"})
    export(store, tmp_path / "p", export_format("trl"))
    assert push(tmp_path / "p", "org/steps", api=hub).deleted == ["data/old.parquet"]
    assert "data/other/train.parquet" in hub.files
    assert [c["config_name"] for c in hub.card().data.configs] == ["default", "other"]
