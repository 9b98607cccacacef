"""Kill the run process with SIGKILL at several points (after a random number of shards), run the same command again: the store
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
from tests.processes import stop

TABLES = {
    "problems": "SELECT problem_id, question, reference_answer FROM problems",
    "rollouts": "SELECT rollout_id, text, correct, truth_first_error FROM rollouts",
    "steps": "SELECT rollout_id, step_index, text FROM steps",
    "step_labels": "SELECT rollout_id, step_index, labeler, label, score, first_error, status FROM step_labels",
}


def command(store: Path, runner: str = "threads") -> list[str]:
    how = ["--no-prefect"] if runner == "threads" else ["--task-runner", runner]
    return [sys.executable, "-m", "steplabel.cli", "run", *how, "--store", str(store),
            "--limit", "120", "--samples", "2", "--seed", "5", "--run-id", "crash",
            "--labelers", "mc,judge,consensus"]


def shards(store: Path) -> int:
    return sum(1 for _ in store.rglob("part-*.parquet")) if store.exists() else 0


def run(store: Path, kill_at_shards: int | None = None, runner: str = "threads") -> int:
    """Run to the end, or SIGKILL it as soon as the store holds ``kill_at_shards`` shards:
    kill points follow the run's progress, not the clock, so load on the machine does not
    move them past the end. The whole process group dies (workers and Prefect's server too),
    as when a job scheduler kills a job."""
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(store.parent / "state")}
    proc = subprocess.Popen(command(store, runner), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        if kill_at_shards is None:
            return proc.wait(300)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if shards(store) >= kill_at_shards:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        return proc.wait(30)
    finally:
        stop(proc)


def rows(store: Path) -> dict:
    con = connect(store)
    return {name: sorted(con.execute(sql).fetchall()) for name, sql in TABLES.items()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = tmp_path_factory.mktemp("reference") / "store"
    assert run(store) == 0
    return rows(store), shards(store)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_runs_resume_to_the_same_store(tmp_path, reference, seed):
    reference, total = reference
    store = tmp_path / "store"
    rng = random.Random(seed)
    kills = 0
    for _ in range(3):  # up to three kills at random points of the run, each after more progress
        if shards(store) >= total - 1:
            break
        code = run(store, kill_at_shards=rng.randint(shards(store) + 1, total - 1))
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


def test_a_killed_run_on_dask_workers_resumes_to_the_same_store(tmp_path, reference):
    pytest.importorskip("prefect_dask")
    reference, total = reference
    store = tmp_path / "store"
    assert run(store, kill_at_shards=total // 2, runner="dask") == -signal.SIGKILL
    assert 0 < shards(store) < total
    assert run(store, runner="dask") == 0
    assert rows(store) == reference
    manifest = read_manifest(store, "crash")
    assert manifest.status == "completed" and manifest.attempts == 2
