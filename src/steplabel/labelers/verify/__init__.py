"""Tool and formal verification (FoVer, GroundedPRM): step labels that need no LLM and no
rollouts, each with evidence a person can check.

Per step, the first checker that applies decides: a deduction step of the logic world → Z3;
a step with a Python snippet and a stated result → the sandbox; otherwise its calculation
claims → sympy. A refuted step is incorrect, a step whose claims all hold is correct, a step
with nothing checkable stays unknown (never guessed). The first error is the first refuted
step (-1 when nothing is refuted); ``coverage`` in the evidence is the share of steps decided.

``score``: 1.0 for a step whose claims all hold, 0.0 for a refuted one (a tool's check is
taken as certain); null for a step with nothing checkable and after the first error.
"""

from __future__ import annotations

import asyncio
import json

from steplabel.config import VerifySection
from steplabel.labelers.base import LabelTask, PerRolloutLabeler
from steplabel.labelers.verify import arithmetic, code
from steplabel.labelers.verify import logic as logic_check
from steplabel.problems.worlds import logic
from steplabel.schemas import AFTER_ERROR, StepLabel


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
        problem = logic.parse_question(task.question)
        names: dict = {}
        earlier: list = []
        results = []
        for text in task.steps:
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
                verdict, claims = arithmetic.check_step(text, names)
                evidence = {"checker": "sympy", "claims": [
                    {"claim": c.claim, "holds": c.holds, "values": c.values, "reason": c.reason} for c in claims]}
                if not claims:
                    evidence["reason"] = "no checkable claim"
            results.append((verdict, evidence))
        return results

    async def label(self, task: LabelTask) -> list[StepLabel]:
        results = await self.check(task)
        refuted = next((i for i, (v, _) in enumerate(results) if v is False), None)
        first_error = refuted if refuted is not None else -1
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
                evidence = {**evidence, "coverage": round(coverage, 4)}
            rows.append(StepLabel(
                run_id=task.run_id, rollout_id=task.rollout_id, problem_id=task.problem_id, step_index=j,
                labeler=self.name, label=label, score=None if label is None else float(label),
                first_error=first_error, status=status, evidence=json.dumps(evidence, default=str),
                engine="tools", model="sympy+z3+sandbox",
            ))
        return rows
