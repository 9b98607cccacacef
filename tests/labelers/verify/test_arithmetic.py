import pytest

from steplabel.labelers.verify.arithmetic import check_step, evaluate

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
    "6 x 4 = 24 legs",
    "Total gallons purchased = $3.5 * 4000 = $14,000",
    r"\[ 5! / 2! = 60 \]",
    r"Mixed: 2\frac{1}{2} + 1 = 3.5",
    "180 minutes (before dinner) + 80 minutes (homework) = 260 minutes.",
    "3 days * 1 hour/day = 3 hours",
    "370 / 110 = 3.363...",  # truncated, marked
    "150 tasks/day × $1.20/task = $180/day (per cycle).",
    r"\( 3^4 = 81 \equiv 1 \pmod{10} \)",
    r"\[ 2 + 1 = 13 \pmod{10} \]",
    "So 100% - 20% = 80% of what she said.",
    "1/3 = 0.333",
    "2 / 3 ≈ 0.67",
    r"\sqrt{2} \approx 1.414",
    "Total time = 20 + 23. Total time = 43 minutes.",  # a restated label
    "2(1)^4 + 4(1)^3 = 6",
    "so 62.8 / 1 ≈ 60",  # trailing zeros of an approximation are not significant
    "because 100 = 2^2 * 5^2",
    r"\(\binom{9}{7} = 36\)",
    "so there are C(9, 7) = 36 ways and P(5, 3) = 60 orders",
    "1529 ÷ 6 = 254 with a remainder of 5.",
    r"\(1121 \div 3^5 = 1121 \div 243 = 4\) remainder \(149\)",
]
REFUTED = [
    ("The cards: 43 * 3 = 128.", "129, not 128"),
    ("Then 2 + 2 = 4 = 5.", "not 5"),
    ("One of 3 bags: 47 / 3 = 15.5 apples.", "not 15.5"),  # wrong even after rounding or truncation
    (r"\( 4x - 13 = 4(40) - 13 = 157 \)", "147, not 157"),
    (r"\[ \text{Total fruits} = 52 + 24 + 44 + 48 \] \[ \text{Total fruits} = 178 \]", "168, not 178"),
    ("So 2 / 3 ≈ 0.9.", "not 0.9"),
    ("So 18.75 + 21.43 ≈ 39.18 in all.", "not 39.18"),
    ("Divide: 1529 ÷ 6 = 255 with a remainder of 4.", "not quotient 255 remainder 4"),
    (r"So \(2^{10} \equiv 3 \pmod{7}\).", "1024 ≡ 2, not 3 (mod 7)"),
    (r"\[ 11^2 \equiv 21 \equiv 2 \pmod{10} \]", "not 2 (mod 10)"),
    (r"Then \(770 \div 333 = 2\) with a remainder of \(58\).", "not quotient 2 remainder 58"),  # written decimals: nothing to excuse
    ("The GCD is 13 because 187 = 13 * 14.", "13 * 14 = 182, not 187"),  # a number stated first
    (r"\[ 19 = 5 \times 4 \]", "not 19"),
    ("A = (5 + 2 * 1 - 6) = (5 + 2 - 6) = 2.", "1, not 2"),
]
UNCHECKED = [
    "No numbers here.",
    "She has 12 apples.",
    "10^10^10 = 1",
    "2^1000000 = 5",
    "9" * 60 + " + 1 = 2",
    "y * 2 = 4",  # y was never defined
    "So 5 / 0 = 3.",  # division by zero: a parse we do not trust, not a refutation
    "Total oranges in 8 boxes = 8 * 20 = 160",  # "8 = 8*20": the left side is a label
    "9x - 21 = 339",  # algebra
    "3x = 3(12) = 36",  # algebra: not "(12) = 36"
    "12 * 10 = 120 cents = 1.20",  # a conversion inside a chain
    "1st - 5 = 6th",  # ordinals
    "She moved from 6th + 2 = 7th place",
    "Pages 5-10 = 3 hours of reading",  # a range
    "At 3:45 + 15 = 4:00",  # clock times
    "47 / 3 = 16 bags",  # a whole number for a fraction may be a rounding up
    "2 / 3 ≈ 0.65",  # a loose approximation: not refuted
    "25 / 100 × 100 = 25%",  # percent notation
    "3 * 4 = 12 + 5 = 17",  # a run-on chain: the first "=" is not a claim of equality
    "twice 3 + 1 = 8",  # an operation word before the left side
    "3 + 4 squared = 19",
    r"\sqrt[3]{27} = 4",
    r"\frac{82}{81} \cdot \frac{83}{82} \cdots \frac{100}{99} = \frac{100}{81}",
    "- 12 + 1 = 13",  # a bullet, not a minus
    "Day 3 = 3 * 5 = 15",  # the lone number is part of a label
    "Day 3 = 4 * 5 = 20",
    "C(9, 7) = (9 * 8 * 7 * 6 * 5 * 4) / (7 * 6 * 5 * 4 * 3 * 2 * 1) = 36",  # a slip, the result holds
    "point C(3, 4) = 5 units away",
    r"If \(x = 2\), then \(y = 3 + 4\); if \(x = 3\), then \(y = 3 + 5\).",  # separate cases
    "Remaining = 50 - 10. Then remaining = 40 - 5.",  # an update, not a restatement
    "The share is (2/3) * 100 = 66.67%.",  # percent notation, rounded
    "Let B = 3. Let C = 4. Then 1 + B = 2 + C.",  # an equation between names
    r"\( 7 \equiv 3 \) in this ring",  # no modulus we read
    r"\( x^2 \equiv 3 \pmod{7} \)",
    r"\[ x = \frac{5 + 1}{2} \] \[ x = 2 \]",  # two roots, not a restatement
    r"\[ \text{Total} = 720 \times 24 \times 120 \] \[ \text{Total} = 720 \times 24 = 17280 \]",
    r"Gain = (coins after round 1) × \( \frac{1}{100} = \frac{101}{100} \times \frac{1}{100} \)",
]


