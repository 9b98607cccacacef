"""The verdict reader on critiques written the way real critics write them (tests/labelers/critiques.py)."""

import pytest

from steplabel.labelers.verdict import parse_verdict
from tests.labelers.critiques import CRITIQUES, PROBLEMS, Critique


def read(c: Critique):
    return parse_verdict(c.text, len(c.paragraphs), c.paragraphs)


@pytest.mark.parametrize("critique", CRITIQUES, ids=[f"{i}-{c.style}-{c.problem}" for i, c in enumerate(CRITIQUES)])
def test_each_critique_is_read_right_or_abstains(critique):
    verdict = read(critique)
    if critique.verdict is None:
        assert verdict.index is None and verdict.reason, critique.note
    else:
        assert verdict.index in (critique.verdict, None), (verdict, critique.note)


def test_corpus_counts():
    """At least 21 of every 25 read right and at most 1 of 25 wrong, for each critic style and overall."""
    decidable = [c for c in CRITIQUES if c.verdict is not None]
    assert len(CRITIQUES) >= 40 and {c.style for c in CRITIQUES} == {"qwen", "gpt4o", "llama"}
    for style in ("qwen", "gpt4o", "llama", None):
        group = [c for c in decidable if style in (None, c.style)]
        verdicts = [read(c) for c in group]
        right = sum(v.index == c.verdict for v, c in zip(verdicts, group))
        wrong = sum(v.index is not None and v.index != c.verdict for v, c in zip(verdicts, group))
        assert right * 25 >= 21 * len(group), (style, right, len(group))
        assert wrong * 25 <= len(group), (style, wrong)
    undecidable = [c for c in CRITIQUES if c.verdict is None]
    assert undecidable and all(read(c).index is None for c in undecidable)


def _critique(problem: str, text: str):
    paragraphs = PROBLEMS[problem][1]
    return parse_verdict(text, len(paragraphs), paragraphs)


def test_a_quoted_box_of_the_solution_does_not_outvote_the_stated_verdict():
    # The solution's own answer is \boxed{4}: a valid paragraph index once the solution is long enough.
    text = ("**Paragraph 0:** Correct.\n\n**Paragraph 1:** 2 × 12 = 24, not 28. Incorrect.\n\n"
            "**Paragraph 3:** The solution concludes with 44 − 40 = \\boxed{4}.\n\n"
            "The first error occurs in paragraph 1.")
    long = ["a", "b", "c", "Pages left: 44 − 40 = \\boxed{4}.", "e", "f"]
    assert parse_verdict(text, 6, long).index == 1
    # and without the solution at hand, the box is followed by a later verdict sentence: still 1
    assert parse_verdict(text, 6).index == 1


@pytest.mark.parametrize("text", [
    "The earliest error is in paragraph 1. No wait, the first error is in paragraph 3.",
    "The first error is in paragraph 1. Actually, 2x + 2 is right, so paragraph 1 is fine; the error is in paragraph 3.",
    "So the first error is in paragraph 2.\n\nHmm, let me recheck paragraph 2: it restates the equation, fine. "
    "The first error is in paragraph 3.\n\n\\boxed{3}",
])
def test_a_verdict_taken_back_gives_way_to_the_one_after_it(text):
    assert _critique("linear", text).index == 3


def test_the_final_verdict_wins_over_earlier_deliberation():
    text = ("I first suspected paragraph 0, since the first error seems to be in paragraph 0. "
            "But 3 × 12 = 36 is right.\n\nParagraph 1 is where it breaks: 36 − 7 = 29.\n\n"
            "The earliest error is in paragraph 1.")
    assert _critique("apples", text).index == 1


