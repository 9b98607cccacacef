"""Arrow schemas of the stored tables. Bump SCHEMA_VERSION when a column changes meaning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pyarrow as pa


SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    partitions: tuple[str, ...]  # hive partition keys, in path order


_PROBLEMS = pa.schema(
    [
        ("problem_id", pa.string()),
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("question", pa.string()),
        ("reference_answer", pa.string()),
        ("metadata", pa.string()),
    ]
)
_ROLLOUTS = pa.schema(
    [
        ("rollout_id", pa.string()),
        ("problem_id", pa.string()),
        ("run_id", pa.string()),
        ("sample_index", pa.int32()),
        ("engine", pa.string()),
        ("model", pa.string()),
        ("sampling", pa.string()),
        ("prompt", pa.string()),
        ("text", pa.string()),
        ("final_answer", pa.string()),
        ("correct", pa.bool_()),
        ("num_steps", pa.int32()),
        ("prompt_tokens", pa.int64()),
        ("generated_tokens", pa.int64()),
        ("finish_reason", pa.string()),
        ("truth_first_error", pa.int32()),
        ("origin", pa.string()),
        ("prompt_token_ids", pa.list_(pa.int32())),
        ("token_ids", pa.list_(pa.int32())),
    ]
)
_STEPS = pa.schema(
    [
        ("rollout_id", pa.string()),
        ("problem_id", pa.string()),
        ("run_id", pa.string()),
        ("step_index", pa.int32()),
        ("text", pa.string()),
        ("char_start", pa.int32()),
        ("char_end", pa.int32()),
        ("token_start", pa.int32()),
        ("token_end", pa.int32()),
    ]
)
_STEP_LABELS = pa.schema(
    [
        ("run_id", pa.string()),
        ("rollout_id", pa.string()),
        ("problem_id", pa.string()),
        ("step_index", pa.int32()),
        ("labeler", pa.string()),
        ("label", pa.bool_()),
        ("score", pa.float64()),
        ("first_error", pa.int32()),
        ("status", pa.string()),
        ("evidence", pa.string()),
        ("rollouts", pa.int32()),
        ("prompt_tokens", pa.int64()),
        ("generated_tokens", pa.int64()),
        ("engine_requests", pa.int32()),
        ("engine", pa.string()),
        ("model", pa.string()),
    ]
)
_QUARANTINE = pa.schema(
    [
        ("run_id", pa.string()),
        ("stage", pa.string()),
        ("source", pa.string()),
        ("location", pa.string()),
        ("reason", pa.string()),
        ("excerpt", pa.string()),
    ]
)

_TREES = pa.schema(
    [
        ("run_id", pa.string()),
        ("problem_id", pa.string()),
        ("labeler", pa.string()),
        ("node_id", pa.string()),
        ("parent_id", pa.string()),
        ("rollout_id", pa.string()),  # the solution whose first ``depth`` steps form the state
        ("depth", pa.int32()),  # steps in the prefix (0 = the question alone)
        ("mc", pa.float64()),
        ("correct", pa.int32()),
        ("total", pa.int32()),
        ("n", pa.int32()),  # times selected from the pool
        ("rollouts_spent", pa.int32()),
        ("kind", pa.string()),  # root | search | answer (judged by the final answer)
    ]
)

TABLES: dict[str, TableSpec] = {
    "problems": TableSpec("problems", _PROBLEMS, ("run_id",)),
    "rollouts": TableSpec("rollouts", _ROLLOUTS, ("run_id",)),
    "steps": TableSpec("steps", _STEPS, ("run_id",)),
    "step_labels": TableSpec("step_labels", _STEP_LABELS, ("run_id", "labeler")),
    "quarantine": TableSpec("quarantine", _QUARANTINE, ("run_id",)),
    "trees": TableSpec("trees", _TREES, ("run_id", "labeler")),
}


def to_arrow(table: str, records: Iterable[object]) -> pa.Table:
    """Records of one type to an Arrow table with that table's exact schema."""
    schema = TABLES[table].schema
    names = schema.names
    rows = [r if isinstance(r, dict) else {n: getattr(r, n) for n in names} for r in records]
    return pa.Table.from_pylist(rows, schema=schema).replace_schema_metadata(
        {"steplabel.schema_version": str(SCHEMA_VERSION), "steplabel.table": table}
    )
