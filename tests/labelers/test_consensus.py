import json

import pytest

from steplabel.config import ConsensusSection
from steplabel.labelers.consensus import Decision, consensus_labels, decide
from steplabel.schemas import StepLabel


@pytest.mark.parametrize("firsts, policy, override, expected", [
    ({"mc": 2, "judge": 2}, "all", None, Decision(2, True, "all agree")),
    ({"mc": -1, "judge": -1}, "all", None, Decision(-1, True, "all agree")),
    ({"mc": 2, "judge": 3}, "all", None, Decision(None, False, "disagree")),
    ({"mc": 2, "judge": None}, "all", None, Decision(None, False, "undetermined: judge")),
    ({"mc": 2}, "all", None, Decision(None, False, "missing: judge")),
    ({"mc": 2, "judge": 3, "verify": 2}, "majority", None, Decision(2, True, "majority 2/3")),
    ({"mc": 2, "judge": 3, "verify": None}, "majority", None, Decision(None, False, "no majority; undetermined: verify")),
    # majority: counted among the sources that determined a first error, and the others named
    ({"mc": 2, "judge": 2}, "majority", None, Decision(2, True, "majority 2/2 of determined; missing: verify")),
    ({"mc": 2, "judge": 2, "verify": None}, "majority", None,
     Decision(2, True, "majority 2/2 of determined; undetermined: verify")),
    ({"mc": 2}, "majority", None, Decision(None, False, "no majority; missing: judge, verify")),
    ({"mc": 2, "judge": None, "verify": None}, "majority", None,
     Decision(None, False, "no majority; undetermined: judge, verify")),
    ({"mc": 2, "judge": 3, "verify": 1}, "override", "verify", Decision(1, True, "verify overrides")),
    ({"mc": 2, "judge": 2, "verify": None}, "override", "verify", Decision(2, True, "all agree; verify undetermined")),
    ({"mc": 2, "judge": 2, "verify": -1}, "override", "verify", Decision(2, True, "all agree")),
    # the override source must have labeled the rollout; the others are the configured ones, not those present
    ({"mc": 2, "judge": 2}, "override", "verify", Decision(None, False, "missing: verify (the override source)")),
    ({"mc": 2, "verify": -1}, "override", "verify", Decision(None, False, "missing: judge")),
    ({"mc": 2, "judge": None, "verify": -1}, "override", "verify", Decision(None, False, "undetermined: judge")),
    ({"mc": 2, "judge": 4, "verify": None}, "override", "verify", Decision(None, False, "disagree")),
])
def test_policies(firsts, policy, override, expected):
    sources = ("mc", "judge", "verify") if len(firsts) == 3 or policy != "all" else ("mc", "judge")
    if policy != "all":
        sources = ("mc", "judge", "verify")
    assert decide(firsts, ConsensusSection(sources=list(sources), policy=policy, override=override)) == expected


def rows(labeler, rollout, first_error, n, scores=None):
    def label(j):
        return True if first_error == -1 or j < first_error else (False if j == first_error else None)

    return [StepLabel("r", rollout, "p", j, labeler, label(j), (scores or [None] * n)[j], first_error)
            for j in range(n)]


def test_consensus_rows_keep_agreement_and_mark_disagreement():
    labels = (rows("mc", "a", 1, 4, [1.0, 0.0, None, None]) + rows("judge", "a", 1, 4, [0.5, 0.0, None, None])
              + rows("mc", "b", -1, 3) + rows("judge", "b", 0, 3) + rows("omegaprm", "a", 3, 4))
    out = consensus_labels(labels, ConsensusSection(sources=["mc", "judge"], policy="all"))
    a = sorted((r for r in out if r.rollout_id == "a"), key=lambda r: r.step_index)
    b = sorted((r for r in out if r.rollout_id == "b"), key=lambda r: r.step_index)
    assert [r.label for r in a] == [True, False, None, None]
    assert [r.status for r in a] == ["labeled", "labeled", "after_error", "after_error"]
    assert [r.score for r in a][:2] == [0.75, 0.0] and {r.first_error for r in a} == {1}
    assert all(r.labeler == "consensus" for r in out)
    assert [r.status for r in b] == ["rejected"] * 3 and all(r.label is None for r in b)
    evidence = json.loads(b[0].evidence)
    assert evidence == {"retained": False, "reason": "disagree", "sources": {"mc": -1, "judge": 0}}


