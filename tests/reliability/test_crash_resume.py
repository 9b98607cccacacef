"""Kill the run process with SIGKILL at several points, run the same command again: the store
ends equal to an uninterrupted run's — the same rows, no duplicates — and DuckDB never sees a
half-written shard."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steplabel.storage import connect, read_manifest

TABLES = {
    "problems": "SELECT problem_id, question, reference_answer FROM problems",
    "rollouts": "SELECT rollout_id, text, correct, truth_first_error FROM rollouts",
    "steps": "SELECT rollout_id, step_index, text FROM steps",
    "step_labels": "SELECT rollout_id, step_index, labeler, label, score, first_error, status FROM step_labels",
}


def command(store: Path) -> list[str]:
    return [sys.executable, "-m", "steplabel.flows.cli", "run", "--no-prefect", "--store", str(store),
            "--limit", "120", "--samples", "2", "--seed", "5", "--run-id", "crash",
            "--labelers", "mc,judge,consensus"]


def run(store: Path, kill_after: float | None = None) -> int:
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(store.parent / "state")}
    proc = subprocess.Popen(command(store), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return proc.wait(300)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(30)


def rows(store: Path) -> dict:
    con = connect(store)
    return {name: sorted(con.execute(sql).fetchall()) for name, sql in TABLES.items()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = tmp_path_factory.mktemp("reference") / "store"
    start = time.monotonic()
    assert run(store) == 0
    return rows(store), time.monotonic() - start


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_runs_resume_to_the_same_store(tmp_path, reference, seed):
    reference, duration = reference
    store = tmp_path / "store"
    rng = random.Random(seed)
    kills = 0
    for _ in range(3):  # three kills at random points of the run, each after some progress
        code = run(store, kill_after=rng.uniform(0.3, 0.9) * duration)
        kills += code == -signal.SIGKILL
        # whatever DuckDB can see now is whole shards: every query works
        for sql in TABLES.values():
            connect(store).execute(sql).fetchall()
    assert kills >= 1
    assert run(store) == 0
    assert rows(store) == reference
    for name, data in rows(store).items():
        assert len(data) == len(set(data)), f"duplicates in {name}"
    manifest = read_manifest(store, "crash")
    assert manifest.status == "completed" and manifest.attempts >= 2
    assert not list(store.rglob("*.tmp-*")) or all(p.name.startswith(".") for p in store.rglob("*.tmp-*"))
