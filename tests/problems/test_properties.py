"""Property tests (hypothesis) for the problem loader, the step splitter and the answer checker
(issue 18): whatever the input, they return their documented result and never raise."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steplabel.problems.answers import answers_equivalent, check_answer, extract_final_answer
from steplabel.problems.sources import SourceError, SourceSpec, load_problems
from steplabel.problems.steps import split_steps
from tests.bounded import bounded

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
rows = st.one_of(
    st.fixed_dictionaries({"question": st.one_of(st.text(max_size=40), json_values),
                           "answer": st.one_of(st.sampled_from(["5", "#### 7", "\\boxed{3}", "1/0", "NaN", "x**2"]),
                                               st.text(max_size=20), json_values)},
                          optional={"id": json_values}),
    json_values,
)
lines = st.one_of(rows.map(lambda r: json.dumps(r).encode()), st.binary(max_size=60), st.text(max_size=60).map(str.encode))


def _meaningful(line: bytes, first: bool) -> bool:
    """A line the loader must account for: not blank, as bytes or (when it decodes) as text."""
    try:
        return bool(line.strip()) and bool(line.decode("utf-8-sig" if first else "utf-8").strip())
    except UnicodeDecodeError:
        return bool(line.strip())


def _load(path):
    try:
        return bounded(load_problems, SourceSpec(str(path)))
    except SourceError as exc:
        return exc


@FAST
@given(st.lists(lines, min_size=1, max_size=12))
def test_every_line_is_a_problem_or_a_quarantine_row(tmp_path_factory, raw_lines):
    path = tmp_path_factory.mktemp("p") / "p.jsonl"
    body = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in raw_lines) + b"\n"
    path.write_bytes(body)
    meaningful = [line for i, line in enumerate(body.split(b"\n")) if _meaningful(line, i == 0)]
    result = _load(path)
    if isinstance(result, SourceError):
        assert "no rows" in str(result) and not meaningful
        return
    assert len(result.problems) + len(result.quarantine) == len(meaningful)
    for p in result.problems:  # what is stored is valid text, with a parsable reference
        assert p.question.strip() and p.reference_answer
        (p.question + p.reference_answer + p.problem_id).encode("utf-8")
    for q in result.quarantine:
        assert re.fullmatch(rf"{re.escape(str(path))}:\d+", q.location) and q.reason


@FAST
@given(st.lists(rows, min_size=1, max_size=8))
def test_a_json_list_file_loads_row_by_row(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("p") / "p.json"
    path.write_text(json.dumps(values))
    result = _load(path)
    assert not isinstance(result, SourceError)
    assert len(result.problems) + len(result.quarantine) == len(values)


SEPARATORS = [r"\n\s*\n", r"\n", r"Step \d+:", r"[.;]\s+", r"\n(?=\d+\.)"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab 1.;:\n\t") + ["Step 2:", "\u00a0", "\u2028"]), max_size=60).map("".join),
       st.sampled_from(SEPARATORS))
def test_steps_are_the_text_between_separators(text, separator):
    spans = split_steps(text, separator)
    pos = 0
    for s in spans:
        assert s.text and s.text == s.text.strip() and text[s.start:s.end] == s.text and s.start >= pos
        pos = s.end
    # nothing but separators and white space is lost
    kept = "".join(s.text for s in spans)
    assert re.sub(r"\s", "", kept) == re.sub(r"\s", "", "".join(re.split(separator, text)))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_the_answer_checker_answers_any_text(text):
    answer, correct = bounded(check_answer, "5", text)
    assert answer is None or isinstance(answer, str)
    assert correct in (True, False) and (answer is not None or correct is False)


@settings(max_examples=100, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_integers_are_equivalent_exactly_when_equal(m, n):
    assert answers_equivalent(str(m), str(n)) == (m == n)
    assert check_answer(str(m), f"So the total is \\boxed{{{n}}}.") == (str(n), m == n)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789+-x/^ ()")), min_size=1, max_size=20).filter(str.strip))
def test_the_last_box_is_the_answer(content):
    assert extract_final_answer(f"\\boxed{{9}} then \\boxed{{{content}}}") == content.strip()


@pytest.mark.parametrize("tower", ["2^{2^{2^{100}}}", "9^{9^{9}}", "10^{10^{10}}"])
def test_a_tower_matches_only_its_own_text(tower):
    assert bounded(answers_equivalent, tower, tower) is True
    assert bounded(answers_equivalent, tower, "5") is False
