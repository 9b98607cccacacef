import json

import pytest

from steplabel.labelers.consensus import ConsensusConfig, Decision, consensus_labels, decide
from steplabel.schemas import StepLabel


@pytest.mark.parametrize("firsts, policy, override, expected", [
    ({"mc": 2, "judge": 2}, "all", None, Decision(2, True, "all agree")),
    ({"mc": -1, "judge": -1}, "all", None, Decision(-1, True, "all agree")),
    ({"mc": 2, "judge": 3}, "all", None, Decision(None, False, "disagree")),
    ({"mc": 2, "judge": None}, "all", None, Decision(None, False, "undetermined: judge")),
    ({"mc": 2}, "all", None, Decision(None, False, "undetermined: judge")),
    ({"mc": 2, "judge": 3, "verify": 2}, "majority", None, Decision(2, True, "majority 2/3")),
    ({"mc": 2, "judge": 3, "verify": None}, "majority", None, Decision(None, False, "no majority")),
    ({"mc": 2, "judge": 3, "verify": 1}, "override", "verify", Decision(1, True, "verify overrides")),
    ({"mc": 2, "judge": 2, "verify": None}, "override", "verify", Decision(2, True, "all agree")),
    ({"mc": 2, "judge": 4, "verify": None}, "override", "verify", Decision(None, False, "disagree")),
])
def test_policies(firsts, policy, override, expected):
    sources = ("mc", "judge", "verify") if len(firsts) == 3 or policy != "all" else ("mc", "judge")
    assert decide(firsts, ConsensusConfig(sources, policy, override)) == expected


def rows(labeler, rollout, first_error, n, scores=None):
    def label(j):
        return True if first_error == -1 or j < first_error else (False if j == first_error else None)

    return [StepLabel("r", rollout, "p", j, labeler, label(j), (scores or [None] * n)[j], first_error)
            for j in range(n)]


def test_consensus_rows_keep_agreement_and_mark_disagreement():
    labels = (rows("mc", "a", 1, 4, [1.0, 0.0, None, None]) + rows("judge", "a", 1, 4, [0.5, 0.0, None, None])
              + rows("mc", "b", -1, 3) + rows("judge", "b", 0, 3) + rows("omegaprm", "a", 3, 4))
    out = consensus_labels(labels, ConsensusConfig(("mc", "judge"), "all"))
    a = sorted((r for r in out if r.rollout_id == "a"), key=lambda r: r.step_index)
    b = sorted((r for r in out if r.rollout_id == "b"), key=lambda r: r.step_index)
    assert [r.label for r in a] == [True, False, None, None]
    assert [r.status for r in a] == ["labeled", "labeled", "after_error", "after_error"]
    assert [r.score for r in a][:2] == [0.75, 0.0] and {r.first_error for r in a} == {1}
    assert all(r.labeler == "consensus" for r in out)
    assert [r.status for r in b] == ["rejected"] * 3 and all(r.label is None for r in b)
    evidence = json.loads(b[0].evidence)
    assert evidence == {"retained": False, "reason": "disagree", "sources": {"mc": -1, "judge": 0}}


def test_min_confidence_makes_an_unsure_source_undetermined():
    def mc_rows(rollout, fe, conf, n=3):
        out = rows("mc", rollout, fe, n)
        for r in out:
            r.evidence = json.dumps({"confidence": conf, "first_error_confidence": conf})
        return out

    labels = mc_rows("a", 1, 0.99) + rows("judge", "a", 1, 3) + mc_rows("b", 1, 0.6) + rows("judge", "b", 1, 3)
    kept = consensus_labels(labels, ConsensusConfig(("mc", "judge"), "all", None, min_confidence=0.9))
    status = {r.rollout_id: r.status for r in kept if r.step_index == 0}
    assert status == {"a": "labeled", "b": "rejected"}
    first = next(r for r in kept if r.rollout_id == "a" and r.step_index == 0)
    assert json.loads(first.evidence)["confidence"] == 0.99  # retained rows state the least confidence
    # Without a threshold both agree and are kept.
    kept = consensus_labels(labels, ConsensusConfig(("mc", "judge"), "all", None))
    assert {r.status for r in kept if r.step_index == 0} == {"labeled"}
