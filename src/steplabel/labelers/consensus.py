"""Consensus across label sources (the Qwen recipe: keep what MC and a judge agree on).

For each rollout, every configured source's first-error location is compared. A source is
*missing* when it left no rows for the rollout and *undetermined* when its rows say the first
error is unknown (null); both are facts the decision states in its evidence. Policies:
- ``all``: every configured source determined the same first error; a missing or
  undetermined source means the rollout is not kept;
- ``majority``: among the sources that determined a first error, more than half name the same
  one, and at least two do (one source alone is not a consensus); missing and undetermined
  sources are left out of the count and named in the reason ("majority 2/2 of determined;
  missing: verify");
- ``override``: the named source must have labeled the rollout (missing: not kept). An error
  it finds wins (a tool refutation, say); where it finds none or cannot tell, every other
  configured source must be present, determined and agree (the ``all`` rule over them).
A retained rollout gets hard labels from the agreed first error. A rejected one keeps rows with
status ``rejected``, no label, and the disagreement as evidence; exports leave it out by
default. Nothing is recomputed: the inputs are the stored labels, so a policy can be changed
and re-applied without generating.

``score`` of a consensus row: the mean of the step scores of the sources whose first error is
the one decided (the sources that carry the decision; under ``override`` with an error found,
the override source alone), over those that have a score for the step. Each source's score is
its own estimate of the probability that the step is correct, so the mean is the sources'
pooled estimate. Where that estimate contradicts the row's label (above 0.5 for a step labeled
incorrect, below 0.5 for one labeled correct) or no source has a score, the score is null:
no consensus row is labeled false with a score above 0.5. After the first error and on
rejected rollouts the score is null.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from steplabel.config import ConsensusSection
from steplabel.schemas import AFTER_ERROR, StepLabel

REJECTED = "rejected"


@dataclass(frozen=True)
class Decision:
    first_error: int | None
    retained: bool
    reason: str


def decide(first_errors: dict[str, int | None], config: ConsensusSection) -> Decision:
    """Whether the sources agree on a rollout's first error, under the configured policy.
    ``first_errors`` has an entry (possibly None, undetermined) for every source that labeled
    the rollout; a configured source without one is missing."""
    missing = [n for n in config.sources if n not in first_errors]
    undetermined = [n for n in config.sources if n in first_errors and first_errors[n] is None]
    if config.policy == "override":
        name = config.override
        if name is None:
            raise ValueError("policy 'override' needs the name of the overriding source")
        if name not in first_errors:
            return Decision(None, False, f"missing: {name} (the override source)")
        winner = first_errors[name]
        if winner is not None and winner >= 0:  # a found error (a refutation) wins; "none found" does not
            return Decision(winner, True, f"{name} overrides")
        rest = tuple(n for n in config.sources if n != name)
        decision = decide({k: v for k, v in first_errors.items() if k != name}, ConsensusSection(sources=list(rest), policy="all"))
        if winner is None and decision.retained:
            return Decision(decision.first_error, True, f"{decision.reason}; {name} undetermined")
        return decision
    if config.policy == "all":
        if missing or undetermined:
            parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
                [f"undetermined: {', '.join(undetermined)}"] if undetermined else [])
            return Decision(None, False, "; ".join(parts))
        values = {first_errors[name] for name in config.sources}
        if len(values) == 1:
            return Decision(values.pop(), True, "all agree")
        return Decision(None, False, "disagree")
    if config.policy == "majority":
        determined = [n for n in config.sources if first_errors.get(n) is not None]
        votes = Counter(first_errors[n] for n in determined)
        note = "".join([f"; missing: {', '.join(missing)}" if missing else "",
                        f"; undetermined: {', '.join(undetermined)}" if undetermined else ""])
        of = f"{len(determined)}" + (" of determined" if note else "")
        if votes:
            (top, count), *others = votes.most_common()
            if count >= 2 and count * 2 > len(determined) and not (others and others[0][1] == count):
                return Decision(top, True, f"majority {count}/{of}{note}")
        return Decision(None, False, f"no majority{note}")
    raise ValueError(f"unknown consensus policy {config.policy!r}")


def _carriers(decision: Decision, firsts: dict[str, int | None], config: ConsensusSection) -> list[str]:
    """The sources whose own first error is the decided one: their scores make the consensus score."""
    if not decision.retained:
        return []
    if config.policy == "override" and firsts.get(config.override) == decision.first_error:
        return [config.override]
    return [n for n in config.sources if n in firsts and firsts[n] == decision.first_error]


def consensus_labels(labels: Iterable[StepLabel], config: ConsensusSection) -> list[StepLabel]:
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
        carriers = _carriers(decision, firsts, config)
        scores: dict[int, list[float]] = {}
        for name in carriers:
            for r in sources[name]:
                if r.score is not None:
                    scores.setdefault(r.step_index, []).append(r.score)
        record = {"retained": decision.retained, "reason": decision.reason,
                  "sources": {k: firsts.get(k) for k in config.sources}}
        missing = [k for k in config.sources if k not in firsts]
        if missing:
            record["missing"] = missing
        if decision.retained:
            record["scored_by"] = carriers
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
            score = None
            if status == "labeled" and scores.get(j):
                score = sum(scores[j]) / len(scores[j])
                if (label and score < 0.5) or (not label and score > 0.5):
                    score = None  # the sources' soft evidence contradicts the agreed label
            # The least confidence of the sources is the consensus label's confidence.
            evidence = json.dumps(dict(record, confidence=min(stated[j])) if status == "labeled" and j in stated
                                  else record)
            out.append(StepLabel(
                run_id=any_rows[0].run_id, rollout_id=rollout_id, problem_id=any_rows[0].problem_id,
                step_index=j, labeler="consensus", label=label, score=score,
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


class ConsensusLabeler:
    """Consensus reads its sources' stored labels of a batch; it needs no engine."""

    name = "consensus"
    engine = None

    def __init__(self, config: ConsensusSection) -> None:
        self.config = config

    @classmethod
    def from_config(cls, section: ConsensusSection, config=None, engine=None) -> "ConsensusLabeler":
        return cls(section)

    def label_stored(self, rows: Iterable[StepLabel]) -> list[StepLabel]:
        return consensus_labels(rows, self.config)
