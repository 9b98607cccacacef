"""Entailment with Z3 for formalised text: does a claim follow from what a step may rest on?

Two bounded solver calls decide it. premises ∧ ¬claim unsatisfiable → the claim is
``entailed``; premises ∧ claim unsatisfiable → ``contradicted``; both satisfiable → ``open``
(the premises leave it undecided: a step that asserts it as settled concludes too early).
A timeout or a solver error is ``unknown`` and never refutes anything. A countermodel is kept
for a claim that does not follow, so a person can see a world where the premises hold and
the claim fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

ENTAILED, CONTRADICTED, OPEN, UNKNOWN = "entailed", "contradicted", "open", "unknown"


@dataclass
class Decision:
    status: str
    countermodel: dict = field(default_factory=dict)
    reason: str = ""


def _check(premises: list, extra, timeout_ms: int) -> tuple[z3.CheckSatResult, z3.Solver]:
    solver = z3.Solver()
    solver.set("timeout", int(timeout_ms))
    solver.add(*premises)
    solver.add(extra)
    return solver.check(), solver


def _readable(model: z3.ModelRef, names: list) -> dict:
    out = {}
    for term in names:
        value = model.eval(term, model_completion=True)
        out[str(term)] = value.as_long() if z3.is_int_value(value) else str(value)
    return out


def decide(premises: list, claim, timeout_ms: int = 2000, show: list | None = None) -> Decision:
    """The status of ``claim`` under ``premises`` (Z3 formulas); ``show`` lists the terms a
    countermodel reports."""
    try:
        negated, solver = _check(premises, z3.Not(claim), timeout_ms)
        if negated == z3.unsat:
            return Decision(ENTAILED)
        if negated == z3.unknown:
            return Decision(UNKNOWN, reason=f"z3: {solver.reason_unknown()}")
        countermodel = _readable(solver.model(), show or [])
        affirmed, solver = _check(premises, claim, timeout_ms)
        if affirmed == z3.unsat:
            return Decision(CONTRADICTED, countermodel)
        if affirmed == z3.unknown:
            return Decision(UNKNOWN, reason=f"z3: {solver.reason_unknown()}")
        return Decision(OPEN, countermodel)
    except (z3.Z3Exception, ValueError, TypeError) as exc:  # a malformed term: never a crash
        return Decision(UNKNOWN, reason=f"z3 error: {exc}")


def decide_each(premises: list, claims: list, timeout_ms: int = 2000, show: list | None = None) -> list[Decision]:
    """``decide`` for every claim, with one solver call when they all follow (the usual case)."""
    if not claims:
        return []
    if decide(premises, z3.And(*claims), timeout_ms).status == ENTAILED:
        return [Decision(ENTAILED) for _ in claims]
    return [decide(premises, claim, timeout_ms, show) for claim in claims]
