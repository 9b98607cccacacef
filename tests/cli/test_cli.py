import csv
import io
import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "store"
    result = runner.invoke(app, ["run", "--no-prefect", "--store", str(root), "--limit", "12",
                                 "--samples", "2", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    return root


def test_run_prints_the_summary(store):
    result = runner.invoke(app, ["run", "--no-prefect", "--store", str(store), "--limit", "12",
                                 "--samples", "2", "--seed", "3", "--json"])
    summary = json.loads(result.stdout)
    assert summary["problems"] == 12 and summary["rollouts"] == 24
    assert set(summary["labelers"]) == {"mc"}


def test_query_formats(store):
    sql = "SELECT count(*) AS n FROM problems"
    as_json = runner.invoke(app, ["query", sql, "--store", str(store), "--format", "json"])
    assert json.loads(as_json.stdout) == [{"n": 12}]
    as_csv = runner.invoke(app, ["query", "SELECT labeler, count(*) AS n FROM step_labels GROUP BY 1",
                                 "--store", str(store), "--format", "csv"])
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["labeler", "n"] and rows[1][0] == "mc" and int(rows[1][1]) > 24
    table = runner.invoke(app, ["query", "SELECT status FROM runs", "--store", str(store)])
    assert table.exit_code == 0 and "completed" in table.stdout


def test_stats(store):
    result = runner.invoke(app, ["stats", "--store", str(store), "--json"])
    (s,) = json.loads(result.stdout)
    assert s["status"] == "completed" and s["attempts"] == 2 and s["labelers"]["mc"]["labeled_rollouts"] > 0
    one = runner.invoke(app, ["stats", "--store", str(store), "--run", s["run_id"]])
    assert one.exit_code == 0 and "first-error distribution" in one.stdout


@pytest.mark.parametrize("args, message", [
    (["query", "SELEC nonsense", "--store", "{store}"], "query failed"),
    (["query", "SELECT 1", "--store", "{store}", "--format", "xml"], "unknown format"),
    (["stats", "--store", "{store}", "--run", "nope"], "no run 'nope'"),
    (["stats", "--store", "{missing}"], "no such store folder"),
    (["run", "{missing}/c.toml"], "no such config file"),
    (["run", "--no-prefect", "--problems", "{missing}/p.jsonl", "--store", "{missing}/s"], "no such file"),
    (["run", "--no-prefect", "--labelers", "magic"], "unknown labeler"),
    (["run", "--no-prefect", "--task-runner", "dask"], "drop --no-prefect"),
    (["run", "--task-runner", "spark"], "task_runner.kind"),
])
def test_user_mistakes_get_a_message_and_exit_2(store, tmp_path, args, message):
    args = [a.format(store=store, missing=tmp_path / "missing") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_a_task_runner_whose_package_is_missing_says_what_to_install(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "prefect_ray", None)  # import fails as if not installed
    result = runner.invoke(app, ["run", "--task-runner", "ray", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "pip install 'steplabel[ray]'" in result.output.replace("\n", " ")
    assert not (tmp_path / "s").exists()


def test_run_help_shows_the_config_keys():
    result = runner.invoke(app, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for key in ("[run.store]", "[problems.limit]", "[engine.kind]", "[engine.model]", "[label.labelers]"):
        assert key in result.output


def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"steplabel {version('steplabel')}"


@pytest.mark.parametrize("name, text, where", [
    ("eval.jsonl", '{"problem": "What is 1+1?"}\n{"problem": "What is 2+2?"\n', "line 2: not valid JSON"),
    ("eval.json", '[{"problem": "a"},\n {"problem": }]', "line 2: not valid JSON"),
    ("eval.jsonl", '{"problem": "a"}\n["not", "an", "object"]\n', "line 2: expected a JSON object"),
])
def test_export_exclude_file_that_is_not_json_is_named_with_its_line(store, tmp_path, name, text, where):
    bad = tmp_path / name
    bad.write_text(text)
    result = runner.invoke(app, ["export", "--store", str(store), "--out", str(tmp_path / "out"), "--exclude", str(bad)])
    assert result.exit_code == 2
    message = result.output.replace("\n", " ")
    assert f"{bad}, {where}" in message and "Traceback" not in result.output


def test_a_local_engine_without_a_model_is_a_config_error(tmp_path):
    result = runner.invoke(app, ["run", "--no-prefect", "--engine", "transformers", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "engine.model: Field required" in result.output
    assert not (tmp_path / "s").exists()
