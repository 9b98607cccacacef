"""A rerun retries only what failed.

A batch whose shards exist is done, except for what an engine failed on: problems with no
rollouts (their generation failed; quarantined with the engine's error) and rollouts whose
labels abstained because a request failed. Those are done again, merged with what was kept,
and the batch's shards are rewritten atomically (same names: nothing is duplicated).

OmegaPRM builds one tree per problem, so its unit of retry is the problem: a tree that an
engine error left incomplete is searched again from the start, and everything it produced
(labels, sampled solutions, tree states) is replaced.
"""

from __future__ import annotations

import json

from steplabel.labelers.base import LabelTask
from steplabel.schemas import Generated, Labeled, Problem, StepLabel


def failed_problems(problems: list[Problem], gen: Generated) -> list[Problem]:
    have = {r.problem_id for r in gen.rollouts if r.origin != "given"}  # given ones need no engine
    failed = {q.location.split(" ", 1)[1] for q in gen.quarantine
              if q.location.startswith("problem ") and q.reason.startswith("engine error")}
    return [p for p in problems if p.problem_id not in have and p.problem_id in failed]


def merge_generated(problems: list[Problem], old: Generated, new: Generated, retried: list[Problem]) -> Generated:
    order = {p.problem_id: i for i, p in enumerate(problems)}
    retried_ids = {p.problem_id for p in retried}
    # A retried problem's given solutions come again with its new samples: keep one copy.
    old = Generated([r for r in old.rollouts if r.problem_id not in retried_ids],
                    [s for s in old.steps if s.problem_id not in retried_ids], old.quarantine)
    rollouts = sorted(old.rollouts + new.rollouts, key=lambda r: (order[r.problem_id], r.sample_index))
    position = {r.rollout_id: i for i, r in enumerate(rollouts)}
    steps = sorted(old.steps + new.steps, key=lambda s: (position[s.rollout_id], s.step_index))
    kept = [q for q in old.quarantine if not (q.location.startswith("problem ")
                                              and q.location.split(" ", 1)[1] in retried_ids)]
    return Generated(rollouts, steps, kept + new.quarantine, new.cost)


def engine_failed(row: StepLabel) -> bool:
    if row.status != "abstained":
        return False
    evidence = json.loads(row.evidence or "{}")
    return "error" in evidence or "engine error" in str(evidence.get("reason", ""))


def to_relabel(tasks: list[LabelTask], existing: list[StepLabel]) -> set[str]:
    """Rollouts with no labels yet, or whose labels abstained because a request failed."""
    labeled = {r.rollout_id for r in existing}
    failed = {r.rollout_id for r in existing if engine_failed(r)}
    return {t.rollout_id for t in tasks if t.rollout_id not in labeled} | failed


def merge_labels(tasks: list[LabelTask], existing: list[StepLabel], new: list[StepLabel],
                 redone: set[str]) -> list[StepLabel]:
    order = {t.rollout_id: i for i, t in enumerate(tasks)}
    rows = [r for r in existing if r.rollout_id not in redone] + new
    return sorted(rows, key=lambda r: (order.get(r.rollout_id, len(order)), r.step_index))


def problems_to_relabel(tasks: list[LabelTask], existing: list[StepLabel]) -> set[str]:
    """Problems with a rollout not labeled yet, or whose tree an engine error left incomplete."""
    labeled = {r.rollout_id for r in existing}
    failed = {r.problem_id for r in existing if "tree_error" in json.loads(r.evidence or "{}")}
    return failed | {t.problem_id for t in tasks if t.rollout_id not in labeled}


def merge_by_problem(problems: list[Problem], old: Labeled, new: Labeled, redone: set[str]) -> Labeled:
    """Old output of the problems not redone, plus the new output, in problem order."""
    order = {p.problem_id: i for i, p in enumerate(problems)}

    def merged(before, after, problem_of):
        rows = [r for r in before if problem_of(r) not in redone] + list(after)
        return sorted(rows, key=lambda r: order.get(problem_of(r), len(order)))  # stable within a problem

    attr = lambda r: r.problem_id  # noqa: E731
    return Labeled(
        labels=merged(old.labels, new.labels, attr),
        rollouts=merged(old.rollouts, new.rollouts, attr),
        steps=merged(old.steps, new.steps, attr),
        trees=merged(old.trees, new.trees, lambda r: r["problem_id"]),
        counters=new.counters, cost=new.cost,
    )


def kept_context(tasks: list[LabelTask], rows: list[StepLabel], redo: set[str],
                 key: str) -> tuple[list[LabelTask], list[StepLabel]]:
    """The rollouts a rerun keeps (their ``key``, rollout or problem id, not redone) and their
    labels: a labeler fitted per batch fits them with what it redoes (labelers/context.py)."""
    kept = [t for t in tasks if getattr(t, key) not in redo]
    ids = {t.rollout_id for t in kept}
    return kept, [r for r in rows if r.rollout_id in ids]
