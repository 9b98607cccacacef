import pytest

from steplabel.problems.steps import split_steps, stated_value


def test_blank_lines_split_and_spans_point_into_the_text():
    text = "  First step.\n\nSecond step\nstill second.\n \n\n\nThird. "
    spans = split_steps(text)
    assert [s.text for s in spans] == ["First step.", "Second step\nstill second.", "Third."]
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_custom_separator():
    spans = split_steps("Step 1: a\nStep 2: b\nStep 3: c", r"\n(?=Step \d+:)")
    assert [s.text for s in spans] == ["Step 1: a", "Step 2: b", "Step 3: c"]


def test_empty_text_has_no_steps():
    assert split_steps("   \n\n  ") == []


@pytest.mark.parametrize("step, value", [
    ("6 packs of 4 make 6 * 4 = 26 apples, so 1 + 26 = 27.", "27"),
    ("The total is 1,200.50 dollars.", "1200.5"),
    ("So x = 12.0 and we are done", "12"),
    ("It drops to -3 degrees.", "-3"),
    ("Nothing is left: 0.00", "0"),
    ("We compare the two sides.", None),
])
def test_a_step_states_its_last_number_written_one_way(step, value):
    assert stated_value(step) == value
