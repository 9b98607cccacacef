import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steplabel.problems.sources import ColumnMap, SourceError, SourceSpec, load_problems


def write_jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_gsm8k_style(tmp_path):
    f = write_jsonl(tmp_path / "g.jsonl", [
        {"question": "Tom has 2 and gets 3. How many?", "answer": "2 + 3 = 5\n#### 5"},
        {"question": "Half of 8?", "answer": "8 / 2 = 4\n#### 4"},
    ])
    result = load_problems(SourceSpec(str(f)))
    assert [p.reference_answer for p in result.problems] == ["5", "4"]
    assert result.quarantine == []


def test_math_style_json_list(tmp_path):
    f = tmp_path / "m.json"
    f.write_text(json.dumps([{"problem": "Compute 1/2 + 1/4.", "solution": r"We get \boxed{\frac{3}{4}}."}]))
    (p,) = load_problems(SourceSpec(str(f))).problems
    assert p.reference_answer == r"\frac{3}{4}" and p.question == "Compute 1/2 + 1/4."


def test_explicit_columns_from_parquet(tmp_path):
    f = tmp_path / "p.parquet"
    pq.write_table(pa.table({"q": ["1+1?", "2+2?"], "gold": [2, 4], "key": ["a", "b"]}), f)
    spec = SourceSpec(str(f), columns=ColumnMap(question="q", answer="gold", id="key"))
    problems = load_problems(spec).problems
    assert [(p.problem_id, p.reference_answer) for p in problems] == [("a", "2"), ("b", "4")]


def test_hf_dataset_from_local_folder(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", [{"question": "3*3?", "answer": "#### 9"}])
    (p,) = load_problems(SourceSpec(f"hf:{folder}", split="train")).problems
    assert p.reference_answer == "9"


def test_bad_rows_are_quarantined_with_file_line_and_reason(tmp_path):
    f = write_jsonl(tmp_path / "bad.jsonl", [
        {"question": "ok?", "answer": "#### 1", "id": "a"},
        "{not json",
        {"answer": "#### 2"},
        {"question": "   ", "answer": "3"},
        {"question": "no answer marker", "answer": "#### "},
        {"question": "unparsable", "answer": "@@@"},
        {"question": "dup", "answer": "5", "id": "a"},
        {"question": ["list"], "answer": "5"},
        '["an array"]',
    ])
    (tmp_path / "bad.jsonl").write_bytes(f.read_bytes() + b'{"question": "\xff\xfe", "answer": "1"}\n')
    result = load_problems(SourceSpec(str(f)))
    assert [p.problem_id for p in result.problems] == ["a"]
    reasons = {q.location.rsplit(":", 1)[1]: q.reason for q in result.quarantine}
    assert reasons["2"].startswith("invalid JSON")
    assert "missing question" in reasons["3"]
    assert "is empty" in reasons["4"]
    assert "no final answer" in reasons["5"]
    assert "cannot be parsed" in reasons["6"]
    assert "duplicate problem id 'a'" in reasons["7"]
    assert "must be text" in reasons["8"]
    assert "expected an object" in reasons["9"]
    assert "invalid UTF-8" in reasons["10"]
    assert all(q.location.startswith(str(f)) for q in result.quarantine)


def test_limit_counts_valid_problems(tmp_path):
    f = write_jsonl(tmp_path / "l.jsonl", ["oops"] + [{"question": f"q{i}", "answer": str(i)} for i in range(5)])
    result = load_problems(SourceSpec(str(f), limit=3))
    assert len(result.problems) == 3 and len(result.quarantine) == 1


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.jsonl", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "x.csv").write_text("a") and d / "x.csv", "unknown file type"),
])
def test_unreadable_sources_raise_a_clear_error(tmp_path, make, message):
    with pytest.raises(SourceError, match=message):
        load_problems(SourceSpec(str(make(tmp_path))))


def test_synthetic_source_is_deterministic():
    a = load_problems(SourceSpec("synthetic:arith", limit=10, seed=1)).problems
    b = load_problems(SourceSpec("synthetic:arith", limit=10, seed=1)).problems
    assert a == b and len(a) == 10 and a[0].problem_id == "arith-1-000000"
    with pytest.raises(SourceError, match="unknown synthetic world"):
        load_problems(SourceSpec("synthetic:chess"))
