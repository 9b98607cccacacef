"""A store that cannot be written fails with a clear error, leaves no partial shard, and the
rerun finishes once it is writable again."""

import os
import subprocess
import sys

from steplabel.storage import connect


def test_unwritable_store_then_rerun(tmp_path):
    # A file where a table folder should be: writes fail for root too (root ignores permissions).
    store = tmp_path / "store"
    store.mkdir()
    (store / "rollouts").write_text("not a folder")  # every write under it fails, even for root
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
    cmd = [sys.executable, "-m", "steplabel.cli", "run", "--no-prefect", "--store", str(store), "--limit", "10",
           "--samples", "2", "--run-id", "ro"]
    failed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert failed.returncode != 0
    assert failed.returncode == 1 and "cannot write to the store" in failed.stderr
    assert "rollouts" in failed.stderr and "Traceback" not in failed.stderr
    assert not list(store.rglob("*.tmp-*"))
    (store / "rollouts").unlink()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert connect(store).execute("SELECT count(*) FROM rollouts").fetchone()[0] == 20
