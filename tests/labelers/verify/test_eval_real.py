"""``steplabel eval`` on real-model-style records with the verify labeler."""

import json
from types import SimpleNamespace

from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.evaluation.evaluate import EvalRecord, load_records_skipping, refutation_metrics

runner = CliRunner()

ROWS = [
    {"id": "ok", "problem": "p", "steps": ["So 3 + 4 = 7.", "Then 7 * 2 = 14."], "label": -1},
    {"id": "slip", "problem": "p", "steps": ["So 3 + 4 = 7.", "Then 7 * 2 = 15."], "label": 1},
    {"id": "prose", "problem": "p", "steps": ["We reason about it.", "Hence the claim."], "label": -1},
    {"id": "false-alarm", "problem": "p", "steps": ["Then 7 * 2 = 15.", "Fine."], "label": -1},
    {"id": "crash", "problem": "p", "steps": ["We get 1000*10**(4/5) = 6309.57 and x = 1000*10**(4/5)."], "label": -1},
    {"id": "empty", "problem": "p", "steps": [], "label": -1},
]


def write(path, rows, as_list=False):
    if as_list:
        path.write_text(json.dumps(rows))
    else:
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    return path


def test_invalid_records_are_skipped_counted_and_named(tmp_path):
    records, skipped = load_records_skipping(write(tmp_path / "r.jsonl", ROWS))
    assert [r.record_id for r in records] == ["ok", "slip", "prose", "false-alarm", "crash"]
    assert len(skipped) == 2 and "(id empty)" in skipped[0] and "'steps'" in skipped[0]
    assert f"{tmp_path / 'r.jsonl'}:7" in skipped[1] and "invalid JSON" in skipped[1]
    records, skipped = load_records_skipping(write(tmp_path / "r.json", ROWS, as_list=True))
    assert len(records) == 5 and len(skipped) == 1


def test_eval_cli_reports_refutations_and_writes_predictions(tmp_path):
    data = write(tmp_path / "r.jsonl", ROWS)
    predictions = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["eval", "--labeler", "verify", "--data", str(data), "--format", "json",
                                 "--predictions", str(predictions)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 5 and report["skipped"] == 2 and len(report["skipped_records"]) == 2
    assert report["refutations"] == 2 and report["false_refutations"] == 1
    assert report["refutation_precision"] == 0.5 and report["exact_refutations"] == 1
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert lines == [{"id": "ok", "first_error": -1}, {"id": "slip", "first_error": 1},
                     {"id": "prose", "first_error": None}, {"id": "false-alarm", "first_error": 0},
                     {"id": "crash", "first_error": -1}]  # 1000*10**(4/5) ≈ 6309.57 holds, x is defined
    table = runner.invoke(app, ["eval", "--labeler", "verify", "--data", str(data)])
    assert table.exit_code == 0 and "refutation_precision" in table.stdout and "skipped" in table.stdout


def test_refutation_metrics_count_false_exact_and_late():
    records = [EvalRecord("a", "p", ["s"] * 4, 2), EvalRecord("b", "p", ["s"] * 4, -1)]
    rows = [SimpleNamespace(rollout_id="a", step_index=i, label=v) for i, v in [(0, True), (1, False), (2, False), (3, False)]]
    rows += [SimpleNamespace(rollout_id="b", step_index=0, label=False), SimpleNamespace(rollout_id="b", step_index=1, label=None)]
    m = refutation_metrics(records, rows)
    assert (m["refutations"], m["false_refutations"], m["exact_refutations"], m["late_refutations"]) == (4, 2, 1, 1)
    assert m["refutation_precision"] == 0.5 and m["correct_not_refuted"] == 0.0
