"""Consensus across label sources (the Qwen recipe: keep what MC and a judge agree on).

For each rollout, every source's first-error location is compared. Policies:
- ``all``: every source determined the same first error;
- ``majority``: more than half of the sources name the same first error;
- ``override``: an error the named source finds wins (a tool refutation, say); where it finds
  none, the remaining sources must all agree.
A retained rollout gets hard labels from the agreed first error and, per step, the mean of
the sources' soft scores. A rejected one keeps rows with status ``rejected``, no label, and
the disagreement as evidence; exports leave it out by default. Nothing is recomputed: the
inputs are the stored labels, so a policy can be changed and re-applied without generating.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from steplabel.schemas import AFTER_ERROR, StepLabel

REJECTED = "rejected"


@dataclass(frozen=True)
class ConsensusConfig:
    sources: tuple[str, ...] = ("mc", "judge")
    policy: str = "all"  # all | majority | override
    override: str | None = None
    min_confidence: float = 0.0


@dataclass(frozen=True)
class Decision:
    first_error: int | None
    retained: bool
    reason: str


def decide(first_errors: dict[str, int | None], config: ConsensusConfig) -> Decision:
    """Whether the sources agree on a rollout's first error, under the configured policy."""
    if config.policy == "override":
        if config.override is None:
            raise ValueError("policy 'override' needs the name of the overriding source")
        winner = first_errors.get(config.override)
        if winner is not None and winner >= 0:  # a found error (a refutation) wins; "none found" does not
            return Decision(winner, True, f"{config.override} overrides")
        rest = {k: v for k, v in first_errors.items() if k != config.override}
        return decide(rest, ConsensusConfig(tuple(rest), "all"))
    missing = [name for name in config.sources if first_errors.get(name) is None]
    if config.policy == "all":
        if missing:
            return Decision(None, False, f"undetermined: {', '.join(missing)}")
        values = {first_errors[name] for name in config.sources}
        if len(values) == 1:
            return Decision(values.pop(), True, "all agree")
        return Decision(None, False, "disagree")
    if config.policy == "majority":
        votes = Counter(first_errors[n] for n in config.sources if first_errors.get(n) is not None)
        if votes:
            (top, count), *others = votes.most_common()
            if count * 2 > len(config.sources) and not (others and others[0][1] == count):
                return Decision(top, True, f"majority {count}/{len(config.sources)}")
        return Decision(None, False, "no majority")
    raise ValueError(f"unknown consensus policy {config.policy!r}")


def consensus_labels(labels: Iterable[StepLabel], config: ConsensusConfig) -> list[StepLabel]:
    """Consensus rows for every rollout any source labeled."""
    by_rollout: dict[str, dict[str, list[StepLabel]]] = {}
    for row in labels:
        if row.labeler in config.sources:
            by_rollout.setdefault(row.rollout_id, {}).setdefault(row.labeler, []).append(row)
    out: list[StepLabel] = []
    for rollout_id, sources in by_rollout.items():
        any_rows = next(iter(sources.values()))
        n = max(r.step_index for rows in sources.values() for r in rows) + 1
        firsts = {name: (rows[0].first_error if rows and _sure(rows, config.min_confidence) else None)
                  for name, rows in sources.items()}
        decision = decide(firsts, config)
        scores: dict[int, list[float]] = {}
        for rows in sources.values():
            for r in rows:
                if r.score is not None:
                    scores.setdefault(r.step_index, []).append(r.score)
        base = {"retained": decision.retained, "reason": decision.reason,
                "sources": {k: firsts.get(k) for k in config.sources}}
        stated: dict[int, list[float]] = {}
        for rows in sources.values():
            for r in rows:
                c = _evidence(r).get("confidence")
                if isinstance(c, (int, float)):
                    stated.setdefault(r.step_index, []).append(float(c))
        fe = decision.first_error
        for j in range(n):
            if not decision.retained:
                label, status = None, REJECTED
            elif fe == -1 or j < fe:
                label, status = True, "labeled"
            elif j == fe:
                label, status = False, "labeled"
            else:
                label, status = None, AFTER_ERROR
            mean = sum(scores[j]) / len(scores[j]) if j in scores and status == "labeled" else None
            ev = dict(base, confidence=min(stated[j])) if status == "labeled" and j in stated else base
            evidence = json.dumps(ev)
            out.append(StepLabel(
                run_id=any_rows[0].run_id, rollout_id=rollout_id, problem_id=any_rows[0].problem_id,
                step_index=j, labeler="consensus", label=label, score=mean,
                first_error=fe if decision.retained else None, status=status, evidence=evidence,
            ))
    return out


def _evidence(row: StepLabel) -> dict:
    try:
        value = json.loads(row.evidence or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _sure(rows: list[StepLabel], min_confidence: float) -> bool:
    """Whether a source's first error is as sure as required (sources that state no
    confidence pass: they have no posterior to compare)."""
    if min_confidence <= 0:
        return True
    stated = [_evidence(r).get("first_error_confidence") for r in rows]
    stated = [c for c in stated if isinstance(c, (int, float))]
    return not stated or min(stated) >= min_confidence
