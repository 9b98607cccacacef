import pyarrow as pa
import pytest

from steplabel.schemas import SCHEMA_VERSION, TABLES, StepLabel, to_arrow
from steplabel.schemas.records import QuarantineRecord, new_id


def test_step_labels_round_trip_with_exact_schema_and_version():
    rows = [
        StepLabel("r", "ro1", "p1", 0, "mc", True, 0.75, 1),
        StepLabel("r", "ro1", "p1", 1, "mc", False, 0.0, 1),
        StepLabel("r", "ro1", "p1", 2, "mc", None, None, 1, status="after_error"),
    ]
    table = to_arrow("step_labels", rows)
    assert table.schema.equals(TABLES["step_labels"].schema)
    assert table.schema.metadata[b"steplabel.schema_version"] == str(SCHEMA_VERSION).encode()
    assert table.column("label").to_pylist() == [True, False, None]
    assert table.column("score").to_pylist() == [0.75, 0.0, None]


def test_wrong_type_is_rejected():
    bad = StepLabel("r", "ro1", "p1", "zero", "mc", True, 0.5, -1)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        to_arrow("step_labels", [bad])


def test_ids_are_stable_and_distinct():
    assert new_id("run", "p", 0) == new_id("run", "p", 0)
    assert new_id("run", "p", 0) != new_id("run", "p", 1)
    # parts are separated: ("ab", "c") differs from ("a", "bc")
    assert new_id("ab", "c") != new_id("a", "bc")


def test_quarantine_excerpt_is_bounded():
    q = QuarantineRecord("f.jsonl", "f.jsonl:3", "invalid JSON", "x" * 10_000)
    assert len(q.excerpt) == 300 and q.excerpt.endswith("...")