@pytest.mark.parametrize("text, reason", [
    ("Therefore the earliest error is in paragraph 1.\n\n\\boxed{2}", "conflicting"),
    ("The earliest error is in paragraph 1. The first error is in paragraph 3.", "conflicting"),
    ("**Paragraph 1:** Correct.\n\n**Paragraph 2:** Incorrect.\n\nThe earliest error is in paragraph 2.",
     "paragraph numbering uncertain"),
    ("Everything before is fine.\n\nStep 3 is incorrect.", "step numbering uncertain"),
    ("The earliest error is in paragraph 9.", "out of range"),
    ("Is the first error in paragraph 2? I need to look again.", "no verdict"),
    ("The solution is correct up to paragraph 2.", "no verdict"),
    ("All steps are correct except paragraph 3.", "no verdict"),
    ("Paragraph 1 is incorrect. Actually paragraph 2 is also incorrect.", "conflicting"),
])
def test_abstentions_keep_their_reason(text, reason):
    verdict = _critique("linear", text)
    assert verdict.index is None and reason in verdict.reason


def test_numbering_is_read_only_where_the_critique_makes_it_certain():
    # 1-based sections that quote the solution: certain
    quoted = ('### Paragraph 1\n> "Expand the left side: 2(x + 3) − 4 = 2x + 6 − 4."\nCorrect.\n\n'
              '### Paragraph 4\n> "Subtract 2x from both sides: 2 = x + 5."\nIncorrect.\n\n'
              "The earliest error is in Paragraph 4.")
    assert _critique("linear", quoted).index == 3
    # a walkthrough that mentions paragraph 0 is 0-based
    assert _critique("linear", "Paragraph 0 is right.\n\nThe earliest error is in paragraph 3.").index == 3
    # the solution's own "Step k" names
    assert _critique("pencils", "Step 3 is incorrect: 3 × 1.50 = 4.50.").index == 2
    # the critique's own "## Step k: … paragraph_j" headers
    headers = ("## Step 1: Check paragraph_0\nCorrect.\n\n## Step 2: Check paragraph_1\nWrong: 36 − 7 = 29.\n\n"
               "## Step 3: Conclusion\nThe error occurs in Step 2.")
    assert _critique("apples", headers).index == 1
    # ordinals count from one
    assert _critique("shirts", "The first error is in the sixth paragraph.").index == 5
    # mappings the critique states
    assert _critique("apples", "The first paragraph (Paragraph 1) is right. Paragraph 2 is incorrect.").index == 1
    assert _critique("apples", "Step 1 (<paragraph_0>) is fine. Step 2 is incorrect.").index == 1
    assert _critique("linear", "Paragraph 4 (index 3) contains the earliest error.").index == 3


@pytest.mark.parametrize("text", [
    "The solution is correct.",
    "I found no errors.",
    "All steps are correct.",
    "There are no errors in this solution.",
    "No paragraph contains an error, so the answer is -1.",
    "The solution does not contain any errors.",
])
def test_no_error_phrasings(text):
    assert _critique("rectangle", text).index == -1


@pytest.mark.parametrize("text", [
    "The solution is not correct; paragraph 1 is wrong.",
    "There is no error in paragraph 0, but paragraph 1 is wrong.",
    "To determine whether the solution is correct, check paragraph 1. Paragraph 1 is incorrect.",
    "All paragraphs are correct, but paragraph 1 is wrong.",
])
def test_local_or_negated_praise_is_not_a_no_error_verdict(text):
    assert _critique("apples", text).index == 1


@pytest.mark.parametrize("text, index", [
    ("The first error is not in paragraph 1 but in paragraph 2.", None),  # negated: never read as 1
    ("The earliest error is in the second step of paragraph 3.", 3),  # an ordinal inside a paragraph
    ("Task: return -1 if no paragraph is wrong.\nParagraph 2 is wrong.", 2),  # the instructions restated
    ("Output -1 when every paragraph is correct. Paragraph 2 is wrong.", 2),
    ("When adding the delivery, the first error occurs in paragraph 5.", 5),
])
def test_restated_instructions_negations_and_sub_steps(text, index):
    assert _critique("shirts", text).index == index
