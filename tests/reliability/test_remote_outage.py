"""The S3 store goes away in the middle of a run: the run stops with a clear error naming what
it could not write (no traceback), and once the store is back the same command resumes and
ends with the store of an uninterrupted run."""

import asyncio
import os
import re
import subprocess
import sys
import time

import pytest

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest

s3fs = pytest.importorskip("s3fs")

CONFIG = """
[run]
run_id = "outage"
seed = 4
batch_size = 20
[problems]
limit = 60
[generate]
samples = 2
"""
SQL = {"rollouts": "SELECT rollout_id, text, correct FROM rollouts",
       "step_labels": "SELECT rollout_id, step_index, label, score, first_error, status FROM step_labels"}


def rows(store) -> dict:
    con = connect(store)
    return {k: sorted(con.execute(q).fetchall()) for k, q in SQL.items()}


def run(config, store: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "steplabel.cli", "run", str(config), "--no-prefect", "--store", store]
    return subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("after", ["rollouts", "step_labels"])  # the outage starts once this table has a shard
def test_a_store_outage_stops_the_run_cleanly_and_the_rerun_resumes(s3_server, tmp_path, after):
    config = tmp_path / "run.toml"
    config.write_text(CONFIG)
    reference = tmp_path / "reference"
    asyncio.run(run_direct(load_config(config, {"run.store": str(reference)})))

    store = f"s3://{s3_server.bucket}/store"
    fs = s3fs.S3FileSystem()
    proc = run(config, store)
    stopped = False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        fs.invalidate_cache()
        if fs.exists(f"{s3_server.bucket}/store/{after}"):
            s3_server.stop()
            stopped = True
            break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=300)
    assert stopped and proc.returncode == 1, err[-2000:]
    # Which botocore error it is depends on the moment (no connection, a closed one, a timeout).
    assert re.search(r"error: cannot (write to|read) the store.*Error", err.replace("\n", " ")), err[-2000:]
    assert "Traceback" not in err and "╭" not in err  # a message, not a (rich) traceback

    s3_server.start()
    again = run(config, store)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    assert "batch 0: rollouts already stored, resuming" in err  # what was written before the outage is kept
    fs.invalidate_cache()
    assert rows(store) == rows(reference)
    assert read_manifest(store, "outage").status == "completed"
