"""The Qwen recipe on the sandbox: MC and a judge each err, their agreement rarely does.

Measured (100 problems, 396 solutions, default world, simulated critic at 80% accuracy):
MC (scan, k = 8) F1 0.821, judge F1 0.776, consensus F1 0.996 on the 64% of solutions it
keeps (benchmarks/README.md has 70% and 90% judges). MC here is Math-Shepherd's rule
(estimator "any"); noise-aware MC alone reaches F1 0.97 on these solutions.
"""

from steplabel.config import load_config
from steplabel.evaluation.evaluate import evaluate, synthetic_records


def test_consensus_is_more_faithful_than_either_source():
    cfg = load_config(None, {"label.labelers": ["mc", "judge", "consensus"], "label.mc.estimator": "any",
                             "label.mc.k": 8})
    records = synthetic_records(cfg, 100)
    mc, judge, both = (evaluate(records, name, cfg) for name in ("mc", "judge", "consensus"))
    assert both.metrics["f1"] >= 0.97
    assert both.metrics["f1"] > max(mc.metrics["f1"], judge.metrics["f1"]) + 0.1
    assert 0.5 <= both.metrics["retained"] <= 0.8
    assert both.metrics["step_precision"] > max(mc.metrics["step_precision"], judge.metrics["step_precision"])
    assert 0.7 <= judge.metrics["f1"] <= 0.85  # the critic is set to 80%: the judge is not secretly exact
