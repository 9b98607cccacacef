"""Property tests (hypothesis) for verify's checkers (issue 18), beside ``test_fuzz``'s for the
arithmetic reader: the Z3 deduction checker, the code-claim reader, the algebra checker and the
labeler as a whole return a verdict or an abstention for any text, never an exception."""

import asyncio
import importlib
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from steplabel.labelers.verify import VerifyLabeler, algebra, code
from steplabel.problems.worlds import logic
from tests.labelers.test_mc import make_task

# the verify package's ``logic`` attribute is the logic world (its own import shadows the module)
logic_check = importlib.import_module("steplabel.labelers.verify.logic")

PROBLEM = logic.generate_problems(1, seed=3)[0]
DEDUCTION_PIECES = ["From", " f1", " f2", " f9", " r1", " r3", " r99", " step 0", " step 7", ",", " and", ":",
                    " Bob", " is", " not", " nice", " big", " red", ".", " ", "\n", "f", "r", "step -1", "\u00a0"]
ALGEBRA_PIECES = ["x", "y", "=", " = ", "+", "-", "*", "/", "^", "(", ")", "2", "3.5", "10^{10}", "\\frac{1}{x}",
                  "expand", "so", "x^2", "0", " ", "solve", "\\sqrt{x}", "1e308", "\\cdot"]


def texts(pieces, size=30):
    return st.one_of(st.lists(st.sampled_from(pieces), max_size=size).map("".join), st.text(max_size=120))


@settings(max_examples=200, deadline=None)
@given(texts(DEDUCTION_PIECES), st.lists(st.none() | st.sampled_from(PROBLEM.facts), max_size=3))
def test_a_deduction_check_is_a_verdict_with_a_reason(text, earlier):
    verdict, evidence = logic_check.check_deduction(PROBLEM, text, list(earlier), 500)
    assert verdict in (True, False, None) and evidence["checker"] == "z3"
    if verdict is not True:
        assert evidence.get("reason")


@settings(max_examples=200, deadline=None)
@given(texts(["```python\n", "print(", "1+1", ")", "\n```", " = ", "2", "result is ", "`", "x"]))
def test_a_code_claim_is_read_or_not(text):
    claim = code.extract_code_claim(text)
    assert claim is None or (isinstance(claim.source, str) and (claim.claimed is None or isinstance(claim.claimed, str)))


@settings(max_examples=200, deadline=None)
@given(st.lists(texts(ALGEBRA_PIECES, 20), min_size=1, max_size=3))
def test_algebra_refutes_with_evidence_or_abstains(steps):
    state = algebra.State()
    for text in steps:
        state.next_step()
        for claim in algebra.check(text, state):
            assert claim.holds in (True, False, None)
            if claim.holds is False:
                assert claim.claim and claim.reason


@settings(max_examples=60, deadline=None)
@given(st.lists(texts(ALGEBRA_PIECES + DEDUCTION_PIECES, 15).filter(str.strip), min_size=1, max_size=5))
def test_the_labeler_keeps_its_conventions_on_any_solution(steps):
    task = replace(make_task(len(steps)), text="\n\n".join(steps), steps=tuple(steps),
                   step_ends=tuple(range(1, len(steps) + 1)))
    rows = asyncio.run(VerifyLabeler().label(task))
    assert [r.step_index for r in rows] == list(range(len(steps)))
    first = {r.first_error for r in rows}
    assert len(first) == 1
    (fe,) = first
    refuted = [r.step_index for r in rows if r.label is False]
    if refuted:
        assert fe == refuted[0] and all(r.status == "after_error" for r in rows[fe + 1:])
    elif fe == -1:
        assert all(r.label is True for r in rows)
    else:
        assert fe is None
