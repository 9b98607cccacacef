"""Split a solution into steps. Blank lines by default: one paragraph, one step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from steplabel.schemas import DEFAULT_SEPARATOR


@dataclass(frozen=True)
class StepSpan:
    text: str
    start: int  # character offsets into the solution text
    end: int


@lru_cache(maxsize=32)
def _compiled(separator: str) -> re.Pattern[str]:
    return re.compile(separator)


def split_steps(text: str, separator: str = DEFAULT_SEPARATOR) -> list[StepSpan]:
    """Steps with their character spans; whitespace-only pieces are dropped.

    Spans let a labeler cut the *original* text at a step boundary (what a prefix cache wants)
    instead of re-joining stripped steps.
    """
    spans: list[StepSpan] = []
    pos = 0
    for match in [*_compiled(separator).finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[pos:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            start = pos + lead
            spans.append(StepSpan(stripped, start, start + len(stripped)))
        if match:
            pos = match.end()
    return spans
