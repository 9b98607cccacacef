"""One row per distinct prefix for labelers that label a search tree's sampled solutions (OmegaPRM).

A tree's solutions share prefixes: every completion sampled from a state starts with that
state's text. Exported one row per solution, a prefix near the root comes back once per
solution through it, so a trainer weights it by how often the search passed there (34,788
labeled steps, 1,470 distinct (prefix, label) pairs on 20 problems). Here each distinct prefix
(question + steps up to and including a labeled step, compared after ``normalize_prefix``) is
one row, labeled once, with ``solutions`` (how many labeled solutions pass through it), its
``step_index`` and the ``evidence`` of its label.

A solution contributes its steps while they are labeled, up to and including its first wrong
step (a later unknown step does not hide the labeled ones before it). When solutions disagree
about a prefix, correct wins: a solution whose longer prefix (or final answer) reaches the
reference answer witnesses every prefix of itself, which outweighs k samples that all missed
(the same inference OmegaPRM's own labels make). Disagreements are counted.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pyarrow as pa

from steplabel.storage.formats import ExportFormat

TREE_FIELDS = [pa.field("step_index", pa.int32()), pa.field("solutions", pa.int64()), pa.field("evidence", pa.string())]
TREE_FEATURES = [{"name": "step_index", "dtype": "int32"}, {"name": "solutions", "dtype": "int64"},
                 {"name": "evidence", "dtype": "string"}]


def normalize_prefix(text: str) -> str:
    """Unicode form and spacing only: unlike the contamination guard, punctuation and operators
    stay (``3-2`` and ``3 2`` are different steps)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class _Prefix:
    key: tuple
    labels: dict = field(default_factory=dict)  # label -> (solution, step index) first seen with it
    solutions: set = field(default_factory=set)


def labeled_steps(labels: list) -> int:
    """How many leading steps carry a label: up to the first unknown, or the first wrong included."""
    n = 0
    for label in labels:
        if label is None:
            break
        n += 1
        if label is False:
            break
    return n


def prefix_rows(solutions: list, form: ExportFormat, labeler: str) -> tuple[list[dict], dict]:
    """Rows (one per distinct prefix) and counts: ``tree_solutions``, ``tree_steps`` (labeled steps
    before deduplication), ``tree_prefixes``, ``tree_conflicts``."""
    prefixes: dict[tuple, _Prefix] = {}
    steps_in = 0
    for sol in solutions:
        keys = [normalize_prefix(sol.question)]
        for j in range(labeled_steps(sol.labels)):
            keys.append(normalize_prefix(sol.steps[j]))
            key = tuple(keys)
            entry = prefixes.setdefault(key, _Prefix(key))
            entry.labels.setdefault(bool(sol.labels[j]), (sol, j))
            entry.solutions.add(sol.rollout_id)
            steps_in += 1
    resolved = {key: (True in p.labels, p.labels[True in p.labels]) for key, p in prefixes.items()}
    rows = []
    for key, entry in prefixes.items():
        label, (sol, j) = resolved[key]
        ancestors = [resolved[key[: i + 2]] for i in range(j + 1)]
        labels = [lab for lab, _ in ancestors]
        scores = [s.scores[i] for i, (_, (s, _)) in enumerate(ancestors)]
        row = form.row(sol.question, sol.steps[: j + 1], labels, scores, -1 if label else j)
        if row is None:
            continue
        row = form.with_provenance(row, sol.run_id, sol.rollout_id, labeler)
        rows.append({**row, "step_index": j, "solutions": len(entry.solutions), "evidence": sol.evidence[j]})
    counts = {"tree_solutions": len(solutions), "tree_steps": steps_in, "tree_prefixes": len(rows),
              "tree_conflicts": sum(1 for p in prefixes.values() if len(p.labels) > 1)}
    return rows, counts
