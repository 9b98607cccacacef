"""The README's "Label your own rollouts" example runs as written and prints what it shows."""

import re
import shlex
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from steplabel.cli import app

ROOT = Path(__file__).resolve().parents[2]


def example() -> tuple[list[str], str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Label your own rollouts", 1)[1].split("\n## ", 1)[0]
    commands = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1).strip().splitlines()
    printed = re.search(r"```text\n(.*?)```", section, re.DOTALL).group(1)
    return commands, printed


def test_the_worked_example_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    commands, printed = example()
    assert [c.split()[1] for c in commands] == ["run", "query", "query", "export"]
    runner = CliRunner()
    queried = ""
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "steplabel"
        result = runner.invoke(app, argv[1:])
        assert result.exit_code == 0, (command, result.output)
        if argv[1] == "query":
            queried += result.stdout.replace("\r\n", "\n")
    assert queried == printed
    rows = pq.read_table(sorted((tmp_path / "given-trl" / "data" / "default").glob("*.parquet"))).to_pylist()
    assert sorted(r["labels"] for r in rows) == [[True, False], [True, True], [True, True]]
