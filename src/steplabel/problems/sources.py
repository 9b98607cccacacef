"""Problem sources: JSONL / JSON / Parquet files, Hugging Face datasets, synthetic worlds.

Rows are normalized to (question, reference answer). Column names are detected (GSM8K's
``question``/``answer`` with ``#### 42``, MATH's ``problem``/``solution`` with ``\\boxed{}``)
or given explicitly. A bad row is never fatal: it becomes a ``QuarantineRecord`` naming the
file, line and reason. A bad *source* (missing file, a directory, unreadable) raises
``SourceError`` with a message for the user.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from steplabel.problems.answers import is_parsable, last_boxed, reference_from_gsm8k, unusable_reference
from steplabel.problems.worlds import arith, logic
from steplabel.schemas import Problem, QuarantineRecord, new_id

QUESTION_COLUMNS = ("question", "problem", "prompt", "query", "input")
ANSWER_COLUMNS = ("answer", "reference_answer", "final_answer", "gold", "solution", "target")
ID_COLUMNS = ("id", "problem_id", "unique_id", "idx")
MAX_QUESTION_CHARS = 20_000


class SourceError(Exception):
    """A problem source that cannot be read at all (as opposed to a bad row)."""


@dataclass(frozen=True)
class ColumnMap:
    question: str | None = None
    answer: str | None = None
    id: str | None = None
    answer_format: str = "auto"  # auto | plain | gsm8k | boxed


@dataclass
class LoadResult:
    problems: list[Problem] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)


class RowError(ValueError):
    pass


def _pick(row: dict, explicit: str | None, candidates: tuple[str, ...], what: str) -> tuple[str, Any]:
    if explicit:
        if explicit not in row:
            raise RowError(f"missing field '{explicit}' ({what})")
        return explicit, row[explicit]
    for name in candidates:
        if name in row:
            return name, row[name]
    raise RowError(f"missing {what}: none of the fields {', '.join(candidates)}")


def reference_answer(raw: Any, fmt: str, column: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise RowError(f"field '{column}' must be text or a number, got {type(raw).__name__}")
    text = str(raw).strip()
    if not text:
        raise RowError(f"field '{column}' is empty")
    if fmt == "auto":
        fmt = "gsm8k" if "####" in text else "boxed" if "\\boxed" in text or "\\fbox" in text else "plain"
    if fmt == "gsm8k":
        answer = reference_from_gsm8k(text)
    elif fmt == "boxed":
        answer = last_boxed(text)
    else:
        answer = text
    if not answer:
        raise RowError(f"field '{column}': no final answer found ({fmt} format)")
    if len(answer) > 500 or not is_parsable(answer):
        raise RowError(f"field '{column}': answer cannot be parsed: {answer[:60]!r}")
    unusable = unusable_reference(answer)
    if unusable:
        raise RowError(f"field '{column}': {unusable}: {answer[:60]!r}")
    return answer


def _valid_unicode(row: dict) -> None:
    """JSON's ``\\ud800`` escapes decode to lone surrogates, which no file format can store."""
    for key, value in row.items():
        for text in (key, value):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise RowError(f"field '{key.encode('utf-8', 'backslashreplace').decode()}' is not valid "
                                   f"Unicode (a lone surrogate at character {exc.start})") from None


def normalize_row(row: Any, columns: ColumnMap, source: str, location: str) -> Problem:
    if not isinstance(row, dict):
        raise RowError(f"expected an object with fields, got {type(row).__name__}")
    _valid_unicode(row)
    q_col, question = _pick(row, columns.question, QUESTION_COLUMNS, "question")
    if not isinstance(question, str):
        raise RowError(f"field '{q_col}' must be text, got {type(question).__name__}")
    question = question.strip()
    if not question:
        raise RowError(f"field '{q_col}' is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise RowError(f"field '{q_col}' is too long ({len(question)} > {MAX_QUESTION_CHARS} chars)")
    a_col, raw_answer = _pick(row, columns.answer, ANSWER_COLUMNS, "answer")
    answer = reference_answer(raw_answer, columns.answer_format, a_col)
    id_col = columns.id or next((c for c in ID_COLUMNS if c in row), None)
    if id_col is None:
        problem_id = new_id(question, answer)  # no id given: one from the content
    else:
        if id_col not in row:
            raise RowError(f"missing field '{id_col}' (id)")
        raw_id = row[id_col]
        if raw_id is None or isinstance(raw_id, (dict, list, bool)) or str(raw_id).strip() == "":
            raise RowError(f"field '{id_col}' must be a non-empty scalar")
        problem_id = str(raw_id).strip()
    meta = {"location": location, "question_field": q_col, "answer_field": a_col}
    return Problem(problem_id, source, question, answer, json.dumps(meta))


# ------------------------------------------------------------------ readers

Row = tuple[str, Any, str]  # (location, the row or a RowError, raw excerpt for quarantine)


def _read_jsonl(path: Path) -> Iterator[Row]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            location = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")  # a BOM only ever starts a file
            except UnicodeDecodeError as exc:
                yield location, RowError(f"invalid UTF-8 at byte {exc.start}"), raw[:200].decode("utf-8", "replace")
                continue
            if not text.strip():
                continue  # a line that held only the BOM
            try:
                yield location, json.loads(text), text
            except json.JSONDecodeError as exc:
                yield location, RowError(f"invalid JSON: {exc.msg} (column {exc.colno})"), text
            except RecursionError:
                yield location, RowError("invalid JSON: nested too deeply"), text


def _read_json(path: Path) -> Iterator[Row]:
    with open(path, "rb") as fh:
        head = fh.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"["):
        yield from _read_jsonl(path)
        return
    try:
        rows = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a valid JSON list ({exc})") from exc
    except RecursionError:
        raise SourceError(f"{path}: not a valid JSON list (nested too deeply)") from None
    if not isinstance(rows, list):
        raise SourceError(f"{path}: not a valid JSON list")
    for i, row in enumerate(rows):
        yield f"{path}[{i}]", row, json.dumps(row, default=str)[:300]


