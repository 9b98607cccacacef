from steplabel.problems.steps import split_steps


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
