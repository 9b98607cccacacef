"""The labeler interface and what a labeler is allowed to see.

``LabelTask`` is built from a stored rollout but carries no ground truth: a labeler sees the
question, the reference answer, the prompt and the solution text, as it would with a real LLM.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from steplabel.schemas import Rollout, Step, StepLabel


@dataclass(frozen=True)
class LabelTask:
    run_id: str
    rollout_id: str
    problem_id: str
    question: str
    reference_answer: str
    prompt: str
    text: str
    step_ends: tuple[int, ...]  # character offset in ``text`` where each step ends
    steps: tuple[str, ...]
    correct: bool  # whether the rollout's own final answer matches the reference
    num_tokens: int = 0  # generated tokens of the solution, where known
    # Where the engine has a tokenizer: the ids, and the token index where each step ends
    # (None for a step whose end falls inside a token).
    prompt_token_ids: tuple[int, ...] | None = None
    token_ids: tuple[int, ...] | None = None
    step_token_ends: tuple[int | None, ...] | None = None

    @property
    def num_steps(self) -> int:
        return len(self.steps)


@dataclass
class LabelOutput:
    """What labeling one problem produced. Labelers that sample new solutions (OmegaPRM's
    tree) return them as rollouts with their steps, so every label points at a stored text."""

    labels: list[StepLabel] = field(default_factory=list)
    rollouts: list[Rollout] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)
    counters: dict = field(default_factory=dict)


class Labeler(Protocol):
    name: str

    async def label_problem(self, tasks: Sequence[LabelTask]) -> LabelOutput: ...


class PerRolloutLabeler:
    """Base for labelers that label each rollout on its own (MC, judge, verify)."""

    name = "base"

    async def label(self, task: LabelTask) -> list[StepLabel]:
        raise NotImplementedError

    async def label_problem(self, tasks: Sequence[LabelTask]) -> LabelOutput:
        out = LabelOutput()
        for rows in await asyncio.gather(*(self.label(t) for t in tasks)):
            out.labels.extend(rows)
        return out


def first_error_of(labels: Sequence[bool | None]) -> int | None:
    """Index of the first step labeled incorrect; -1 if every step is correct; None if an
    unknown step comes first (the first error cannot be told)."""
    for i, label in enumerate(labels):
        if label is False:
            return i
        if label is None:
            return None
    return -1