def _read_parquet(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise SourceError(f"{path}: not a readable Parquet file ({exc})") from exc
    i = 0
    for batch in pf.iter_batches(batch_size=2048):
        for row in batch.to_pylist():
            yield f"{path}#row={i}", row, json.dumps(row, default=str)[:300]
            i += 1


def _read_hf(name: str, config: str | None, split: str) -> Iterator[Row]:
    import datasets

    try:
        ds = datasets.load_dataset(name, config, split=split)
    except Exception as exc:
        raise SourceError(f"hf:{name}: cannot load split '{split}' ({type(exc).__name__}: {exc})") from exc
    for i, row in enumerate(ds):
        yield f"hf:{name}[{split}][{i}]", row, json.dumps(row, default=str)[:300]


def _file_rows(path: Path) -> Iterator[Row]:
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, expected a .jsonl, .json or .parquet file (or hf:{path})")
    if not path.is_file():  # a FIFO or a device would block the run, or never end
        raise SourceError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{path}: cannot be read (permission denied)")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise SourceError(f"{path}: unknown file type '{suffix}' (use .jsonl, .json or .parquet)")


# ------------------------------------------------------------------ the entry point


@dataclass(frozen=True)
class SourceSpec:
    source: str = "synthetic:arith"
    limit: int | None = None
    split: str = "train"
    hf_config: str | None = None
    columns: ColumnMap = ColumnMap()
    world: arith.WorldConfig = arith.WorldConfig()
    seed: int = 0


SYNTHETIC_DEFAULT_COUNT = 200


def load_problems(spec: SourceSpec) -> LoadResult:
    if spec.source.startswith("synthetic:"):
        return _synthetic(spec)
    if spec.source.startswith("hf:"):
        rows = _read_hf(spec.source[3:], spec.hf_config, spec.split)
    else:
        rows = _file_rows(Path(spec.source))
    result = LoadResult()
    seen: dict[str, str] = {}
    read = 0
    for location, row, raw in rows:
        read += 1
        if spec.limit is not None and len(result.problems) >= spec.limit:
            break
        try:
            if isinstance(row, RowError):
                raise row
            problem = normalize_row(row, spec.columns, spec.source, location)
        except RowError as exc:
            result.quarantine.append(QuarantineRecord(spec.source, location, str(exc), raw))
            continue
        if problem.problem_id in seen:
            reason = f"duplicate problem id '{problem.problem_id}' (first at {seen[problem.problem_id]})"
            result.quarantine.append(QuarantineRecord(spec.source, location, reason, raw))
            continue
        seen[problem.problem_id] = location
        result.problems.append(problem)
    if not read:
        raise SourceError(f"{spec.source}: no rows (an empty source gives a run with nothing to do)")
    return result


def _synthetic(spec: SourceSpec) -> LoadResult:
    world = spec.source.split(":", 1)[1]
    count = spec.limit if spec.limit is not None else SYNTHETIC_DEFAULT_COUNT
    if world == "arith":
        made = arith.generate_problems(count, spec.seed, spec.world)
    elif world == "logic":
        made = logic.generate_problems(count, spec.seed, logic.LogicWorldConfig(
            min_steps=spec.world.min_steps, max_steps=min(spec.world.max_steps, 8)))
    else:
        raise SourceError(f"unknown synthetic world '{world}' (available: arith, logic)")
    problems = [Problem(f"{world}-{spec.seed}-{i:06d}", spec.source, p.question(), p.answer, p.metadata())
                for i, p in enumerate(made)]
    return LoadResult(problems=problems)
