import pytest

from steplabel.labelers.verify.arithmetic import check_step, extract_claims

HOLDS = [
    "She finds 12 more stickers, so 35 + 12 = 47.",
    "4 packs of 5 make 4 * 5 = 20 marbles, so 38 + 20 = 58.",
    "One of 3 equal bags holds 47 / 3 = 15.67 apples.",  # rounded to its stated places
    r"We get \(\frac{3}{4} + \frac{1}{4} = 1\).",
    r"So $2 \times 3 + 1 = 7$.",
    r"Then \$5 + \$3 = \$8 in total.",
    "5 cm + 3 cm = 8 cm",
    "20% of 50 = 10",
    "1,000 + 250 = 1,250",
    "It is 3 - 5 = -2.",
    "2^10 = 1024",
    "12 × 3 ÷ 4 = 9",
]
REFUTED = [
    ("The cards: 43 * 3 = 128.", "43*3 = 129, not 128"),
    ("Then 2 + 2 = 4 = 5.", "not 5"),
    ("One of 3 bags: 47 / 3 = 15.6 apples.", "not 15.6"),  # wrong even after rounding
    ("So 5 / 0 = 3.", "divides by zero"),
]
UNKNOWN = [
    ("No numbers here.", None),
    ("She has 12 apples.", None),
    ("10^10^10 = 1", "more than one power"),
    ("2^1000000 = 5", "exponent"),
    ("9" * 60 + " + 1 = 2", "more than 40 digits"),
    ("y * 2 = 4", None),  # y was never defined: not a claim about known values
]


@pytest.mark.parametrize("text", HOLDS)
def test_true_claims_hold(text):
    verdict, results = check_step(text, {})
    assert verdict is True and results, [(r.claim, r.reason) for r in results]


@pytest.mark.parametrize("text, reason", REFUTED)
def test_false_claims_are_refuted_with_the_reason(text, reason):
    verdict, results = check_step(text, {})
    assert verdict is False and any(reason in r.reason for r in results)


@pytest.mark.parametrize("text, reason", UNKNOWN)
def test_unchecked_steps_stay_unknown(text, reason):
    verdict, results = check_step(text, {})
    assert verdict is None
    if reason:
        assert any(reason in r.reason for r in results)


def test_assignments_carry_to_later_steps():
    names = {}
    assert check_step("Let x = 3 + 4 = 7.", names)[0] is True
    assert check_step("Then x * 2 = 14.", names)[0] is True
    verdict, results = check_step("So x * 3 = 20.", names)
    assert verdict is False and "x*3 = 21, not 20" in results[0].reason


def test_every_claim_in_a_step_is_found():
    claims = extract_claims("First 2 + 3 = 5, then 5 * 4 = 20 and 20 - 1 = 19.")
    assert [c.sides for c in claims] == [["2+3", "5"], ["5*4", "20"], ["20-1", "19"]]
