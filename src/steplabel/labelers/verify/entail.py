"""Entailment with Z3 for formalised text: does a claim follow from what a step may rest on?

Two bounded solver calls decide it. premises ∧ ¬claim unsatisfiable → the claim is
``entailed``; premises ∧ claim unsatisfiable → ``contradicted``; both satisfiable → ``open``
(the premises leave it undecided: a step that asserts it as settled concludes too early).
A timeout or a solver error is ``unknown`` and never refutes anything. A countermodel is kept
for a claim that does not follow, so a person can see a world where the premises hold and
the claim fails.

``decide`` asks one question of a fresh solver. A ``Session`` serves one solution whose
premises only grow from step to step (statements cited, holdings accepted): one incremental
solver asserts each premise once and each question is a push/pop check on it, since building a
solver and re-asserting the premises for every check was most of the formal path's time. Its
countermodel is the model of that check: a world where the premises hold and the claim fails,
as before, though not always the same one ``decide`` would show (Z3's choice of model depends
on the solver's history, so no countermodel was ever more than one such world).
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


_PRINTED: dict[str, str] = {}


def printed(term) -> str:
    """``str(term)``, remembered by the term's s-expression: the Python printer is slow, steps
    repeat their terms, and the key holds no Z3 object alive (which would change the solver's
    history, see the module's note)."""
    key = term.sexpr()
    text = _PRINTED.get(key)
    if text is None:
        if len(_PRINTED) >= 100_000:
            _PRINTED.clear()
        text = _PRINTED[key] = str(term)
    return text


def _readable(model: z3.ModelRef, names: list) -> dict:
    out = {}
    for term in names:
        value = model.eval(term, model_completion=True)
        out[printed(term)] = value.as_long() if z3.is_int_value(value) else str(value)
    return out


def decide(premises: list, claim, timeout_ms: int = 2000, show: list | None = None) -> Decision:
    """The status of ``claim`` under ``premises`` (Z3 formulas); ``show`` lists the terms a
    countermodel reports. One question on a fresh solver (a ``Session`` of its own)."""
    return Session(timeout_ms).decide(premises, claim, show)


def decide_each(premises: list, claims: list, timeout_ms: int = 2000, show: list | None = None) -> list[Decision]:
    """``decide`` for every claim, with one solver call when they all follow (the usual case)."""
    return Session(timeout_ms).decide_each(premises, claims, show)


class Session:
    """``decide`` and ``decide_each`` for one solution whose premises only grow (see the
    module's note); the same statuses, from one incremental solver."""

    def __init__(self, timeout_ms: int = 2000) -> None:
        self.timeout_ms = int(timeout_ms)
        self._solver: z3.Solver | None = None
        self._held: list = []  # the premises the solver holds, in order

    def _over(self, premises: list) -> z3.Solver:
        """The incremental solver holding exactly ``premises``: a new one unless they extend
        what it holds (the same objects, in the same order; cheap to test, and what callers pass)."""
        if (self._solver is None or len(premises) < len(self._held)
                or any(a is not b for a, b in zip(self._held, premises))):
            self._solver = z3.Solver()
            self._solver.set("timeout", self.timeout_ms)
            self._held = []
        new = premises[len(self._held):]
        if new:
            solver, self._solver = self._solver, None  # a premise that fails to assert: start over next time
            solver.add(*new)
            self._solver, self._held = solver, self._held + list(new)
        return self._solver

    def _status(self, premises: list, extra, show: list | None = None) -> tuple[z3.CheckSatResult, str, dict]:
        """The check of ``premises ∧ extra``: result, why it is unknown, the model's values of ``show``."""
        solver = self._over(premises)
        solver.push()
        try:
            solver.add(extra)
            result = solver.check()
            why = solver.reason_unknown() if result == z3.unknown else ""
            return result, why, _readable(solver.model(), show) if result == z3.sat and show else {}
        finally:
            solver.pop()

    def decide(self, premises: list, claim, show: list | None = None) -> Decision:
        try:
            negated, why, countermodel = self._status(premises, z3.Not(claim), show)
            if negated == z3.unsat:
                return Decision(ENTAILED)
            if negated == z3.unknown:
                return Decision(UNKNOWN, reason=f"z3: {why}")
            affirmed, why, _ = self._status(premises, claim)
            if affirmed == z3.unsat:
                return Decision(CONTRADICTED, countermodel)
            if affirmed == z3.unknown:
                return Decision(UNKNOWN, reason=f"z3: {why}")
            return Decision(OPEN, countermodel)
        except (z3.Z3Exception, ValueError, TypeError) as exc:  # a malformed term: never a crash
            self._solver = None
            return Decision(UNKNOWN, reason=f"z3 error: {exc}")

    def decide_each(self, premises: list, claims: list, show: list | None = None) -> list[Decision]:
        if not claims:
            return []
        try:
            together = z3.And(*claims)
            if self._status(premises, z3.Not(together))[0] == z3.unsat:  # only "all follow" matters here
                return [Decision(ENTAILED) for _ in claims]
        except (z3.Z3Exception, ValueError, TypeError):
            self._solver = None  # decided one by one below, each unknown if it is malformed
        return [self.decide(premises, claim, show) for claim in claims]
