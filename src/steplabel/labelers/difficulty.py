"""How hard each problem is: shifts of the run's rates per problem (``Observed.group``).

Why: problems differ, and one set of rates for a run fits none of them. A hard question is hard
from every prefix, and it trips the policy more often:

- ``offsets``: its correct prefixes succeed less often than the run's typical ones at the same
  steps remaining (an easy one's more often). Without it a hard problem's correct prefixes
  (7 of 32 where the typical rate is 0.5) look half wrong, and an easy problem's lucky wrong
  prefixes look right. Fitted to the problem's correct-weighted counts, as EM weighs them.
- ``hazard_offsets``: its solutions take a first wrong step more often per step. On the
  sandbox (seed 1, 100 problems, 4 solutions each) the hazard is 0.21 in problems none of whose
  solutions is right and 0.0 in those all four of which are. One run-wide rate is pulled up by
  the hard problems, where most errors are, and then sees errors, at that rate, in an easy
  problem's right answers that nothing probed (OmegaPRM searches only wrong solutions). Fitted
  to the first errors and steps at risk of the problem's own solutions.

Both are shifts on the log-odds scale with a normal prior (``OFFSET_SD``, ``HAZARD_SD``), so a
problem with little evidence stays near the run's typical rates. A problem with one solution
in the pool gets no hazard shift (``estimate._Stats.shared``): fitted to that solution's own
first errors, it would weigh them twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A weak prior: a problem whose correct prefixes succeed at 0.27 where the run's typical ones
# do at 0.5 is one standard deviation out.
OFFSET_SD = 1.0
_LIMIT = 4.0
# The hazard shifts' prior: weaker, as problems differ more in how often the policy slips than
# in how often a correct prefix succeeds (sandbox, seed 1: 0.0 to 0.21 per step, by how many of
# a problem's solutions are right). Tried on the benchmark (eval, seed 3; calibration also on
# seeds 1, 2, 4) at 0.6, 1.0, 1.5, 1.6 and 2.5: F1 0.966 to 0.973, and no value put every
# calibration bin within 0.05 (the misses are in the small bins below 0.9 and move from value to
# value). 1.5 is a round value among the better ones. Fitting the spread to the run (an EM step
# for a random effect) gave about 0.5, and worse calibration on every seed.
HAZARD_SD = 1.5


@dataclass(frozen=True)
class Counts:
    """Prefix counts, each with the run's typical correct rate at its steps remaining (``mu``),
    its weight of being correct, and its group (None: no group)."""

    c: np.ndarray
    n: np.ndarray
    mu: np.ndarray
    w: np.ndarray
    groups: np.ndarray


def _logit(x) -> np.ndarray:
    x = np.clip(np.asarray(x, float), 1e-4, 1 - 1e-4)
    return np.log(x / (1.0 - x))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def fit_offsets(counts: Counts, p) -> tuple[tuple[str, float], ...]:
    """Each group's shift of the correct rate: a few Newton steps (from the last fit's) on the
    binomial likelihood of its correct-weighted counts, each with its normal prior."""
    named = np.array([g is not None for g in counts.groups], bool)
    if not named.any():
        return ()
    names, index = np.unique(counts.groups[named].astype(str), return_inverse=True)
    c, n, w, base = counts.c[named], counts.n[named], counts.w[named], _logit(counts.mu[named])
    last = p.shifts()
    d = np.array([last.get(name, 0.0) for name in names])
    for _ in range(5):
        rate = _sigmoid(base + d[index])
        score = np.bincount(index, w * (c - n * rate), len(names)) - d / OFFSET_SD ** 2
        info = np.bincount(index, w * n * rate * (1 - rate), len(names)) + 1.0 / OFFSET_SD ** 2
        d = np.clip(d + score / info, -_LIMIT, _LIMIT)
    return tuple((str(name), round(float(x), 6)) for name, x in zip(names, d))


def fit_hazard(at_risk: dict, p, prior: float, prior_events: float) -> dict:
    """``hazard`` (the run's typical chance per step of a first wrong step) and
    ``hazard_offsets`` (each problem's shift of it, with its normal prior of ``HAZARD_SD``) from
    expected first errors and steps at risk per group (``None``: solutions of no group), a few
    Newton steps from the last fit's. The run's rate keeps its pseudo-events at ``prior``.
    Without groups: the plain rate."""
    free = at_risk.get(None, [0.0, 0.0])
    names = sorted(str(g) for g in at_risk if g is not None)
    if not names:
        return {"hazard": float((free[0] + prior_events * prior) / (free[1] + prior_events)),
                "hazard_offsets": ()}
    x = np.array([at_risk[name][0] for name in names])
    t = np.array([at_risk[name][1] for name in names])
    last = p.hazard_shifts()
    e = np.array([last.get(name, 0.0) for name in names])
    b = float(_logit(p.hazard))
    for _ in range(5):
        rate = _sigmoid(b + e)
        info = t * rate * (1 - rate) + 1.0 / HAZARD_SD ** 2
        e = np.clip(e + (x - t * rate - e / HAZARD_SD ** 2) / info, -_LIMIT, _LIMIT)
        rate, plain = _sigmoid(b + e), float(_sigmoid(np.asarray(b)))
        score = float(np.sum(x - t * rate)) + free[0] - free[1] * plain + prior_events * (prior - plain)
        b_info = float(np.sum(t * rate * (1 - rate))) + (free[1] + prior_events) * plain * (1 - plain)
        b = float(np.clip(b + score / max(b_info, 1e-9), -_LIMIT - 4, 0.0))
    return {"hazard": round(float(_sigmoid(np.asarray(b))), 9),
            "hazard_offsets": tuple((name, round(float(v), 6)) for name, v in zip(names, e))}
