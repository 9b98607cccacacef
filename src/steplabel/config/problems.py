"""What is solved: the problem source, the synthetic world, and how rollouts are sampled."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field

from steplabel.config.base import _Section
from steplabel.schemas import DEFAULT_SEPARATOR


class WorldSection(_Section):
    min_steps: int = Field(3, ge=1)
    max_steps: int = Field(12, ge=1)
    difficulty: int = Field(1, ge=1, le=3)


class ProblemsSection(_Section):
    source: str = "synthetic:arith"
    limit: int | None = Field(None, ge=1)
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


class GenerateSection(_Section):
    samples: int = Field(4, ge=1, description="rollouts per problem")
    max_tokens: int = Field(1024, ge=1)
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
