"""Export labeled rollouts as a dataset in the Hugging Face Hub's layout, with a dataset card.

What a row holds is the format's (``storage.formats``); steps after the first error are left
out where a format has per-step labels. Every row carries ``run_id``, ``rollout_id`` and
``labeler``, so it joins back to the store's ``step_labels``. One labeler's labels are exported
(``consensus`` when present, else the first one found); rollouts whose labels are unknown
before their first error are skipped and counted, and with ``only_retained`` a consensus's
rejected rollouts are left out. ``exclude`` drops problems that appear in an evaluation set
(normalized text) and counts them. ``min_confidence`` keeps only rollouts whose every exported
step states a posterior ``confidence`` (in its evidence: noise-aware MC and OmegaPRM, and
consensus over them) at or above it; the others, those that state none included, are counted
as ``below_confidence``.

A labeler that samples its own solutions (rollouts whose ``origin`` is the labeler: OmegaPRM's
tree) is exported one row per distinct prefix (``storage.tree_rows``) unless
``tree_rows="solution"``.

The folder is written whole or not at all: into a temporary sibling, then renamed into place.
An existing non-empty folder is refused unless ``overwrite`` (then replaced, never mixed with
an older export's shards). It holds ``data/{config}/{split}-NNNNN-of-NNNNN.parquet``,
``plots/{config}/{split}/*.png`` and ``README.md`` (the card); ``storage.hub`` pushes it.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from steplabel.storage.catalog import connect
from steplabel.storage.formats import PROVENANCE, ExportFormat
from steplabel.storage.tree_rows import TREE_FIELDS, prefix_rows

_SPACE = re.compile(r"\s+")
# The Hub's split names are \w+(\.\w+)*; config names become folder names.
_NAME = re.compile(r"^\w+([.-]\w+)*$")
TREE_ROWS = ("prefix", "solution")


def normalize_text(text: str) -> str:
    """For the contamination guard: case, accents, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _SPACE.sub(" ", re.sub(r"[^\w\s]", " ", text)).strip()


