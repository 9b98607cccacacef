import asyncio
import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage.export import export, normalize_text, push
from steplabel.registry import export_format

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("export") / "store"
    cfg = load_config(None, {"run.store": str(root), "problems.limit": 20, "generate.samples": 2,
                             "label.mc.k": 4, "label.labelers": ["mc", "judge", "consensus"]})
    asyncio.run(run_direct(cfg))
    return root


def test_trl_export_loads_with_datasets_and_follows_the_conventions(store, tmp_path):
    import datasets

    result = export(store, tmp_path / "trl", export_format("trl"))
    assert result.labeler == "consensus" and result.rows == result.counts["exported"] > 0
    assert result.counts["rejected"] > 0  # rejected rollouts were left out
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "trl" / "data"), split="train")
    assert ds.features["completions"].feature.dtype == "string" and ds.features["labels"].feature.dtype == "bool"
    assert len(ds) == result.rows
    for row in ds:
        assert len(row["completions"]) == len(row["labels"]) > 0
        # up to and including the first error: at most one False, and only at the end
        assert row["labels"][:-1] == [True] * (len(row["labels"]) - 1)


def test_soft_and_processbench_forms(store, tmp_path):
    import datasets

    soft = export(store, tmp_path / "soft", export_format("soft"), labeler="mc")
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "soft" / "data"), split="train")
    assert "scores" in ds.features and all(len(r["scores"]) == len(r["labels"]) for r in ds)
    assert (tmp_path / "soft" / "score_distribution.png").exists()
    pb = export(store, tmp_path / "pb", export_format("processbench"), labeler="mc")
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "pb" / "data"), split="train")
    assert set(ds.features) == {"problem", "steps", "label"} and len(ds) == pb.rows
    assert all(-1 <= r["label"] < len(r["steps"]) for r in ds)


def test_card_parses_back_with_provenance_and_no_secrets(store, tmp_path, monkeypatch):
    from huggingface_hub import DatasetCard

    monkeypatch.setenv("OPENAI_API_KEY", "sk-PLANTED-999")
    export(store, tmp_path / "card", export_format("trl"))
    card = DatasetCard.load(tmp_path / "card" / "README.md")
    assert card.data.license == "apache-2.0" and "process-reward-model" in card.data.tags
    assert card.data.configs[0]["data_files"][0]["path"] == "data/train-*"
    assert "code_revision" in card.text and "simulated-critic" in card.text
    assert "sk-PLANTED-999" not in (tmp_path / "card" / "README.md").read_text()


def test_contamination_guard(store, tmp_path):
    from steplabel.storage.catalog import connect

    questions = [q for (q,) in connect(store).execute("SELECT question FROM problems LIMIT 3").fetchall()]
    evalset = tmp_path / "eval.jsonl"
    evalset.write_text("\n".join(json.dumps({"problem": "  " + q.upper() + " "}) for q in questions))
    full = export(store, tmp_path / "a", export_format("processbench"), labeler="mc")
    guarded = export(store, tmp_path / "b", export_format("processbench"), labeler="mc", exclude_file=evalset)
    assert guarded.counts["excluded_contaminated"] > 0
    assert guarded.rows == full.rows - guarded.counts["excluded_contaminated"]
    assert normalize_text("Ava has 3 apples!") == normalize_text("ava  has 3 APPLES")


def test_push_adds_shards_and_replaces_the_card(store, tmp_path):
    class FakeHub:
        def __init__(self):
            self.files = {"data/train-00000-of-00001-old.parquet": b"old"}

        def create_repo(self, repo_id, repo_type, exist_ok):
            assert repo_type == "dataset" and exist_ok

        def create_commit(self, repo_id, repo_type, operations, commit_message):
            for op in operations:
                self.files[op.path_in_repo] = open(op.path_or_fileobj, "rb").read()

    hub = FakeHub()
    export(store, tmp_path / "p", export_format("trl"))
    push(tmp_path / "p", "org/steps", api=hub)
    push(tmp_path / "p", "org/steps", api=hub)
    shards = [f for f in hub.files if f.startswith("data/")]
    assert "data/train-00000-of-00001-old.parquet" in shards and len(shards) == 3  # nothing replaced
    assert "README.md" in hub.files


def test_export_cli(store, tmp_path):
    result = runner.invoke(app, ["export", "--format", "trl", "--out", str(tmp_path / "cli"), "--store", str(store)])
    assert result.exit_code == 0 and "exported" in result.output
    bad = runner.invoke(app, ["export", "--format", "xml", "--out", str(tmp_path / "x"), "--store", str(store)])
    assert bad.exit_code == 2 and "unknown export format" in bad.output


def test_trl_prm_tokenize_step_accepts_the_export(store, tmp_path, tiny_model):
    """TRL's own PRM preprocessing (trl 1.13, the last with PRMTrainer) on the export, with a
    tiny local tokenizer: every step gets its label on its last token."""
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    prm = pytest.importorskip("trl.experimental.prm")
    import datasets
    from transformers import AutoTokenizer

    export(store, tmp_path / "trl", export_format("trl"))
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "trl" / "data"), split="train")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    kwargs = {"tokenizer": tokenizer, "step_separator": "\n", "max_length": None, "max_completion_length": None,
              "train_on_last_step_only": False, "is_eval": False}
    for source in ds:
        row = prm.PRMTrainer.tokenize_row(source, **kwargs)
        labeled = [x for x in row["labels"] if x != -100]
        assert labeled == [int(x) for x in source["labels"]]
        assert len(row["input_ids"]) == len(row["labels"])


def test_export_rows_never_make_up_scores_or_correct_steps():
    def export_row(form, *args):
        return export_format(form).row(*args)

    steps = ["a", "b", "c"]
    soft = export_row("soft", "q", steps, [True, True, False], [0.75, None, 0.0], 2)
    assert soft["scores"] == [0.75, None, 0.0]  # no score stays null, not 1.0 from the label
    assert soft["labels"] == [True, True, False]
    # an unknown step before the first error (or in a "-1" rollout): not exported in any form
    for form in ("trl", "soft", "processbench"):
        assert export_row(form, "q", steps, [True, None, True], [1.0, None, 1.0], -1) is None
        assert export_row(form, "q", steps, [None, False, None], [None, 0.0, None], 1) is None
    assert export_row("processbench", "q", steps, [True, True, True], [None] * 3, -1)["label"] == -1


def test_min_confidence_export_and_card(store, tmp_path):
    everything = export(store, tmp_path / "all", export_format("trl"), labeler="mc")
    sure = export(store, tmp_path / "sure", export_format("trl"), labeler="mc", min_confidence=0.99)
    assert everything.counts["below_confidence"] == 0
    assert sure.rows + sure.counts["below_confidence"] == everything.rows
    assert all(c >= 0.99 for c in sure.counts["confidences"])
    card = (tmp_path / "sure" / "README.md").read_text()
    assert "mc estimator in run" in card and "`noise_aware`" in card and "label confidence" in card
    # Labelers without a posterior state no confidence: a threshold leaves them all out.
    judged = export(store, tmp_path / "judge", export_format("trl"), labeler="judge", min_confidence=0.5)
    assert judged.rows == 0 and judged.counts["below_confidence"] > 0
    cli = runner.invoke(app, ["export", "--store", str(store), "--out", str(tmp_path / "cli"), "--labeler", "mc",
                              "--min-confidence", "0.99"])
    assert cli.exit_code == 0 and "below confidence" in cli.stderr
