"""The labeler interface and what a labeler is allowed to see.

``LabelTask`` is built from a stored rollout but carries no ground truth: a labeler sees the
question, the reference answer, the prompt and the solution text, as it would with a real LLM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from steplabel.schemas import StepLabel


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

    @property
    def num_steps(self) -> int:
        return len(self.steps)


class Labeler(Protocol):
    name: str

    async def label(self, task: LabelTask) -> list[StepLabel]: ...


def first_error_of(labels: Sequence[bool | None]) -> int:
    """Index of the first step labeled incorrect, -1 if none (unknown steps do not count)."""
    for i, label in enumerate(labels):
        if label is False:
            return i
    return -1
