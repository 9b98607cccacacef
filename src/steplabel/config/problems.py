"""What is solved: the problem source, the synthetic world, and how rollouts are sampled."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import re

from pydantic import Field, field_validator, model_validator

from steplabel.config.base import MAX_SAMPLES, MAX_TOKENS, _Section
from steplabel.schemas import DEFAULT_SEPARATOR


class WorldSection(_Section):
    min_steps: int = Field(3, ge=1, le=100)
    max_steps: int = Field(12, ge=1, le=100)
    difficulty: int = Field(1, ge=1, le=3)

    @model_validator(mode="after")
    def _ordered(self) -> "WorldSection":
        if self.min_steps > self.max_steps:
            raise ValueError(f"min_steps ({self.min_steps}) is above max_steps ({self.max_steps}): "
                             "no problem has that many steps")
        return self


class ProblemsSection(_Section):
    source: str = "synthetic:arith"
    limit: int | None = Field(None, ge=1, le=10_000_000, description="at most this many problems; a synthetic world makes this many")
    split: str = "train"
    hf_config: str | None = None
    question_column: str | None = None
    answer_column: str | None = None
    id_column: str | None = None
    answer_format: Literal["auto", "plain", "gsm8k", "boxed"] = "auto"
    solutions: str | None = Field(None, description="solutions you already have (FILE or hf:NAME): labeled "
                                  "instead of generated; source is then not read")
    solution_column: str | None = Field(None, description="the solution's column (text or a list of steps)")
    step_separator: str = DEFAULT_SEPARATOR
    synthetic: WorldSection = WorldSection()

    @field_validator("step_separator")
    @classmethod
    def _regex(cls, value: str) -> str:
        """Compiled now, so a typo is a config error and not a crash at the first generation."""
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        if pattern.match("") is not None:
            raise ValueError("matches the empty string, so it would split between every character")
        return value


class GenerateSection(_Section):
    samples: int = Field(4, ge=1, le=MAX_SAMPLES, description="rollouts per problem")
    max_tokens: int = Field(1024, ge=1, le=MAX_TOKENS)
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_up: bool = Field(False, description="with given solutions: generate more, up to samples per problem")


def content_digest(source: str) -> str | None:
    """A hash of a local file's bytes (None for hf: and for a file that cannot be read), so a run
    over an edited file is another run. The run id fails later, with the reader's own message."""
    if source.startswith("hf:"):
        return None
    digest = hashlib.sha256()
    try:
        with open(Path(source), "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