def test_override_does_not_keep_a_rollout_a_source_never_labeled():
    """Issue #16.3: a rollout the judge never labeled was kept on MC alone, "all agree"."""
    labels = rows("mc", "a", 2, 4, [0.9, 0.6, 0.0, None]) + rows("verify", "a", -1, 4, [1.0, 1.0, 1.0, 1.0])
    out = consensus_labels(labels, ConsensusSection(sources=["mc", "judge", "verify"], policy="override", override="verify"))
    assert [r.status for r in out] == ["rejected"] * 4 and all(r.label is None and r.score is None for r in out)
    evidence = json.loads(out[0].evidence)
    assert evidence["reason"] == "missing: judge" and evidence["missing"] == ["judge"]
    assert evidence["sources"] == {"mc": 2, "judge": None, "verify": -1}


def test_under_all_a_missing_source_is_not_kept():
    out = consensus_labels(rows("mc", "a", -1, 3, [1.0, 1.0, 1.0]), ConsensusSection(sources=["mc", "judge"], policy="all"))
    assert {r.status for r in out} == {"rejected"} and json.loads(out[0].evidence)["missing"] == ["judge"]


def test_override_scores_come_from_the_source_that_decided():
    """Issue #16.4: under override a step was labeled false with the MC score 0.94."""
    labels = (rows("mc", "a", -1, 3, [0.97, 0.94, 1.0]) + rows("judge", "a", -1, 3, [1.0, 1.0, 1.0])
              + rows("verify", "a", 1, 3, [1.0, 0.0, None]))
    out = consensus_labels(labels, ConsensusSection(sources=["mc", "judge", "verify"], policy="override", override="verify"))
    assert [r.label for r in out] == [True, False, None]
    assert [r.score for r in out] == [1.0, 0.0, None]
    assert json.loads(out[0].evidence)["scored_by"] == ["verify"]


def test_consensus_scores_never_contradict_labels():
    # the majority (mc, judge) decides 1; verify's disagreeing scores are left out
    labels = (rows("mc", "a", 1, 3, [0.25, 0.0, None]) + rows("judge", "a", 1, 3, [0.6, 0.4, None])
              + rows("verify", "a", -1, 3, [1.0, 1.0, 1.0]))
    out = consensus_labels(labels, ConsensusSection(sources=["mc", "judge", "verify"], policy="majority"))
    assert [r.label for r in out] == [True, False, None]
    assert out[0].score is None  # 0.425 would call a correct step probably wrong: no usable score
    assert out[1].score == pytest.approx(0.2)
    for r in out:
        if r.score is not None:
            assert (r.score >= 0.5) == r.label


def test_min_confidence_makes_an_unsure_source_undetermined():
    def mc_rows(rollout, fe, conf, n=3):
        out = rows("mc", rollout, fe, n)
        for r in out:
            r.evidence = json.dumps({"confidence": conf, "first_error_confidence": conf})
        return out

    labels = mc_rows("a", 1, 0.99) + rows("judge", "a", 1, 3) + mc_rows("b", 1, 0.6) + rows("judge", "b", 1, 3)
    kept = consensus_labels(labels, ConsensusSection(sources=["mc", "judge"], policy="all", min_confidence=0.9))
    status = {r.rollout_id: r.status for r in kept if r.step_index == 0}
    assert status == {"a": "labeled", "b": "rejected"}
    first = next(r for r in kept if r.rollout_id == "a" and r.step_index == 0)
    assert json.loads(first.evidence)["confidence"] == 0.99  # retained rows state the least confidence
    # Without a threshold both agree and are kept.
    kept = consensus_labels(labels, ConsensusSection(sources=["mc", "judge"], policy="all"))
    assert {r.status for r in kept if r.step_index == 0} == {"labeled"}
