"""Export labeled rollouts as a dataset in the Hugging Face Hub's layout, with a dataset card.

What a row holds is the format's (``storage.formats``: ``trl``, ``soft``, ``processbench``);
steps after the first error are left out where a format has per-step labels.
One labeler's labels are exported (``consensus`` when present, else the first one found);
rollouts whose labels are unknown before their first error are skipped and counted, and with
``only_retained`` a consensus's rejected rollouts are left out. ``exclude`` drops problems
that appear in an evaluation set (normalized text) and counts them.

The folder holds ``data/{split}-NNNNN-of-NNNNN.parquet``, ``README.md`` (YAML ``configs``,
features, license, tags, provenance, label statistics) and PNG plots.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from steplabel.storage.catalog import connect
from steplabel.storage.formats import ExportFormat
_SPACE = re.compile(r"\s+")


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


def collect(store: str | Path, form: ExportFormat, run_ids: list[str] | None = None, labeler: str | None = None,
            only_retained: bool = True, exclude: set[str] | None = None) -> tuple[list[dict], str, dict]:
    con = connect(store)
    runs = run_ids or [r[0] for r in con.execute("SELECT DISTINCT run_id FROM step_labels").fetchall()]
    if not runs:
        raise ValueError(f"{store}: no labeled runs to export")
    names = [r[0] for r in con.execute("SELECT DISTINCT labeler FROM step_labels WHERE list_contains(?, run_id)",
                                       [runs]).fetchall()]
    labeler = labeler or ("consensus" if "consensus" in names else sorted(names)[0])
    if labeler not in names:
        raise ValueError(f"no labels by {labeler!r} in runs {runs} (labelers: {sorted(names)})")
    rows = con.execute(
        "SELECT p.question, l.rollout_id, list(s.text ORDER BY l.step_index), "
        "list(l.label ORDER BY l.step_index), list(l.score ORDER BY l.step_index), "
        "list(l.status ORDER BY l.step_index), any_value(l.first_error) "
        "FROM step_labels l JOIN steps s USING (rollout_id, step_index) "
        "JOIN rollouts r ON r.rollout_id = l.rollout_id "
        "JOIN problems p ON p.problem_id = r.problem_id AND p.run_id = r.run_id "
        "WHERE l.labeler = ? AND list_contains(?, l.run_id) GROUP BY p.question, l.rollout_id ORDER BY l.rollout_id",
        [labeler, runs]).fetchall()
    con.close()
    counts = {"rollouts": len(rows), "excluded_contaminated": 0, "rejected": 0, "undetermined": 0}
    out = []
    for question, _, steps, labels, scores, statuses, first_error in rows:
        if exclude and normalize_text(question) in exclude:
            counts["excluded_contaminated"] += 1
            continue
        if "rejected" in statuses:
            counts["rejected"] += 1
            if only_retained:
                continue
        if first_error is None:
            counts["undetermined"] += 1
            continue
        row = form.row(question, steps, labels, scores, first_error)
        if row is None:
            counts["undetermined"] += 1
            continue
        out.append(row)
    counts["exported"] = len(out)
    return out, labeler, {**counts, "runs": runs}


def write_folder(rows: list[dict], form: ExportFormat, out: str | Path, split: str = "train", shard_rows: int = 50_000,
                 offset: int = 0) -> list[Path]:
    folder = Path(out) / "data"
    folder.mkdir(parents=True, exist_ok=True)
    schema = form.schema
    n = max(1, -(-len(rows) // shard_rows))
    files = []
    for i in range(n):
        chunk = rows[i * shard_rows : (i + 1) * shard_rows]
        path = folder / f"{split}-{offset + i:05d}-of-{offset + n:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(chunk, schema=schema), path)
        files.append(path)
    return files


def export(store: str | Path, out: str | Path, form: ExportFormat, run_ids: list[str] | None = None,
           labeler: str | None = None, only_retained: bool = True, exclude_file: str | Path | None = None,
           split: str = "train", license: str = "apache-2.0") -> ExportResult:
    exclude = load_exclusions(exclude_file) if exclude_file else None
    rows, labeler, counts = collect(store, form, run_ids, labeler, only_retained, exclude)
    out = Path(out)
    files = write_folder(rows, form, out, split)
    from steplabel.storage.card import write_card

    write_card(out, store, form, labeler, counts, rows, split, license)
    return ExportResult(out, len(rows), files, labeler, counts)


def push(folder: str | Path, repo_id: str, token_env: str = "HF_TOKEN", api=None) -> list[str]:
    """Upload with huggingface_hub in one commit, adding this export's shards beside those already
    there (``datasets.push_to_hub`` would delete a split's old files) and replacing the card.
    One commit: readers of the dataset never see some of the new shards without the others."""
    import os
    import uuid

    from huggingface_hub import CommitOperationAdd, HfApi

    api = api or HfApi(token=os.environ.get(token_env) or None)
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    batch = uuid.uuid4().hex[:8]
    folder = Path(folder)
    files = {f"data/{path.stem}-{batch}.parquet": path  # never the name of a shard already there
             for path in sorted((folder / "data").glob("*.parquet"))}
    for extra in ["README.md", *sorted(p.name for p in folder.glob("*.png"))]:
        files[extra] = folder / extra
    api.create_commit(
        repo_id=repo_id, repo_type="dataset", commit_message=f"steplabel export {batch}",
        operations=[CommitOperationAdd(path_in_repo=target, path_or_fileobj=str(path)) for target, path in files.items()],
    )
    return list(files)