def load_exclusions(path: str | Path) -> set[str]:
    """Problem texts of an evaluation set: JSONL / JSON list (``problem`` or ``question``) or text lines.

    A file that cannot be read as such raises ValueError naming the file and the line, since a
    contamination filter that silently read nothing would export the evaluation set."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    texts: list[str] = []
    if path.suffix in (".jsonl", ".json"):
        if raw.lstrip().startswith("["):
            rows = [(None, r) for r in _json(raw, path, None)]
        else:
            rows = [(n, _json(x, path, n)) for n, x in enumerate(raw.splitlines(), 1) if x.strip()]
        for line, row in rows:
            if not isinstance(row, dict):
                where = f"line {line}" if line else "a list element"
                raise ValueError(f"{path}, {where}: expected a JSON object with 'problem' or 'question', "
                                 f"got {type(row).__name__}")
            texts.append(str(row.get("problem") or row.get("question") or ""))
    else:
        texts = raw.splitlines()
    return {normalize_text(t) for t in texts if t.strip()}


def _json(text: str, path: Path, line: int | None):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = exc.lineno if line is None else line
        raise ValueError(f"{path}, line {at}: not valid JSON ({exc.msg}, column {exc.colno})") from None


@dataclass
class ExportResult:
    folder: Path
    rows: int
    files: list[Path]
    labeler: str
    counts: dict = field(default_factory=dict)
    config_name: str = "default"
    split: str = "train"


@dataclass
class Solution:
    """One labeled rollout as the store holds it (the input of every format)."""

    run_id: str
    rollout_id: str
    question: str
    steps: list[str]
    labels: list
    scores: list
    statuses: list[str]
    evidence: list[str]
    first_error: int | None
    origin: str


def step_confidence(evidence: str | None) -> float | None:
    """The posterior confidence a label row states in its evidence, if any."""
    try:
        value = json.loads(evidence or "{}").get("confidence")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def least_confidence(sol: Solution) -> float | None:
    """The least confidence stated by the steps a row keeps (up to the first error), or None
    when one of them states none."""
    keep = len(sol.steps) if sol.first_error in (None, -1) else sol.first_error + 1
    stated = [step_confidence(e) for e in sol.evidence[:keep]]
    return min(stated) if stated and None not in stated else None


def check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{kind} {name!r}: use letters, digits, '_' (and '.' or '-' between them)")
    return name


def solutions(store: str | Path, run_ids: list[str] | None = None,
              labeler: str | None = None) -> tuple[list[Solution], str, list[str]]:
    con = connect(store)
    labeled = [r[0] for r in con.execute("SELECT DISTINCT run_id FROM step_labels ORDER BY 1").fetchall()]
    runs = run_ids or labeled
    if not runs:
        raise ValueError(f"{store}: no labeled runs to export")
    unknown = [r for r in runs if r not in labeled]
    if unknown:
        raise ValueError(f"no labeled run {', '.join(map(repr, unknown))} in {store} "
                         f"(labeled runs: {', '.join(labeled) or 'none'})")
    names = [r[0] for r in con.execute("SELECT DISTINCT labeler FROM step_labels WHERE list_contains(?, run_id)",
                                       [runs]).fetchall()]
    labeler = labeler or ("consensus" if "consensus" in names else sorted(names)[0])
    if labeler not in names:
        raise ValueError(f"no labels by {labeler!r} in runs {runs} (labelers: {sorted(names)})")
    rows = con.execute(
        "SELECT any_value(l.run_id), l.rollout_id, p.question, list(s.text ORDER BY l.step_index), "
        "list(l.label ORDER BY l.step_index), list(l.score ORDER BY l.step_index), "
        "list(l.status ORDER BY l.step_index), list(l.evidence ORDER BY l.step_index), any_value(l.first_error), "
        "any_value(r.origin) "
        "FROM step_labels l JOIN steps s USING (rollout_id, step_index) "
        "JOIN rollouts r ON r.rollout_id = l.rollout_id "
        "JOIN problems p ON p.problem_id = r.problem_id AND p.run_id = r.run_id "
        "WHERE l.labeler = ? AND list_contains(?, l.run_id) GROUP BY p.question, l.rollout_id ORDER BY l.rollout_id",
        [labeler, runs]).fetchall()
    con.close()
    return [Solution(*row) for row in rows], labeler, runs


def collect(store: str | Path, form: ExportFormat, run_ids: list[str] | None = None, labeler: str | None = None,
            only_retained: bool = True, exclude: set[str] | None = None,
            tree_rows: str = "prefix", min_confidence: float = 0.0) -> tuple[list[dict], str, dict]:
    if tree_rows not in TREE_ROWS:
        raise ValueError(f"tree rows {tree_rows!r}: one of {', '.join(TREE_ROWS)}")
    found, labeler, runs = solutions(store, run_ids, labeler)
    counts = {"rollouts": len(found), "excluded_contaminated": 0, "rejected": 0, "undetermined": 0,
              "below_confidence": 0}
    kept, confidences = [], []
    for sol in found:
        if exclude and normalize_text(sol.question) in exclude:
            counts["excluded_contaminated"] += 1
            continue
        if "rejected" in sol.statuses:
            counts["rejected"] += 1
            if only_retained:
                continue
        least = least_confidence(sol) if sol.first_error is not None else None
        if min_confidence > 0 and (least is None or least < min_confidence):
            counts["below_confidence"] += 1
            continue
        if least is not None:
            confidences.append(least)
        kept.append(sol)
    tree = any(sol.origin == labeler for sol in kept)
    if tree and tree_rows == "prefix" and form.prefix_rows:
        out, tree_counts = prefix_rows(kept, form, labeler)
        counts.update(tree_counts, row_unit="prefix")
    else:
        out = []
        for sol in kept:
            row = None if sol.first_error is None else form.row(sol.question, sol.steps, sol.labels, sol.scores,
                                                                sol.first_error)
            if row is None:
                counts["undetermined"] += 1
                continue
            out.append(form.with_provenance(row, sol.run_id, sol.rollout_id, labeler))
        counts["row_unit"] = "solution"
    counts["exported"] = len(out)
    counts["min_confidence"] = min_confidence
    counts["confidences"] = confidences  # least step confidence of each kept rollout that states one
    return out, labeler, {**counts, "runs": runs}


def row_schema(form: ExportFormat, prefix_rows: bool) -> pa.Schema:
    return pa.schema([*form.schema, *PROVENANCE, *(TREE_FIELDS if prefix_rows else [])])


def write_shards(rows: list[dict], schema: pa.Schema, folder: Path, split: str, shard_rows: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    n = max(1, -(-len(rows) // shard_rows))
    files = []
    for i in range(n):
        path = folder / f"{split}-{i:05d}-of-{n:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows[i * shard_rows : (i + 1) * shard_rows], schema=schema), path)
        files.append(path)
    return files


def check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise FileExistsError(f"{out} is not empty; choose a new folder or pass --overwrite to replace it")


def replace_folder(tmp: Path, out: Path) -> None:
    """Swap ``tmp`` into ``out``: the old folder is moved aside first and removed only once the
    new one is in place, so ``out`` is at every moment either the old export or the new one."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def export(store: str | Path, out: str | Path, form: ExportFormat, run_ids: list[str] | None = None,
           labeler: str | None = None, only_retained: bool = True, exclude_file: str | Path | None = None,
           split: str = "train", license: str = "apache-2.0", config_name: str = "default",
           tree_rows: str = "prefix", overwrite: bool = False, shard_rows: int = 50_000,
           min_confidence: float = 0.0) -> ExportResult:
    from steplabel.storage.card import write_card

    check_name("config name", config_name)
    check_name("split", split)
    out = Path(out)
    check_target(out, overwrite)  # before any work: a refused export costs nothing
    exclude = load_exclusions(exclude_file) if exclude_file else None
    rows, labeler, counts = collect(store, form, run_ids, labeler, only_retained, exclude, tree_rows, min_confidence)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        files = write_shards(rows, row_schema(form, counts["row_unit"] == "prefix"), tmp / "data" / config_name, split, shard_rows)
        write_card(tmp, store, form, labeler, counts, rows, split, license, config_name)
        check_target(out, overwrite)  # another export may have filled it meanwhile
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out, len(rows), [out / f.relative_to(tmp) for f in files], labeler, counts, config_name,
                        split)
