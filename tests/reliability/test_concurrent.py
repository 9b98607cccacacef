"""Two runs writing to one store at once, with DuckDB reading while they write."""

import os
import subprocess
import sys
import time

from steplabel.storage import connect, list_manifests


def start(store, seed):
    cmd = [sys.executable, "-m", "steplabel.cli", "run", "--no-prefect", "--store", str(store),
           "--limit", "80", "--samples", "2", "--seed", str(seed), "--labelers", "mc,judge,consensus"]
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(store.parent / f"state-{seed}")}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_two_runs_and_readers_at_once(tmp_path):
    store = tmp_path / "store"
    runs = [start(store, 11), start(store, 12)]
    reads = 0
    while any(p.poll() is None for p in runs):
        # readers only ever see whole shards: every query succeeds while the runs write
        con = connect(store)
        for view in ("problems", "rollouts", "steps", "step_labels", "quarantine", "runs"):
            con.execute(f"SELECT count(*) FROM {view}").fetchone()
        con.close()
        reads += 1
        time.sleep(0.1)
    assert [p.wait() for p in runs] == [0, 0], [p.stderr.read()[-2000:] for p in runs]
    assert reads > 3
    manifests = list_manifests(store)
    assert len(manifests) == 2 and {m.status for m in manifests} == {"completed"}
    con = connect(store)
    per_run = dict(con.execute("SELECT run_id, count(*) FROM rollouts GROUP BY 1").fetchall())
    assert sorted(per_run.values()) == [160, 160]
    dupes = con.execute("SELECT count(*) FROM (SELECT rollout_id, step_index, labeler, count(*) c "
                        "FROM step_labels GROUP BY ALL HAVING c > 1)").fetchone()[0]
    assert dupes == 0
