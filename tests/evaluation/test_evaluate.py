import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.evaluation.evaluate import first_error_metrics, load_records, synthetic_records
from steplabel.problems.sources import SourceError
from steplabel.problems.worlds import arith

runner = CliRunner()


def test_processbench_metric():
    m = first_error_metrics([(2, 2), (1, 2), (None, 0), (-1, -1), (-1, -1), (3, -1)])
    assert (m["erroneous"], m["correct"], m["undetermined"]) == (3, 3, 1)
    assert m["acc_erroneous"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["acc_correct"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["f1"] == pytest.approx(2 * (1 / 3) * (2 / 3) / 1.0, abs=1e-4)


def world_records(path, n=6):
    rows = []
    for p in arith.generate_problems(n, seed=9):
        steps = p.reference_solution().split("\n\n")
        rows.append({"problem": p.question(), "steps": steps, "label": -1, "answer": p.answer})
        bad = list(steps)
        y = arith.stated_result(bad[-1])
        bad[-1] = bad[-1].replace(arith.fmt(y), arith.fmt(y + 1))
        rows.append({"problem": p.question(), "steps": bad, "label": len(bad) - 1, "answer": p.answer})
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_load_records_json_and_jsonl(tmp_path):
    f = world_records(tmp_path / "pb.jsonl")
    records = load_records(f)
    assert len(records) == 12 and records[1].label == len(records[1].steps) - 1
    g = tmp_path / "pb.json"
    g.write_text(json.dumps([json.loads(line) for line in f.read_text().splitlines()]))
    assert [r.label for r in load_records(g)] == [r.label for r in records]


@pytest.mark.parametrize("row, message", [
    ({"problem": "", "steps": ["a"], "label": -1}, "'problem'"),
    ({"problem": "p", "steps": [], "label": -1}, "'steps'"),
    ({"problem": "p", "steps": ["a", 3], "label": -1}, "'steps'"),
    ({"problem": "p", "steps": ["a"], "label": 1}, "'label'"),
    ({"problem": "p", "steps": ["a"], "label": True}, "'label'"),
])
def test_bad_records_name_file_line_and_field(tmp_path, row, message):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"problem": "ok", "steps": ["s"], "label": -1}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(SourceError) as info:
        load_records(f)
    assert f"{f}:2" in str(info.value) and message in str(info.value)


def test_eval_cli_on_a_processbench_file(tmp_path):
    f = world_records(tmp_path / "pb.jsonl")
    perfect = tmp_path / "perfect.toml"  # a policy that never slips: MC must then be exact
    perfect.write_text("[engine.sandbox]\nskill = 1.0\nrecovery = 0.0\nformat_error_rate = 0.0\n"
                       "[label.judge.engine.sandbox]\ncritic_accuracy = 1.0\ncritic_malformed = 0.0\n")
    result = runner.invoke(app, ["eval", "--labeler", "mc", "--data", str(f), "--format", "json",
                                 "--config", str(perfect)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 12 and report["erroneous"] == 6
    assert report["acc_erroneous"] == 1.0 and report["acc_correct"] == 1.0 and report["f1"] == 1.0
    assert report["cost"]["completions"] > 0
    table = runner.invoke(app, ["eval", "--labeler", "omegaprm", "--data", str(f), "--config", str(perfect)])
    assert table.exit_code == 0 and "acc_erroneous" in table.stdout
    assert "│ f1" in table.stdout and "1.0" in table.stdout
    for labeler in ("judge", "consensus"):
        result = runner.invoke(app, ["eval", "--labeler", labeler, "--data", str(f), "--format", "json",
                                     "--config", str(perfect)])
        report = json.loads(result.stdout)
        assert report["f1"] == 1.0 and report["step_precision"] == 1.0, labeler
    assert report["retained"] == 1.0


def test_eval_needs_reference_answers_for_mc(tmp_path):
    f = tmp_path / "noanswer.jsonl"
    f.write_text(json.dumps({"problem": "p", "steps": ["a"], "label": -1}) + "\n")
    result = runner.invoke(app, ["eval", "--labeler", "mc", "--data", str(f)])
    assert result.exit_code == 2 and "no reference answer" in result.output


def test_synthetic_records_carry_the_world_truth():
    records = synthetic_records(load_config(None, {}), 20)
    assert len(records) >= 70
    assert any(r.label >= 0 for r in records) and any(r.label == -1 for r in records)
    for r in records[:20]:
        problem = arith.parse_question(r.problem)
        assert arith.first_error(problem, r.steps) == r.label


def test_eval_keeps_omegaprm_to_the_given_records_unless_the_config_names_a_scope():
    from steplabel.evaluation.evaluate import scored_records_only

    assert scored_records_only(load_config(None)).label.omegaprm.search_scope == "targets"
    named = load_config(None, {"label.omegaprm.search_scope": "tree"})
    assert scored_records_only(named).label.omegaprm.search_scope == "tree"
    assert load_config(None).label.omegaprm.search_scope == "tree"  # `run` still grows the tree
