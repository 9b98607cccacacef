"""What a rerun already knows: the counts of the rollouts of a batch that keep their labels.

Why: noise-aware labels come from a fit to the counts of the rollouts labeled together (a
batch). A rerun redoes only what failed, and a fit to those few alone rests on the prior; the
rollouts that keep their labels still hold their counts in their stored evidence, so the
rerun's fit takes them as context (they are fitted, not labeled again).
"""

from __future__ import annotations

import json
from typing import Sequence

from steplabel.labelers.adaptive import alike_with_own
from steplabel.labelers.base import LabelTask
from steplabel.labelers.estimate import Observed
from steplabel.schemas import UNSOLVED, StepLabel


def observed_from_rows(tasks: Sequence[LabelTask], rows: Sequence[StepLabel],
                       grouped: bool = False) -> list[Observed]:
    """One ``Observed`` per kept rollout from its stored labels' ``correct``/``total`` (and
    ``agree``, ``own_answer`` and ``echo``/``echo_trials``, where stored). A state's counts
    (``node`` in the evidence: a tree's, or a prefix that MC's solutions share) enter once,
    however many rollouts pass it. An ``unsolved`` rollout stays out, as it stayed out of its
    first fit. ``grouped``: each keeps its problem (``Observed.group``), as MC's own
    observations do."""
    by_rollout: dict[str, dict[int, dict]] = {}
    for row in rows:
        try:
            evidence = json.loads(row.evidence or "{}")
        except ValueError:
            continue
        if isinstance(evidence, dict):
            by_rollout.setdefault(row.rollout_id, {})[row.step_index] = evidence
    seen_nodes: set[str] = set()
    out = []
    for task in tasks:
        steps = by_rollout.get(task.rollout_id)
        if steps is None or any(str(ev.get("reason", "")).startswith(UNSOLVED) for ev in steps.values()):
            continue  # not kept, or kept out of every fit (a question the policy never solved)
        correct, total, agree, anchor, echo, echo_trials = [], [], [], [], [], []
        for i in range(task.num_steps - 1):
            ev = steps.get(i, {})
            c, t, node = ev.get("correct"), ev.get("total"), ev.get("node")
            e, et = ev.get("echo"), ev.get("echo_trials")
            a, own = ev.get("agree"), ev.get("own_answer")
            valid = isinstance(a, int) and isinstance(t, int) and isinstance(c, int) and 0 <= a <= t - c
            agree.append(a if valid else None)
            # The solution's own wrong answer joins the failures (``Observed.anchor``); 0: not stored.
            anchor.append(alike_with_own(a, own) if valid and isinstance(own, int) and 0 <= own <= a else 0)
            fresh = node is None or node not in seen_nodes
            if node is not None:
                seen_nodes.add(node)
            ok = isinstance(c, int) and isinstance(t, int) and 0 <= c <= t and fresh
            correct.append(c if ok else 0)
            total.append(t if ok else 0)
            # The step's echo belongs to its state too: counted where the state is.
            echoed = fresh and isinstance(e, int) and isinstance(et, int) and 0 <= e <= et
            echo.append(e if echoed else 0)
            echo_trials.append(et if echoed else 0)
        # The answers' agreement only where every counted prefix stored it (MC's newer rows).
        known = bool(agree) and all(a is not None for a, t in zip(agree, total) if t)
        out.append(Observed(tuple(correct), tuple(total), task.correct, task.problem_id if grouped else None,
                            tuple(a or 0 for a in agree) if known else (),
                            tuple(x if t else 0 for x, t in zip(anchor, total)) if known and any(anchor) else (),
                            tuple(echo) if any(echo_trials) else (), tuple(echo_trials) if any(echo_trials) else ()))
    return out
