"""Given solutions: rollouts a team already has, labeled instead of generated.

The one loader of given solutions, read by ``steplabel run --solutions`` (which stores and
labels them) and by ``steplabel eval`` (which scores a labeler on them). A row holds a problem,
a solution and, optionally, a reference answer, an id and a human first-error label. Shapes are
detected from the columns (or mapped with ``solution_column`` and the problem columns):

- a list of steps: ``problem`` / ``question`` + ``steps`` (ProcessBench, flattened PRM800K);
- plain text: ``question`` / ``problem`` / ``prompt`` + ``solution`` / ``response`` /
  ``completion`` / ``output``, split into steps by the step separator;
- Math-Shepherd: ``input`` is the question followed by ``Step k: ... ки`` lines, one tag per
  step; its ``label`` is the same text with each tag replaced by ``+`` or ``-``.

The human label (``label``: the first wrong step or -1; Math-Shepherd's ``-`` tags) is kept as
ground truth for reports and scoring and is never shown to a labeler. A bad row is a
``QuarantineRecord`` with the file and line; a bad file raises ``SourceError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from steplabel.problems.sources import (
    MAX_QUESTION_CHARS, QUESTION_COLUMNS, ColumnMap, RowError, _file_rows, _read_hf, reference_answer,
)
from steplabel.problems.steps import split_steps
from steplabel.schemas import DEFAULT_SEPARATOR, Problem, QuarantineRecord, new_id

SOLUTION_COLUMNS = ("steps", "completions", "solution", "response", "completion", "output")
# No ``solution`` here (it is the solution text in these files, MATH's reference in problem files).
ANSWER_COLUMNS = ("answer", "reference_answer", "final_answer", "ground_truth", "gold", "target")
ID_COLUMNS = ("id", "solution_id", "rollout_id", "unique_id", "idx")  # not problem_id: several rows share it
MODEL_COLUMNS = ("generator", "model")
STEP_TAG = "ки"  # Math-Shepherd's step tag
_MS_STEP = re.compile(r"Step\s*1\s*[:.]")
_MS_PREFIX = re.compile(r"^Step\s*\d+\s*[:.]\s*")
STEP_JOIN = "\n\n"  # how a list of steps becomes one text (one step per paragraph)


@dataclass(frozen=True)
class GivenSolution:
    solution_id: str  # the row's id, else one from its content
    problem_id: str
    question: str
    text: str
    steps: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # character span of each step in ``text``
    reference_answer: str | None  # None: the row gives none (or none that can be parsed)
    answer_issue: str | None  # why there is no reference answer
    human_first_error: int | None  # the row's own label; ground truth, never shown to a labeler
    location: str
    shape: str  # steps | text | math-shepherd
    model: str = ""  # the model that wrote it, where the row says (ProcessBench's ``generator``)
    excerpt: str = ""


@dataclass
class GivenProblem(Problem):
    """A problem with the solutions given for it (only the ``Problem`` fields are stored)."""

    solutions: list[GivenSolution] = field(default_factory=list, repr=False, compare=False)


@dataclass
class GivenLoad:
    solutions: list[GivenSolution] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)

    def problems(self, source: str) -> list[GivenProblem]:
        """Solutions grouped by problem, in file order."""
        by_id: dict[str, GivenProblem] = {}
        for s in self.solutions:
            if s.problem_id not in by_id:
                meta = {"location": s.location, "shape": s.shape, "given": True}
                if s.answer_issue:
                    meta["answer_issue"] = s.answer_issue
                by_id[s.problem_id] = GivenProblem(s.problem_id, source, s.question, s.reference_answer,
                                                   json.dumps(meta))
            by_id[s.problem_id].solutions.append(s)
        return list(by_id.values())


@dataclass(frozen=True)
class SolutionsSpec:
    source: str  # a .jsonl / .json / .parquet file or hf:NAME
    columns: ColumnMap = ColumnMap()
    solution_column: str | None = None
    separator: str = DEFAULT_SEPARATOR
    limit: int | None = None
    split: str = "train"
    hf_config: str | None = None
    require_label: bool = False  # scoring (``eval``): a row without a human label is bad


# ------------------------------------------------------------------ one row


def _first(row: dict, explicit: str | None, candidates: tuple[str, ...]) -> str | None:
    if explicit:
        if explicit not in row:
            raise RowError(f"missing field '{explicit}'")
        return explicit
    return next((c for c in candidates if c in row), None)


def _text(row: dict, column: str) -> str:
    value = row[column]
    if not isinstance(value, str):
        raise RowError(f"field '{column}' must be text, got {type(value).__name__}")
    if not value.strip():
        raise RowError(f"field '{column}' is empty")
    return value


def _joined(steps: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    text, spans = "", []
    for s in steps:
        if text:
            text += STEP_JOIN
        spans.append((len(text), len(text) + len(s)))
        text += s
    return text, tuple(spans)


def _step_list(row: dict, column: str) -> list[str]:
    steps = row[column]
    if not isinstance(steps, (list, tuple)) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
        raise RowError(f"field '{column}' must be a non-empty list of non-empty strings")
    return [s.strip() for s in steps]


def _math_shepherd(row: dict, column: str) -> tuple[str, list[str], int | None]:
    """(question, steps, first '-' tag or -1 / None) of a Math-Shepherd row."""
    text = _text(row, column)
    start = _MS_STEP.search(text)
    if not start:
        raise RowError(f"field '{column}': no 'Step 1:' before the step tags")
    question = text[: start.start()].strip()
    if not question:
        raise RowError(f"field '{column}': no question before 'Step 1:'")
    tags = [m.start() for m in re.finditer(STEP_TAG, text) if m.start() > start.start()]
    pieces, pos = [], start.start()
    for t in tags:
        pieces.append(text[pos:t])
        pos = t + len(STEP_TAG)
    if text[pos:].strip():
        raise RowError(f"field '{column}': text after the last step tag")
    steps = [_MS_PREFIX.sub("", p.strip()).strip() for p in pieces]
    if not steps or not all(steps):
        raise RowError(f"field '{column}': a step tag with no step before it")
    first_error = None
    if isinstance(row.get("label"), str):
        # The label text is the input with each two-letter tag replaced by one character.
        marks = [row["label"][t - i * (len(STEP_TAG) - 1): t - i * (len(STEP_TAG) - 1) + 1]
                 for i, t in enumerate(tags)]
        if not all(m in ("+", "-") for m in marks):
            raise RowError("field 'label' does not match the step tags of the input (expected + or - at each)")
        first_error = marks.index("-") if "-" in marks else -1
    return question, steps, first_error


def _human_label(row: dict, steps: int) -> int | None:
    """The first wrong step: ``label`` as an index (-1: none), or one verdict per step in
    ``label`` / ``labels`` (TRL's stepwise form: booleans; PRM800K's ratings: 1, 0, -1)."""
    column = next((c for c in ("label", "labels") if row.get(c) is not None), None)
    if column is None:
        return None
    label = row[column]
    if isinstance(label, (list, tuple)):
        if len(label) != steps or not all(v in (True, False, 1, 0, -1) for v in label):
            raise RowError(f"field '{column}' must hold one verdict per step ({steps}): true / false or 1 / 0 / -1")
        wrong = [i for i, v in enumerate(label) if v is False or (v == -1 and not isinstance(v, bool))]
        return wrong[0] if wrong else -1
    if isinstance(label, bool) or not isinstance(label, int) or not -1 <= label < steps:
        raise RowError(f"field '{column}' must be -1 or a step index below {steps}")
    return label


def normalize_solution(row: Any, spec: SolutionsSpec, location: str, excerpt: str = "") -> GivenSolution:
    if not isinstance(row, dict):
        raise RowError(f"expected an object with fields, got {type(row).__name__}")
    cols = spec.columns
    s_col = _first(row, spec.solution_column, SOLUTION_COLUMNS)
    q_input = row.get("input")
    if s_col is None and cols.question is None and isinstance(q_input, str) and STEP_TAG in q_input:
        question, steps, human = _math_shepherd(row, "input")
        text, spans = _joined(steps)
        shape, q_col, raw_q, raw_s = "math-shepherd", "input", q_input, q_input
    else:
        if s_col is None:
            raise RowError(f"missing solution: none of the fields {', '.join(SOLUTION_COLUMNS)} "
                           f"(or Math-Shepherd's step-tagged 'input')")
        q_col = _first(row, cols.question, QUESTION_COLUMNS)
        if q_col is None:
            raise RowError(f"missing question: none of the fields {', '.join(QUESTION_COLUMNS)}")
        raw_q = row[q_col]
        if not isinstance(raw_q, str) or not raw_q.strip():
            raise RowError(f"field '{q_col}' must be non-empty text")
        question = raw_q.strip()
        raw_s = row[s_col]
        if isinstance(raw_s, (list, tuple)):
            steps = _step_list(row, s_col)
            text, spans = _joined(steps)
            shape, raw_s = "steps", json.dumps(list(raw_s))
        else:
            text = _text(row, s_col)
            found = split_steps(text, spec.separator)
            if not found:
                raise RowError(f"field '{s_col}' has no steps")
            steps, spans, shape = [s.text for s in found], tuple((s.start, s.end) for s in found), "text"
        human = _human_label(row, len(steps))
    if spec.require_label and human is None:
        raise RowError("missing field 'label' (the first wrong step, or -1): nothing to score against")
    if len(question) > MAX_QUESTION_CHARS:
        raise RowError(f"field '{q_col}' is too long ({len(question)} > {MAX_QUESTION_CHARS} chars)")
    answer, issue = None, None
    a_col = _first(row, cols.answer, ANSWER_COLUMNS)
    if a_col is None or row[a_col] is None:
        issue = "the row gives no reference answer"
    else:
        try:
            answer = reference_answer(row[a_col], cols.answer_format, a_col)
        except RowError as exc:
            issue = str(exc)
    id_col = _first(row, cols.id, ID_COLUMNS)
    if id_col is None:
        solution_id = new_id(raw_q, raw_s)  # no id given: one from the content
    else:
        raw_id = row[id_col]
        if raw_id is None or isinstance(raw_id, (dict, list, bool)) or str(raw_id).strip() == "":
            raise RowError(f"field '{id_col}' must be a non-empty scalar")
        solution_id = str(raw_id).strip()
    # Solutions of one question (and answer) are one problem, so per-problem labelers see them together.
    problem_id = new_id(question, answer or "")
    model = next((str(row[c]) for c in MODEL_COLUMNS if isinstance(row.get(c), str)), "")
    return GivenSolution(solution_id, problem_id, question, text, tuple(steps), spans, answer, issue, human,
                         location, shape, model, excerpt)


# ------------------------------------------------------------------ the file


def _rows(spec: SolutionsSpec) -> Iterator[tuple[str, Any, str]]:
    if spec.source.startswith("hf:"):
        return _read_hf(spec.source[3:], spec.hf_config, spec.split)
    return _file_rows(Path(spec.source))


def load_solutions(spec: SolutionsSpec) -> GivenLoad:
    """Every row of the file: a given solution, or a quarantine row saying why not."""
    result = GivenLoad()
    seen: dict[str, str] = {}
    for location, row, raw in _rows(spec):
        if spec.limit is not None and len(result.solutions) >= spec.limit:
            break
        try:
            if isinstance(row, RowError):
                raise row
            solution = normalize_solution(row, spec, location, raw)
        except RowError as exc:
            rid = row.get("id") if isinstance(row, dict) else None
            result.quarantine.append(QuarantineRecord(spec.source, location, str(exc), raw,
                                                      extra={} if rid is None else {"id": rid}))
            continue
        if solution.solution_id in seen:
            first = seen[solution.solution_id]
            if spec.columns.id or any(c in row for c in ID_COLUMNS):
                reason = f"duplicate solution id '{solution.solution_id}' (first at {first})"
            else:  # no id column: the id comes from the question and the solution's text
                reason = f"the same question and solution as at {first} (labeled once)"
            result.quarantine.append(QuarantineRecord(spec.source, location, reason, raw))
            continue
        seen[solution.solution_id] = location
        result.solutions.append(solution)
    return result
