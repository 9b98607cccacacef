"""Equations with unknowns: refuted only when sympy proves them wrong as a whole."""

import time

import pytest
from hypothesis import given, settings

from steplabel.labelers.verify import algebra, equations
from tests.labelers.verify.test_fuzz import PATHOLOGICAL, hostile
from tests.labelers.verify.test_labeler import label


def run(*steps):
    state, out = algebra.State(), []
    for text in steps:
        state.next_step()
        out.append(algebra.check(text, state))
    return out


def refuted(results):
    return [r for r in results if r.holds is False]


REFUTED = [
    # a rewriting that is never true: x + 59 written as x + 69 - 25
    [r"The rest is \( (x - 16 + 100) - 25 = x + 69 - 25 = x + 44 \)."],
    # combining like terms wrongly: the derived equation has another solution
    ["We can write: 0.99B + 1.01B + B = 4500. Combine like terms: 3.01B = 4500."],
    [r"\(3x + 5 = 20\), so \(3x = 16\)."],
    [r"Expanding, \(2(x + 3) - 4 = 2x + 6 - 4 = 2x + 3\)."],  # a later link of a chain changes the value
    [r"\(x^2 - 3x = 1\)", r"Factoring gives \((x - 1)(x - 3) = 0\)."],  # derived in the next step
    [r"\[ S = 165 \times \frac{6}{11} \] \[ S = 9 \times 6 \]"],  # a computed value restated differently
    [r"Expanding, \[ (m+n+p)(mn+mp+np) = m^2n + m^2p + mn^2 + mnp + m^2np + np^2 + n^2p + np^2 + p^2n \]"],
    [r"Expanding the square, \((x+1)^2 = x^2 + x + 1\)."],
    # a value solved for in the next step, in plain text (x is an unknown of the equation before)
    ["Subtracting 5 from both sides, 3x = 15.", "Dividing both sides by 3, x = 6."],
]

HOLDS_OR_ABSTAINS = [
    [r"\((a+b)^2 = a^2 + 2ab + b^2\)"],  # an identity
    [r"\(x^2 - 4 = (x-2)(x+2) = 0\)"],  # identity, then an equation
    [r"\(3x + 5 = 20\), so \(3x = 15\) and thus \(x = 5\)."],
    [r"\(1.5x = 40\), so \(x = 26.67\)."],  # a rounded solution
    [r"\((1 - r)^2 = r^2 + 4r^2 = 5r^2\)"],  # an equation, then its right side simplified
    [r"\(x^2 + 5x + 6 = 0\) \(x^2 + 5x - 6 = 0\)"],  # two equations side by side, not derived
    [r"First, \(y^2 + 3y = 11\), and second, \(y^2 + 3y = -11\)."],
    [r"The roots are \(x = 0\), \(x = 9\) and \(x = -8\)."],  # a list of values
    [r"\(AB = AC = BD\)"],  # segment names, not products
    [r"\(x^4 = 2y^2 = 4z^4\)"],  # equal values, not rewritings
    [r"Suppose \(x + 1 = x\); this is a contradiction."],
    [r"\(2x + 3 = 11\)", r"Let x be the number of pears. So \(x = 7\)."],  # a letter given a new meaning
    ["6 x 4 = 24 legs"],  # a times sign, not an unknown
    [r"\(f(x) = x + 1\), so \(f(x) = x + 2\)"],  # functions are not read
    [r"\(x = 2^{100} + x\)"],  # beyond the input limits
    [r"\(3x = 15\)", r"\(x = 6\)"],  # no word says the second is derived from the first
    ["We know 3x + 5 = 20.", "So A = 5 apples."],  # a label letter that is no unknown before
    [r"When \(x = 3\), \(2x + 1 = 7\), so \(x = 4\) gives \(2x + 1 = 9\)."],  # values tried
    [r"This gives three solutions: \[x = 0, \quad x = \sqrt{3}, \quad x = -\sqrt{3}\]"],  # roots side by side
    [r"\(x^2 - x - 72 = 0\)", r"From the first equation, we get: \[x = 0.\]"],  # another equation's value
    [r"\(2z^2 - z - 6 = 0\), so we discard \(z = -\frac{3}{2}\). Thus, \(z = 2\)."],
    [r"Expanding, \((x+1)^2 = x^2 + 2x + 1\)."],  # a right expansion
    [r"Expanding, \((x+1)(x-1) = 3x + 5\)."],  # an equation, not an attempted expansion
]


@pytest.mark.parametrize("steps", REFUTED)
def test_algebra_slips_are_refuted_with_evidence(steps):
    found = [r for results in run(*steps) for r in refuted(results)]
    assert found, steps
    assert all(r.claim and r.values and r.rule.startswith("algebra") and r.reason for r in found)


@pytest.mark.parametrize("steps", HOLDS_OR_ABSTAINS)
def test_valid_or_unread_algebra_is_never_refuted(steps):
    assert not [r for results in run(*steps) for r in refuted(results)], steps


def test_identities_and_consistent_derivations_hold():
    [identity] = run(r"\((a+b)^2 = a^2 + 2ab + b^2\)")
    assert [r.holds for r in identity] == [True]
    [steps] = run(r"\(3x + 5 = 20\), so \(3x = 15\).")
    assert [r.holds for r in steps] == [True]


def test_the_small_latex_subset_is_translated_and_the_rest_refused():
    assert equations.latex_to_plain(r"\frac{x}{2} + \sqrt{x^{2}} \cdot 3") == "((x)/(2)) + sqrt(x**(2)) * 3"
    with pytest.raises(ValueError):
        equations.latex_to_plain(r"\frac{x}{2")
    with pytest.raises(ValueError):
        equations.latex_to_plain(r"a_{n+1}")


def test_a_refuted_equation_refutes_the_step_in_the_labeler():
    rows = label(["Let x be the count. We know 3x + 5 = 20.", r"Subtracting 5, \(3x = 16\)."])
    assert rows[1].label is False and rows[0].label is not False


@settings(max_examples=200, deadline=2000)
@given(hostile)
def test_algebra_never_raises(text):
    state = algebra.State()
    results = algebra.check(text, state) + algebra.check(text, state)
    assert all(r.holds in (True, False, None) for r in results)


def test_pathological_algebra_is_quick():
    for text in PATHOLOGICAL + [r"\(x^{8} + x^{8} = (x+1)^{8} - (x-1)^{8} = (x + 2)^8\)",
                                r"\(\frac{x}{\frac{x}{\frac{x}{x+1}}} = \sqrt{\sqrt{x}} = x\)",
                                "\\(" + "+".join(f"{k}x" for k in range(60)) + " = 1\\)"]:
        t0 = time.perf_counter()
        algebra.check(text[:20000], algebra.State())
        assert time.perf_counter() - t0 < 2.0
