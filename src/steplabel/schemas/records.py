"""Typed records. Plain dataclasses: cheap to build by the hundred thousand, easy to pickle.

Conventions (see DESIGN.md): steps are 0-indexed; ``first_error`` is the index of the earliest
incorrect step or -1; a hard label is True (correct), False (incorrect) or None (unknown).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

#: ``StepLabel.status`` of a step after the first error: not estimated, left out of exports.
AFTER_ERROR = "after_error"
#: How the ``reason`` of an abstained label starts when the policy never reached the answer on
#: its question: its counts cannot place an error, and a rerun would fail the same way.
UNSOLVED = "unsolved: "
# Steps are paragraphs unless a run says otherwise: one blank line (or more) between steps.
DEFAULT_SEPARATOR = r"\n\s*\n"


def new_id(*parts: object) -> str:
    """A stable short id from its parts, so reruns produce the same ids."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8)
    return digest.hexdigest()


@dataclass
class Problem:
    problem_id: str
    source: str
    question: str
    reference_answer: str
    metadata: str = "{}"  # JSON text: free-form per source
    run_id: str = ""


@dataclass
class Rollout:
    rollout_id: str
    problem_id: str
    run_id: str
    sample_index: int
    engine: str
    model: str
    sampling: str  # JSON text of the sampling parameters
    prompt: str
    text: str
    final_answer: str | None
    correct: bool | None
    num_steps: int
    prompt_tokens: int
    generated_tokens: int
    finish_reason: str
    # Never shown to a labeler: the world's oracle (synthetic worlds), a given row's own label.
    truth_first_error: int | None = None
    origin: str = "generate"  # generate | given (a solutions file) | <labeler> that sampled it (OmegaPRM)
    # Token ids where the engine has a tokenizer: MC continuations reuse them (prefix cache).
    prompt_token_ids: list[int] | None = None
    token_ids: list[int] | None = None


@dataclass
class Step:
    rollout_id: str
    problem_id: str
    run_id: str
    step_index: int
    text: str
    char_start: int
    char_end: int
    token_start: int | None = None
    token_end: int | None = None


@dataclass
class StepLabel:
    run_id: str
    rollout_id: str
    problem_id: str
    step_index: int
    labeler: str
    label: bool | None
    score: float | None
    first_error: int | None  # None: an unknown step comes before any error
    status: str = "labeled"  # labeled | after_error | abstained
    evidence: str = "{}"  # JSON text: rollouts correct/total, verdicts, claims ...
    rollouts: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    engine_requests: int = 0
    engine: str = ""
    model: str = ""


@dataclass
class QuarantineRecord:
    source: str
    location: str
    reason: str
    excerpt: str = ""
    stage: str = "load"
    run_id: str = ""
    extra: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Excerpts are for people: keep them short and valid text whatever the input was.
        if len(self.excerpt) > 300:
            self.excerpt = self.excerpt[:297] + "..."
