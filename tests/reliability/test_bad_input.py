"""A corpus of malformed inputs. Bad rows are quarantined with file, line and reason and the
run goes on; a bad file or config ends the command with code 2 and a message that names it,
never a traceback."""

import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.storage import connect

runner = CliRunner()
GOOD = json.dumps({"question": "Ava has 3 apples. She finds 2 more. How many?", "answer": "#### 5", "id": "ok"})

BAD_ROWS = [
    ('{"question": "x", "answer": ', "invalid JSON"),
    ('{"question": "x" "answer": "1"}', "invalid JSON"),
    ('["question", "answer"]', "expected an object"),
    ("42", "expected an object"),
    ('{"answer": "1"}', "missing question"),
    ('{"question": "What?"}', "missing answer"),
    ('{"question": "", "answer": "1"}', "'question' is empty"),
    ('{"question": "   ", "answer": "1"}', "'question' is empty"),
    ('{"question": "q1", "answer": ""}', "'answer' is empty"),
    ('{"question": "q2", "answer": null}', "must be text or a number"),
    ('{"question": "q3", "answer": [1, 2]}', "must be text or a number"),
    ('{"question": 7, "answer": "1"}', "must be text"),
    ('{"question": {"a": 1}, "answer": "1"}', "must be text"),
    (json.dumps({"question": "q" * 30_000, "answer": "1"}), "too long"),
    (json.dumps({"question": "q4", "answer": "9" * 1000}), "cannot be parsed"),
    ('{"question": "q5", "answer": "the work\\n#### "}', "no final answer"),
    ('{"question": "q6", "solution": "so \\\\boxed{12"}', "no final answer"),
    ('{"question": "q7", "answer": "@@@"}', "cannot be parsed"),
    ('{"question": "q8", "answer": true}', "must be text or a number"),
    ('{"question": "dup", "answer": "5", "id": "ok"}', "duplicate problem id 'ok'"),
    ('{"question": "q9", "answer": "1", "id": {"x": 1}}', "'id' must be a non-empty scalar"),
    ('{"question": "q10", "answer": "1", "id": ""}', "'id' must be a non-empty scalar"),
]


def test_every_bad_row_is_quarantined_with_file_line_and_reason(tmp_path):
    data = tmp_path / "problems.jsonl"
    lines = [GOOD] + [row for row, _ in BAD_ROWS]
    data.write_bytes(("\n".join(lines) + "\n").encode() + b'{"question": "\xff\xfe", "answer": "1"}\n')
    result = runner.invoke(app, ["run", "--no-prefect", "--store", str(tmp_path / "store"), "--problems", str(data),
                                 "--samples", "1", "--json"])
    assert result.exit_code == 0, result.output
    con = connect(tmp_path / "store")
    found = dict(con.execute("SELECT location, reason FROM quarantine WHERE stage = 'load'").fetchall())
    expected = {f"{data}:{i + 2}": reason for i, (_, reason) in enumerate(BAD_ROWS)}
    expected[f"{data}:{len(BAD_ROWS) + 2}"] = "invalid UTF-8"
    assert set(found) == set(expected)
    for location, reason in expected.items():
        assert reason in found[location], (location, found[location])
    assert json.loads(result.stdout)["problems"] == 1  # the good row went through


def _files(tmp_path):
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet")
    broken_list = tmp_path / "broken.json"
    broken_list.write_text('[{"question": "q", "answer": "1"},')
    return [
        (["--problems", str(tmp_path / "missing.jsonl")], "no such file"),
        (["--problems", str(tmp_path)], "is a directory"),
        (["--problems", str(tmp_path / "c.csv")], "unknown file type"),
        (["--problems", str(garbage)], "not a readable Parquet file"),
        (["--problems", str(broken_list)], "not a valid JSON list"),
        (["--problems", "synthetic:chess"], "unknown synthetic world"),
    ]


CONFIGS = [
    ("[run]\nsede = 1\n", "run.sede"),
    ("[generate]\nsamples = 'four'\n", "generate.samples"),
    ("[run\nname = 'x'\n", "not valid TOML"),
    ("[label]\nlabelers = ['mc', 'consensus']\n", "label"),
]


def test_bad_files_end_with_a_message_naming_them(tmp_path):
    (tmp_path / "c.csv").write_text("question,answer\n")
    for args, message in _files(tmp_path):
        result = runner.invoke(app, ["run", "--no-prefect", "--store", str(tmp_path / "s"), *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output.replace("\n", " ") and "Traceback" not in result.output


@pytest.mark.parametrize("text, named", CONFIGS)
def test_bad_configs_name_the_file_and_key(tmp_path, text, named):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = runner.invoke(app, ["run", str(config), "--no-prefect"])
    assert result.exit_code == 2
    out = result.output.replace("\n", " ")
    assert str(config) in out and named in out and "Traceback" not in out
