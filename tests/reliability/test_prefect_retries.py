"""Faults inside Prefect tasks: a task retry absorbs a transient one; a fault that outlasts the
retries fails the flow run, and running the flow again finishes the job from the store."""

import asyncio

import pytest

from steplabel.pipeline import stages
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest
from steplabel.storage.shards import Store

SMALL = {"problems.limit": 16, "run.batch_size": 8, "generate.samples": 2, "label.mc.k": 4,
         "label.labelers": ["mc", "judge", "consensus"]}
SQL = "SELECT rollout_id, labeler, step_index, label, score, first_error, status FROM step_labels ORDER BY 1, 2, 3"


class Faults:
    """Counts calls and raises on the ones listed."""

    def __init__(self, real, fail_calls, exc):
        self.real, self.fail_calls, self.exc, self.calls = real, set(fail_calls), exc, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls in self.fail_calls:
            raise self.exc
        return self.real(*args, **kwargs)


@pytest.fixture
def reference(tmp_path):
    cfg = load_config(None, {**SMALL, "run.store": str(tmp_path / "reference")})
    asyncio.run(run_direct(cfg))
    return connect(tmp_path / "reference").execute(SQL).fetchall(), read_manifest(tmp_path / "reference", cfg.run_id()).cost


def run_flow(cfg):
    from steplabel.flows.synthesize import synthesize

    return asyncio.run(synthesize(cfg.model_dump(), progress=False, return_state=True))


def test_task_retries_absorb_transient_faults(prefect_server, tmp_path, monkeypatch, reference):
    cfg = load_config(None, {**SMALL, "run.store": str(tmp_path / "store")})
    # The first shard write inside a store task fails (write 1 is the load quarantine, made
    # by the flow itself), and so does the first labeling of a batch (inside a label task).
    write = Faults(Store.write_arrow, {2}, OSError(5, "Input/output error"))
    label = Faults(stages.label_stage, {1}, RuntimeError("worker lost"))
    monkeypatch.setattr(Store, "write_arrow", lambda self, *a: write(self, *a))
    monkeypatch.setattr(stages, "label_stage", label)

    state = run_flow(cfg)
    assert state.is_completed(), state
    assert write.calls > 2 and label.calls > 1  # both faults fired and were retried
    assert connect(tmp_path / "store").execute(SQL).fetchall() == reference[0]
    assert read_manifest(tmp_path / "store", cfg.run_id()).attempts == 1


def test_a_failed_flow_run_finishes_when_run_again(prefect_server, tmp_path, monkeypatch, reference):
    cfg = load_config(None, {**SMALL, "run.store": str(tmp_path / "store")})
    # The judge fails on every attempt (its retries included) in the first flow run only.
    real = stages.label_stage

    async def broken_judge(tasks, name, *args, **kwargs):
        if name == "judge":
            raise RuntimeError("judge endpoint down")
        return await real(tasks, name, *args, **kwargs)

    monkeypatch.setattr(stages, "label_stage", broken_judge)
    failed = run_flow(cfg)
    assert failed.is_failed()
    manifest = read_manifest(tmp_path / "store", cfg.run_id())
    assert manifest.status == "failed" and "judge endpoint down" in manifest.error
    first = manifest.cost  # what the failed run spent before it stopped (batch 0: generate, mc)
    assert first["generate"]["requests"] > 0 and first["label:mc"]["requests"] > 0
    assert "label:judge" not in first

    monkeypatch.setattr(stages, "label_stage", real)
    again = run_flow(cfg)
    assert again.is_completed(), again
    manifest = read_manifest(tmp_path / "store", cfg.run_id())
    assert manifest.status == "completed" and manifest.attempts == 2
    # The rerun kept what was stored: batch 0's rollouts and MC labels were not made again,
    # so the two runs together spent what one clean run spends.
    rows, clean = reference
    for stage in ("generate", "label:mc"):
        assert first[stage]["requests"] + manifest.cost[stage]["requests"] == clean[stage]["requests"], stage
    assert manifest.cost["label:judge"]["requests"] == clean["label:judge"]["requests"]
    assert connect(tmp_path / "store").execute(SQL).fetchall() == rows
