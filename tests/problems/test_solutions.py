"""The loader of given solutions: each shape, the human label kept apart, bad rows quarantined."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steplabel.problems.solutions import SolutionsSpec, load_solutions
from steplabel.problems.sources import ColumnMap, SourceError

STEPS = ["He gives away 3 stamps, so 23 - 3 = 20.", "He finds 6 more, so 20 + 6 = 26.",
         "So 26 + 32 = 58. The answer is \\boxed{58}."]
QUESTION = "Theo has 23 stamps. He gives 3 away, finds 6, then 32. How many now?"


def load(tmp_path, rows, name="s.jsonl", **spec):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path, load_solutions(SolutionsSpec(str(path), **spec))


def math_shepherd(question, steps, marks=None):
    body = "\n".join(f"Step {i + 1}: {s} ки" for i, s in enumerate(steps))
    row = {"input": f"{question} {body}"}
    if marks:
        pieces = row["input"].split("ки")
        row["label"] = "".join(p + m for p, m in zip(pieces, marks)) + pieces[-1]
    return row


@pytest.mark.parametrize("row, shape", [
    ({"problem": QUESTION, "steps": STEPS, "answer": "58", "label": -1}, "steps"),
    ({"question": QUESTION, "response": "\n\n".join(STEPS), "answer": "58"}, "text"),
    ({"prompt": QUESTION, "solution": "\n\n".join(STEPS), "reference_answer": "58"}, "text"),
    (math_shepherd(QUESTION, STEPS, "+++"), "math-shepherd"),
])
def test_each_shape_gives_the_same_question_and_steps(tmp_path, row, shape):
    _, loaded = load(tmp_path, [row])
    assert not loaded.quarantine
    (s,) = loaded.solutions
    assert (s.shape, s.question, list(s.steps)) == (shape, QUESTION, STEPS)
    assert [s.text[a:b] for a, b in s.spans] == STEPS  # the spans cut the stored text into the steps
    assert s.reference_answer == (None if shape == "math-shepherd" else "58")


def test_math_shepherd_tags_give_the_first_wrong_step(tmp_path):
    other = [STEPS[0], "He finds 6 more, so 20 + 6 = 27.", "So 27 + 32 = 59. The answer is \\boxed{59}."]
    _, loaded = load(tmp_path, [math_shepherd(QUESTION, other, "+-+"), math_shepherd(QUESTION, STEPS, "+++"),
                                math_shepherd(QUESTION, STEPS[:2])])
    assert [s.human_first_error for s in loaded.solutions] == [1, -1, None]
    assert [list(s.steps) for s in loaded.solutions] == [other, STEPS, STEPS[:2]]
    # The same text twice is the same solution (no id given: the id comes from the content).
    _, again = load(tmp_path, [math_shepherd(QUESTION, STEPS, "+++")] * 2)
    assert len(again.solutions) == 1 and "the same question and solution as at" in again.quarantine[0].reason


@pytest.mark.parametrize("labels, first_error", [
    ([True, True, True], -1), ([True, False, False], 1), ([1, 0, 1], -1), ([1, 0, -1], 2), ([-1, 1, 1], 0),
])
def test_per_step_verdicts_trl_and_prm800k_style_give_the_first_wrong_step(tmp_path, labels, first_error):
    _, loaded = load(tmp_path, [{"prompt": QUESTION, "completions": STEPS, "labels": labels}])
    (s,) = loaded.solutions
    assert (list(s.steps), s.human_first_error) == (STEPS, first_error)


@pytest.mark.parametrize("labels", [[True, True], [True, "yes", True], [2, 1, 1]])
def test_per_step_verdicts_must_match_the_steps(tmp_path, labels):
    _, loaded = load(tmp_path, [{"prompt": QUESTION, "completions": STEPS, "labels": labels}])
    assert not loaded.solutions and "one verdict per step" in loaded.quarantine[0].reason


def test_solutions_of_one_question_are_one_problem(tmp_path):
    rows = [{"id": f"r{i}", "problem": QUESTION, "steps": STEPS[: i + 1], "answer": "58"} for i in range(3)]
    rows.append({"id": "other", "problem": "Another question?", "steps": STEPS, "answer": "58"})
    _, loaded = load(tmp_path, rows)
    problems = loaded.problems("s.jsonl")
    assert [len(p.solutions) for p in problems] == [3, 1]
    assert [s.solution_id for s in problems[0].solutions] == ["r0", "r1", "r2"]


def test_a_missing_or_unparsable_answer_keeps_the_row_and_says_why(tmp_path):
    _, loaded = load(tmp_path, [{"problem": QUESTION, "steps": STEPS},
                                {"problem": QUESTION, "steps": STEPS[:2], "answer": "{{{"}])
    assert [s.reference_answer for s in loaded.solutions] == [None, None]
    assert "no reference answer" in loaded.solutions[0].answer_issue
    assert "cannot be parsed" in loaded.solutions[1].answer_issue


@pytest.mark.parametrize("row, reason", [
    ('{"problem": "p", "steps": ["a"]', "invalid JSON"),
    ({"problem": "p"}, "missing solution"),
    ({"steps": ["a"]}, "missing question"),
    ({"problem": "", "steps": ["a"]}, "'problem'"),
    ({"problem": "p", "steps": []}, "'steps'"),
    ({"problem": "p", "steps": ["a", 3]}, "'steps'"),
    ({"problem": "p", "response": "  \n\n  "}, "'response'"),
    ({"problem": "p", "steps": ["a"], "label": 1}, "'label'"),
    ({"problem": "p", "steps": ["a"], "id": {"x": 1}}, "'id'"),
    ({"input": "Step 1: a ки"}, "no question"),
    ({"input": "Q? Step 1: a ки", "label": "Q? Step 1: a ?"}, "does not match"),
    ([1, 2], "expected an object"),
])
def test_bad_rows_are_quarantined_with_file_line_and_reason(tmp_path, row, reason):
    good = {"id": "ok", "problem": "p", "steps": ["a"]}
    path, loaded = load(tmp_path, [good, row, {**good, "id": "ok2"}])
    assert [s.solution_id for s in loaded.solutions] == ["ok", "ok2"]
    (q,) = loaded.quarantine
    assert q.location == f"{path}:2" and reason in q.reason, q.reason


def test_duplicate_ids_and_invalid_utf8_are_quarantined(tmp_path):
    path = tmp_path / "s.jsonl"
    row = json.dumps({"id": "a", "problem": "p", "steps": ["x"]}).encode()
    path.write_bytes(row + b"\n" + row + b"\n" + b'{"problem": "\xff"}\n')
    loaded = load_solutions(SolutionsSpec(str(path)))
    assert len(loaded.solutions) == 1
    assert ["duplicate solution id 'a'" in loaded.quarantine[0].reason, "invalid UTF-8" in loaded.quarantine[1].reason] \
        == [True, True]
    assert [q.location for q in loaded.quarantine] == [f"{path}:2", f"{path}:3"]


def test_columns_can_be_mapped_and_a_file_must_exist(tmp_path):
    row = {"q": QUESTION, "cot": STEPS, "gt": "58", "key": 7}
    _, loaded = load(tmp_path, [row], columns=ColumnMap(question="q", answer="gt", id="key"), solution_column="cot")
    (s,) = loaded.solutions
    assert (s.question, s.steps, s.reference_answer, s.solution_id) == (QUESTION, tuple(STEPS), "58", "7")
    with pytest.raises(SourceError, match="no such file"):
        load_solutions(SolutionsSpec(str(tmp_path / "missing.jsonl")))


def test_json_lists_and_parquet_files_are_read_with_their_locations(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": "a", "problem": QUESTION, "steps": STEPS}, {"id": "b", "problem": "", "steps": STEPS}]
    (tmp_path / "s.json").write_text(json.dumps(rows))
    loaded = load_solutions(SolutionsSpec(str(tmp_path / "s.json")))
    assert [s.solution_id for s in loaded.solutions] == ["a"] and loaded.quarantine[0].location.endswith("s.json[1]")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "s.parquet")
    loaded = load_solutions(SolutionsSpec(str(tmp_path / "s.parquet")))
    assert [list(s.steps) for s in loaded.solutions] == [STEPS]
    assert loaded.quarantine[0].location.endswith("s.parquet#row=1")


def test_a_local_dataset_folder_is_read_as_hf(tmp_path):
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "train.jsonl").write_text(json.dumps({"id": "a", "question": QUESTION, "response": "\n\n".join(STEPS),
                                                    "answer": "58"}) + "\n")
    loaded = load_solutions(SolutionsSpec(f"hf:{folder}"))
    (s,) = loaded.solutions
    assert list(s.steps) == STEPS and s.location == f"hf:{folder}[train][0]"


step_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
                    min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(st.lists(step_text, min_size=1, max_size=6))
def test_a_list_of_steps_and_its_text_give_the_same_steps(tmp_path_factory, steps):
    tmp_path = tmp_path_factory.mktemp("p")
    _, loaded = load(tmp_path, [{"id": 1, "problem": "q", "steps": steps},
                                {"id": 2, "problem": "q", "solution": "\n\n".join(steps)}])
    as_list, as_text = loaded.solutions
    assert list(as_list.steps) == steps and [as_list.text[a:b] for a, b in as_list.spans] == steps
    assert as_text.steps == as_list.steps and as_text.text == as_list.text and as_text.spans == as_list.spans
