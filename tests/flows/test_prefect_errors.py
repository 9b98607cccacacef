"""Issue 18: in Prefect mode a user's mistake prints the same single error line as
``--no-prefect`` (no traceback, no second copy of the error), and the flow run is Failed."""

import os
import subprocess
import sys

import pytest

from steplabel.storage.manifest import list_manifests


def _run(tmp_path, *args, prefect=True):
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "300"}
    env.pop("PREFECT_API_URL", None)
    flag = [] if prefect else ["--no-prefect"]
    return subprocess.run([sys.executable, "-m", "steplabel.cli", "run", *flag, "--limit", "2", "--samples", "1", *args],
                          env=env, capture_output=True, text=True, timeout=400)


def _error_lines(text):
    return [line for line in text.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("case", ["missing problems", "store is a file", "hf folder missing"])
def test_prefect_mode_prints_the_direct_error_line_once(tmp_path, case):
    (tmp_path / "storefile").write_text("")
    args = {"missing problems": ["--store", str(tmp_path / "s"), "--problems", str(tmp_path / "missing.jsonl")],
            "store is a file": ["--store", str(tmp_path / "storefile")],
            "hf folder missing": ["--store", str(tmp_path / "s"), "--problems", f"hf:{tmp_path / 'nohf'}"]}[case]
    direct = _run(tmp_path, *args, prefect=False)
    flowed = _run(tmp_path, *args)
    assert flowed.returncode == direct.returncode and direct.returncode in (1, 2), flowed.stderr[-2000:]
    assert len(_error_lines(direct.stderr)) == 1
    assert _error_lines(flowed.stderr) == _error_lines(direct.stderr)
    assert "Traceback" not in flowed.stderr and "Encountered exception" not in flowed.stderr
    assert "Finished in state Failed" in flowed.stderr  # the flow run is Failed
    if case == "missing problems":
        assert [m.status for m in list_manifests(tmp_path / "s")] == ["failed"]
