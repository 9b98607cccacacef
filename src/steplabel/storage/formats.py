"""Export formats: what a row of each dataset form holds, its Arrow and card features, its plots.

A format turns one labeled solution (question, steps, hard labels, scores, first error) into a
row, or says why it cannot (``None``: undetermined before the first error). A new format is a
class here plus its line in ``steplabel.registry``.

Every row also carries provenance (``run_id``, ``rollout_id``, ``labeler``: ``PROVENANCE``),
added by the export, so a user can join a row back to the store's ``step_labels`` and see the
evidence and cost behind it.
"""

from __future__ import annotations

import re

import pyarrow as pa

PROVENANCE = [pa.field("run_id", pa.string()), pa.field("rollout_id", pa.string()), pa.field("labeler", pa.string())]
PROVENANCE_FEATURES = [{"name": f.name, "dtype": "string"} for f in PROVENANCE]

# Math-Shepherd's step tag (Cyrillic "ки"): the token a PRM is trained to score, replaced by
# "+" / "-" in the label text; OpenRLHF's ``--placeholder_token`` in its PRM recipe.
STEP_TAG = "ки"


class ExportFormat:
    name = "base"
    schema: pa.Schema
    card_features: list[dict]
    score_plot = False  # whether rows carry per-step scores worth a histogram
    step_labels = True  # whether rows carry a label per step
    # Whether a row may stand for a prefix of a solution (tree exports, one row per distinct
    # prefix). False for forms whose rows are whole solutions by definition (ProcessBench's -1
    # means "the whole solution is right", which a prefix cannot say).
    prefix_rows = True

    def row(self, question: str, steps: list[str], labels: list, scores: list, first_error: int) -> dict | None:
        raise NotImplementedError

    def with_provenance(self, row: dict, run_id: str, rollout_id: str, labeler: str) -> dict:
        return {**row, "run_id": run_id, "rollout_id": rollout_id, "labeler": labeler}

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
    """ProcessBench's form: the whole solution and its first wrong step (-1: none); ``id`` is the
    rollout id, as ProcessBench's own rows carry an id."""

    name = "processbench"
    step_labels = False
    prefix_rows = False
    schema = pa.schema([("id", pa.string()), ("problem", pa.string()), ("steps", pa.list_(pa.string())),
                        ("label", pa.int32())])
    card_features = [{"name": "id", "dtype": "string"}, {"name": "problem", "dtype": "string"},
                     {"name": "steps", "sequence": "string"}, {"name": "label", "dtype": "int32"}]

    def row(self, question, steps, labels, scores, first_error):
        if _prefix(labels, first_error) is None:  # -1 or an error index that rests on unknown steps
            return None
        return {"id": None, "problem": question, "steps": steps, "label": first_error}

    def with_provenance(self, row, run_id, rollout_id, labeler):
        return {**super().with_provenance(row, run_id, rollout_id, labeler), "id": rollout_id}

    def first_error(self, row):
        return row["label"]

    def step_count(self, row):
        return len(row["steps"])

    def negatives(self, row):
        return 0


_NUMBERED = re.compile(r"^\s*step\s*\d+\s*[:.]\s*", re.IGNORECASE)


def _untagged(text: str) -> str:
    return text.replace(STEP_TAG, " ")


def _step_line(step: str) -> str:
    """One line of text; a step the policy numbered itself ("Step 2: ...") is not numbered twice."""
    return " ".join(_NUMBERED.sub("", _untagged(step)).split())


def tagged_steps(question: str, steps: list[str], tags: list[str]) -> str:
    """Math-Shepherd's text: the question, then one ``Step i: text TAG`` line per step.

    The tag is removed from the question and the steps (a stray one would shift every label a
    trainer aligns with the tags), and a step's own line breaks become spaces (one line per
    step is what the form's readers split on)."""
    lines = [f"Step {i}: {_step_line(step)} {tag}"
             for i, (step, tag) in enumerate(zip(steps, tags), start=1)]
    return f"{_untagged(question).strip()} " + "\n".join(lines)


class _Tagged(ExportFormat):
    """Shared by the step-tag forms: steps up to and including the first error, as TRL."""

    def _kept(self, steps, labels, first_error):
        keep = _prefix(labels, first_error)
        return None if keep is None else (steps[:keep], ["+" if x else "-" for x in labels[:keep]])

    def first_error(self, row):
        marks = self.marks(row)
        return marks.index("-") if "-" in marks else -1

    def step_count(self, row):
        return len(self.marks(row))

    def negatives(self, row):
        return self.marks(row).count("-")


class OpenRLHF(_Tagged):
    """OpenRLHF's PRM dataset (``openrlhf.cli.train_prm``): ``input`` is the question and steps, each
    step followed by the placeholder token ``ки``; ``value`` the step labels as reward tokens
    (``+`` correct, ``-`` wrong), one per placeholder. Train with ``--input_key input
    --label_key value --placeholder_token ки --reward_tokens + -``."""

    name = "openrlhf"
    schema = pa.schema([("input", pa.string()), ("value", pa.list_(pa.string()))])
    card_features = [{"name": "input", "dtype": "string"}, {"name": "value", "sequence": "string"}]

    def row(self, question, steps, labels, scores, first_error):
        kept = self._kept(steps, labels, first_error)
        if kept is None:
            return None
        steps, marks = kept
        return {"input": tagged_steps(question, steps, [STEP_TAG] * len(steps)), "value": marks}

    def marks(self, row):
        return row["value"]


class MathShepherd(_Tagged):
    """Math-Shepherd's form (peiyi9979/Math-Shepherd): ``input`` with the step tag ``ки`` after
    each step, ``label`` the same text with each tag replaced by ``+`` or ``-``."""

    name = "math-shepherd"
    schema = pa.schema([("input", pa.string()), ("label", pa.string())])
    card_features = [{"name": "input", "dtype": "string"}, {"name": "label", "dtype": "string"}]

    def row(self, question, steps, labels, scores, first_error):
        kept = self._kept(steps, labels, first_error)
        if kept is None:
            return None
        steps, marks = kept
        return {"input": tagged_steps(question, steps, [STEP_TAG] * len(steps)),
                "label": tagged_steps(question, steps, marks)}

    def marks(self, row):
        n = row["input"].count(STEP_TAG)
        return [line[-1] for line in row["label"].split("\n")[-n:]] if n else []
