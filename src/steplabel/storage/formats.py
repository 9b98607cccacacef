"""Export formats: what a row of each dataset form holds, its Arrow and card features, its plots.

A format turns one labeled solution (question, steps, hard labels, scores, first error) into a
row, or says why it cannot (``None``: undetermined before the first error). A new format is a
class here plus its line in ``steplabel.registry``.
"""

from __future__ import annotations

import pyarrow as pa


class ExportFormat:
    name = "base"
    schema: pa.Schema
    card_features: list[dict]
    score_plot = False  # whether rows carry per-step scores worth a histogram
    step_labels = True  # whether rows carry a label per step

    def row(self, question: str, steps: list[str], labels: list, scores: list, first_error: int) -> dict | None:
        raise NotImplementedError

    def first_error(self, row: dict) -> int:
        labels = row["labels"]
        return labels.index(False) if False in labels else -1

    def step_count(self, row: dict) -> int:
        return len(row["completions"])

    def negatives(self, row: dict) -> int:
        return sum(1 for x in row["labels"] if x is False)

    def scores(self, row: dict) -> list[float]:
        return []


def _prefix(labels: list, first_error: int) -> int | None:
    """Steps kept: up to and including the first error; None when one of them is undetermined."""
    keep = len(labels) if first_error == -1 else first_error + 1
    return None if any(lab is None for lab in labels[:keep]) else keep


class TRL(ExportFormat):
    """TRL's stepwise supervision, the form PRMTrainer consumes."""

    name = "trl"
    schema = pa.schema([("prompt", pa.string()), ("completions", pa.list_(pa.string())),
                        ("labels", pa.list_(pa.bool_()))])
    card_features = [{"name": "prompt", "dtype": "string"}, {"name": "completions", "sequence": "string"},
                     {"name": "labels", "sequence": "bool"}]

    def row(self, question, steps, labels, scores, first_error):
        keep = _prefix(labels, first_error)
        if keep is None:
            return None
        return {"prompt": question, "completions": steps[:keep], "labels": [bool(x) for x in labels[:keep]]}


class Soft(TRL):
    """TRL's form plus ``scores: list[float | null]``: each step's ``score``, the labeling source's
    probability that the step is correct (README, "What score means"); null where the labeler
    gave none, never a value made up from the hard label."""

    name = "soft"
    schema = TRL.schema.append(pa.field("scores", pa.list_(pa.float64())))
    card_features = [*TRL.card_features, {"name": "scores", "sequence": "float64"}]
    score_plot = True

    def row(self, question, steps, labels, scores, first_error):
        out = super().row(question, steps, labels, scores, first_error)
        if out is None:
            return None
        keep = len(out["labels"])
        out["scores"] = [None if x is None else float(x) for x in scores[:keep]]
        return out

    def scores(self, row):
        return row["scores"]


class ProcessBench(ExportFormat):
    """ProcessBench's form: the whole solution and its first wrong step (-1: none)."""

    name = "processbench"
    step_labels = False
    schema = pa.schema([("problem", pa.string()), ("steps", pa.list_(pa.string())), ("label", pa.int32())])
    card_features = [{"name": "problem", "dtype": "string"}, {"name": "steps", "sequence": "string"},
                     {"name": "label", "dtype": "int32"}]

    def row(self, question, steps, labels, scores, first_error):
        if _prefix(labels, first_error) is None:  # -1 or an error index that rests on unknown steps
            return None
        return {"problem": question, "steps": steps, "label": first_error}

    def first_error(self, row):
        return row["label"]

    def step_count(self, row):
        return len(row["steps"])

    def negatives(self, row):
        return 0
