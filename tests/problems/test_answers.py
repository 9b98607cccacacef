import threading

import pytest

from steplabel.problems.answers import (
    answer_key,
    answers_equivalent,
    check_answer,
    extract_final_answer,
    last_boxed,
    reference_from_gsm8k,
)


def test_last_boxed_balances_braces():
    assert last_boxed(r"so \boxed{1} then \boxed{\frac{1}{2}} done") == r"\frac{1}{2}"
    assert last_boxed(r"\boxed{unclosed") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (r"The answer is \boxed{42}.", "42"),
        ("work\n#### 1,234", "1234"),
        ("So the answer is 17.", "17"),
        ("no answer here", None),
    ],
)
def test_extract_final_answer(text, expected):
    assert extract_final_answer(text) == expected


def test_gsm8k_reference():
    assert reference_from_gsm8k("She has 3 + 4 = 7 apples.\n#### 7") == "7"


@pytest.mark.parametrize(
    "gold, pred, same",
    [("42", "42.0", True), (r"\frac{1}{2}", "0.5", True), ("3", "4", False), ("x^2", "x*x", True)],
)
def test_equivalence_is_mathematical(gold, pred, same):
    assert answers_equivalent(gold, pred) is same


def test_works_outside_the_main_thread():
    # math-verify's default timeouts use signal.alarm and refuse to run in a thread.
    out = {}
    t = threading.Thread(target=lambda: out.update(r=check_answer("2/3", r"\boxed{\frac{2}{3}}")))
    t.start()
    t.join()
    assert out["r"] == (r"\frac{2}{3}", True)


def test_answer_key_meets_spellings_of_one_value_and_keeps_others_apart():
    same = {answer_key(a) for a in ["207", "207.0", " $207$ ", "207.", "207.000"]}
    assert same == {"207"}
    assert answer_key("2,070") == answer_key("2070") == "2070"
    assert answer_key("1,2") != answer_key("12")  # a list, not a thousands separator
    assert answer_key("-3.50") == "-3.5" and answer_key("x = 4") == "x=4"
    assert answer_key("nan") == "nan" and answer_key("inf") == "inf"
    assert len({answer_key(a) for a in ["68", "57", "75", "70"]}) == 4
