"""Tool and formal verification (FoVer, GroundedPRM): step labels that need no LLM and no
rollouts, each with evidence a person can check.

A problem in one of the templated families of ``formal`` (orderings over positions, swaps
between named people, letter order) is formalised as a whole and every step decided by Z3
entailment (``entail``; letter order, whose words are all given, by Z3 simplifying closed formulas), unless it decides no step at all (a question that only looks like
one of them). Otherwise, per step, the first checker that applies decides: a
deduction step of the logic world → Z3;
a step with a Python snippet and a stated result → the sandbox; otherwise its calculation
claims → ``arithmetic`` (exact rationals; a claim not fully understood is not checked), and its
equations with unknowns → ``algebra`` (sympy, as a whole; it can refute a step, never make one
correct, since an equation that holds says nothing about the reasoning around it). A
refuted step is incorrect, a step whose claims all hold is correct, a step with nothing
checkable stays unknown (never guessed).

``first_error`` (one rule, stated honestly):

- the index of the first refuted step. A refuted step is certainly wrong, so the first error is
  at or before it; it is exactly it when every earlier step was verified correct, which the
  evidence of the refuted step records as ``first_error_exact``. Steps after it are
  ``after_error``.
- ``-1`` only when verify established that no step is wrong as far as tools can tell: every
  step was decided correct, i.e. all its calculations hold and every number it states is used
  by a verified calculation. A wrong choice of operation or operand with right arithmetic is
  invisible to it (on GSM8K, 6 of its 8 ``-1`` are on solutions people marked wrong), so a
  PRM should combine it with a reasoning labeler (``consensus``).
- null otherwise (nothing refuted but some step unchecked; or nothing checked at all), with
  status ``abstained`` on the undecided steps and the reason in the evidence
  (``first_error_reason``).

``coverage`` in the first step's evidence is the share of steps decided.

``score``: 1.0 for a step whose claims all hold, 0.0 for a refuted one (a tool's check is
taken as certain); null for a step with nothing checkable and after the first error.
"""

from __future__ import annotations

import asyncio
import json
import time

from steplabel.config import VerifySection
from steplabel.labelers.base import LabelTask, PerRolloutLabeler
from steplabel.labelers.verify import algebra, arithmetic, code, formal
from steplabel.labelers.verify import logic as logic_check
from steplabel.problems.worlds import logic
from steplabel.schemas import AFTER_ERROR, StepLabel


_clock = time.monotonic  # the record budget's clock (a test moves it)


def same_value(printed: str, claimed: str) -> bool:
    try:
        return arithmetic.evaluate(printed, {}) == arithmetic.evaluate(claimed, {})
    except (ValueError, ZeroDivisionError):
        return printed.strip() == claimed.strip()


class VerifyLabeler(PerRolloutLabeler):
    name = "verify"

    @classmethod
    def from_config(cls, section: VerifySection, config=None, engine=None) -> "VerifyLabeler":
        return cls(section)

    def __init__(self, config: VerifySection | None = None) -> None:
        self.config = config or VerifySection()
        self.engine = None  # needs no model
        self._limits = code.SandboxLimits(self.config.code_cpu_seconds, self.config.code_memory_mb * 2**20,
                                          wall_seconds=self.config.code_wall_seconds)
        self._slots: asyncio.Semaphore | None = None

    async def check(self, task: LabelTask) -> list[tuple[bool | None, dict]]:
        if (found := formal.read(task.question)) is not None:  # swaps, orderings, letter order: Z3
            results = formal.check(found, list(task.steps), self.config.z3_timeout_ms)  # in this thread: z3's
            if any(v is not None for v, _ in results):  # context is not thread-safe; read nothing → other checkers
                return results
        problem = logic.parse_question(task.question)
        names: dict = {}
        earlier: list = []
        equations = algebra.State()
        results = []
        deadline = _clock() + self.config.record_time_budget_s
        for text in task.steps:
            equations.next_step()
            if _clock() > deadline:  # a safety valve: the rest of this solution is not checked
                results.append((None, {"checker": "none", "reason": "the solution's checking time "
                                       f"(record_time_budget_s = {self.config.record_time_budget_s:g}) was spent"}))
                if problem is not None:
                    earlier.append(None)
                continue
            try:
                results.append(await self._check_step(problem, text, names, earlier, equations))
            except (RecursionError, ArithmeticError, ValueError, TypeError, MemoryError) as exc:
                # A checker that breaks on a model's output leaves the step unknown, never the run.
                results.append((None, {"checker": "none", "reason": f"checker failed ({type(exc).__name__})"}))
                del earlier[len(results) - 1:]
                if problem is not None:
                    earlier.append(None)  # later deductions may not cite this step's conclusion
        return results

    async def _check_step(self, problem, text: str, names: dict, earlier: list, equations) -> tuple[bool | None, dict]:
        if problem is not None:
            verdict, evidence = logic_check.check_deduction(problem, text, earlier, self.config.z3_timeout_ms)
            step = logic.read_step(text)
            earlier.append(step.conclusion if step else None)
        elif (snippet := code.extract_code_claim(text)) is not None:
            if self._slots is None:
                self._slots = asyncio.Semaphore(self.config.max_parallel_snippets)
            async with self._slots:
                verdict, evidence = await asyncio.to_thread(code.check_code, snippet, self._limits, same_value)
        else:
            verdict, claims = arithmetic.check_step(text, names, self.config.max_claims_per_step,
                                                    self.config.step_time_budget_s)
            # equations with unknowns, read as a whole: they can only refute, never make a step correct
            solved = algebra.check(text, equations)
            if any(c.holds is False for c in solved):
                verdict = False
            claims = claims + solved
            evidence = {"checker": "arithmetic", "claims": [
                {"claim": c.claim, "holds": c.holds, "values": c.values, "reason": c.reason, "rule": c.rule}
                for c in claims]}
            if not claims:
                evidence["reason"] = "no checkable claim"
            elif verdict is None:
                evidence["reason"] = "some claim could not be checked"
        return verdict, evidence

    async def label(self, task: LabelTask) -> list[StepLabel]:
        results = await self.check(task)
        refuted = next((i for i, (v, _) in enumerate(results) if v is False), None)
        if refuted is not None:
            first_error, why = refuted, "first refuted step"
        elif results and all(v is True for v, _ in results):
            first_error, why = -1, "every step verified correct"
        else:
            first_error = None
            why = ("nothing checked" if all(v is None for v, _ in results)
                   else "nothing refuted, but some steps could not be checked")
        coverage = sum(v is not None for v, _ in results) / max(len(results), 1)
        rows = []
        for j, (verdict, evidence) in enumerate(results):
            if refuted is not None and j > refuted:
                label, status = None, AFTER_ERROR
            elif verdict is None:
                label, status = None, "abstained"
            else:
                label, status = verdict, "labeled"
            if j == 0:
                evidence = {**evidence, "coverage": round(coverage, 4), "first_error_reason": why}
            if j == refuted:
                evidence = {**evidence, "first_error_exact": all(v is True for v, _ in results[:j])}
            rows.append(StepLabel(
                run_id=task.run_id, rollout_id=task.rollout_id, problem_id=task.problem_id, step_index=j,
                labeler=self.name, label=label, score=None if label is None else float(label),
                first_error=first_error, status=status, evidence=json.dumps(evidence, default=str),
                engine="tools", model="sympy+z3+sandbox",
            ))
        return rows
