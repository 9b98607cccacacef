"""Record types shared by every stage, and their Arrow schemas."""

from steplabel.schemas.bundles import Generated, Labeled
from steplabel.schemas.arrow import SCHEMA_VERSION, TABLES, TableSpec, to_arrow
from steplabel.schemas.records import (
    AFTER_ERROR,
    DEFAULT_SEPARATOR,
    Problem,
    QuarantineRecord,
    Rollout,
    Step,
    StepLabel,
    UNSOLVED,
    new_id,
)

__all__ = [
    "AFTER_ERROR",
    "Generated",
    "Labeled",
    "DEFAULT_SEPARATOR",
    "SCHEMA_VERSION",
    "TABLES",
    "Problem",
    "QuarantineRecord",
    "Rollout",
    "Step",
    "StepLabel",
    "TableSpec",
    "UNSOLVED",
    "new_id",
    "to_arrow",
]
