"""The dry-run plan: counts from k, budgets and steps per solution, nothing loaded."""

import json

from typer.testing import CliRunner

from steplabel.cli.app import app
from steplabel.config import load_config
from steplabel.pipeline.plan import plan

runner = CliRunner()


def test_plan_counts_follow_k_budgets_and_steps():
    cfg = load_config(None, {"problems.limit": 10, "generate.samples": 3, "generate.max_tokens": 500,
                             "label.labelers": ["mc", "omegaprm", "judge", "verify", "consensus"],
                             "label.mc.estimator": "any", "label.mc.k": 8, "label.mc.max_tokens": 100,
                             "label.omegaprm.rollout_budget": 50, "label.omegaprm.max_tokens": 100,
                             "label.judge.samples": 3, "label.judge.temperature": 0.5,
                             "label.judge.max_tokens": 400})
    p = plan(cfg, steps=5, tokens_per_step=20)
    stages = {s.stage: s for s in p.stages}
    assert (p.problems, p.rollouts) == (10, 30)
    assert (stages["generate"].completions, stages["generate"].tokens, stages["generate"].tokens_max) == \
        (30, 30 * 100, 30 * 500)
    mc = stages["mc"]  # 30 rollouts x 4 prefixes (the last step is judged by its answer) x k
    assert (mc.requests, mc.completions, mc.completions_max) == (120, 960, 960)
    assert (mc.tokens, mc.tokens_max) == (960 * 50, 960 * 100)  # from the middle: half a solution
    assert stages["omegaprm"].completions_max == 10 * 50
    judge = stages["judge"]
    assert (judge.requests, judge.completions, judge.tokens_max) == (30, 90, 90 * 400)
    assert judge.model == "simulated-critic"
    assert stages["verify"].completions == stages["consensus"].completions == 0


def test_noise_aware_mc_counts_a_first_round_and_caps_at_the_budget():
    cfg = load_config(None, {"problems.limit": 2, "generate.samples": 1, "label.mc.k": 32,
                             "label.mc.initial": 4, "label.mc.per_step_budget": 10})
    mc = next(s for s in plan(cfg, steps=3).stages if s.stage == "mc")
    assert (mc.completions, mc.completions_max) == (2 * 2 * 4, 2 * 2 * 10)


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(app, ["run", "--limit", "5", "--store", str(store), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["problems"] == 5 and data["stages"][0]["stage"] == "generate"
    assert not store.exists()


def test_dry_run_of_a_hub_dataset_without_a_limit_says_unknown(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[problems]\nsource = "hf:someone/not-downloaded"\n')
    result = runner.invoke(app, ["run", str(cfg), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "unknown" in result.output and "not opened" in result.output


def test_dry_run_of_a_local_file_counts_its_good_rows(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text('{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\nnot json\n')
    result = runner.invoke(app, ["run", "--problems", str(data), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["problems"] == 2 and "1 rows would be quarantined" in out["problems_note"]


def test_dry_run_of_a_missing_problems_file_fails_like_the_run(tmp_path):
    result = runner.invoke(app, ["run", "--problems", str(tmp_path / "nope.jsonl"), "--dry-run"])
    assert result.exit_code == 2 and "nope.jsonl" in result.output and "Traceback" not in result.output
