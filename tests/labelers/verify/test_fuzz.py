"""Hostile step text: every checker returns a verdict or an abstention, never an exception."""

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from steplabel.labelers.verify import VerifyLabeler
from steplabel.labelers.verify.arithmetic import ClaimResult, check_step, evaluate
from tests.labelers.verify.test_labeler import label

PIECES = ["=", "= ", " = ", "+", "-", "*", "/", "^", "**", "%", "!", "(", ")", "{", "}", "[", "]", "$", "\\$",
          "\\(", "\\)", "\\[", "\\]", "\\frac", "\\dfrac", "\\sqrt", "\\sqrt[3]", "\\times", "\\cdot", "\\text{",
          "\\approx", "≈", "~", "...", "…", "x", "y", "A", "apples", "Total cost", "about", "of", "1st", "6th",
          "3:45", "5-10", "2024-01-02", ",", ".", ":", "\n- ", " ", "0", "1", "7", "12", "3.5", "1,000", "0.333",
          "99999999999999999999", "10^10^10", "2^{100000}", "(-1)", "1/0", "0^-1", "\\left(", "\\right)", "½"]

hostile = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
    st.text(max_size=200),
)


def _assert_verdict(verdict, results):
    assert verdict in (True, False, None)
    assert isinstance(results, list) and all(isinstance(r, ClaimResult) for r in results)
    if verdict is False:
        assert any(r.holds is False and r.claim and r.values and r.rule for r in results)


@settings(max_examples=300, deadline=2000)
@given(hostile)
def test_arithmetic_never_raises(text):
    _assert_verdict(*check_step(text, {}))


@settings(max_examples=200, deadline=2000)
@given(hostile)
def test_evaluate_returns_a_value_or_value_error(text):
    try:
        value = evaluate(text)
    except ValueError:
        return
    assert isinstance(value, (int, float)) or hasattr(value, "numerator")


PATHOLOGICAL = [
    "2^" * 500 + "2 = 4",
    "10^10^10^10 = 5",
    "9" * 5000 + " + 1 = 2",
    "(" * 5000 + "1" + ")" * 5000 + " = 1",
    "{" * 5000 + "1" + "}" * 5000 + " = 2",
    "\\sqrt{" * 300 + "2" + "}" * 300 + " = 1",
    "\\frac{" * 300 + "1}{2}" * 300 + " = 1",
    "1 + 1 = 2, " * 50_000,
    "= " * 50_000,
    "3! ! ! ! = 6",
    "1000! = 5",
    "(10^100)^(10^100) = 1",
    "2^0.5^0.5^0.5 = 1",
    "0^0 = 1",
    "1e308 * 1e308 = 1",
]


def test_pathological_steps_end_in_a_verdict_or_an_abstention():
    for text in PATHOLOGICAL:
        _assert_verdict(*check_step(text, {}))


def test_the_labeler_survives_hostile_steps():
    rows = label(PATHOLOGICAL[:6] + ["Then 7 + 5 = 12."])
    assert len(rows) == 7 and all(r.label in (True, False, None) for r in rows)


def test_per_step_claim_limit_is_honoured():
    verdict, results = check_step("1 + 1 = 3. " * 500, {}, max_claims=10)
    assert verdict is False and len([r for r in results if r.rule != "limit"]) <= 10
    verdict, results = check_step("1 + 1 = 2. " * 500, {}, max_claims=10)
    assert verdict is None and results[-1].rule == "limit"  # what was not read is not vouched for
    labeler = VerifyLabeler()
    assert labeler.config.max_claims_per_step > 0 and labeler.config.step_time_budget_s > 0


def test_fuzzed_labeler_run_returns_one_row_per_step():
    steps = ["(" * 3000 + "2", "1,000,000,000^1,000 = 1", "Total = about 3.4...", "x = x + 1"]
    rows = asyncio.run(VerifyLabeler().label(_task(steps)))
    assert [r.step_index for r in rows] == [0, 1, 2, 3]


def _task(steps):
    from dataclasses import replace

    from tests.labelers.test_mc import make_task

    text = "\n\n".join(steps)
    ends, pos = [], 0
    for s in steps:
        pos = text.index(s, pos) + len(s)
        ends.append(pos)
    return replace(make_task(len(steps)), question="Q?", text=text, steps=tuple(steps), step_ends=tuple(ends))