@pytest.mark.parametrize("text", HOLDS)
def test_true_claims_hold(text):
    verdict, results = check_step(text, {})
    assert verdict is True and results, [(r.claim, r.reason) for r in results]


@pytest.mark.parametrize("text, reason", REFUTED)
def test_false_claims_are_refuted_with_the_reason(text, reason):
    verdict, results = check_step(text, {})
    assert verdict is False, [(r.claim, r.holds, r.reason) for r in results]
    assert any(reason in r.reason for r in results if r.holds is False)


@pytest.mark.parametrize("text", UNCHECKED)
def test_unread_or_ambiguous_claims_are_never_refuted(text):
    verdict, results = check_step(text, {})
    assert verdict is not False, [(r.claim, r.holds, r.reason) for r in results]


def test_refutation_evidence_keeps_the_claim_as_written_the_values_and_the_rule():
    verdict, results = check_step(r"Thus \(12 \times 3 = 38\) cookies.", {})
    [r] = [r for r in results if r.holds is False]
    assert r.claim == r"12 \times 3 = 38" and r.values == ["36", "38"] and r.rule == "exact"


def test_a_slip_in_the_working_that_does_not_change_the_result_is_not_refuted():
    verdict, results = check_step(r"\frac{5!}{2!} = \frac{5 \times 4 \times 3}{2 \times 1} = 60", {})
    assert verdict is None and any(r.rule == "slip in the working" for r in results)


def test_names_carry_to_later_steps_only_from_prose():
    names = {}
    assert check_step("Let x = 3 + 4 = 7.", names)[0] is True
    assert check_step("Then x * 2 = 14.", names)[0] is True
    verdict, results = check_step("So x * 3 = 20.", names)
    assert verdict is False and "21, not 20" in results[0].reason
    # a variable inside math is algebra: never bound, never substituted
    names = {}
    check_step(r"Take \(y = 2\).", names)
    assert "y" not in names and check_step(r"Then \(y^2 - 9 = 0\).", names)[0] is None


def test_evaluate_reads_whole_expressions_only():
    assert evaluate("3/4 + 1/4") == 1 and evaluate("1,000") == 1000
    for bad in ("3 apples and", "import os", "2^^2", ""):
        with pytest.raises(ValueError):
            evaluate(bad)


def test_a_step_is_verified_only_if_every_number_it_states_is_checked():
    verdict, results = check_step("The swim takes 45 minutes. So 40 + 60 = 100 minutes.", {})
    assert verdict is None and results[-1].rule == "unchecked number" and "45" in results[-1].reason
    assert check_step("She gives away 12 apples, so 21 - 12 = 9.", {})[0] is True
    assert check_step("She is on the 3rd floor, so 3 + 4 = 7.", {})[0] is None  # an ordinal is stated too
