"""Split a solution into steps. Blank lines by default: one paragraph, one step."""

from __future__ import annotations

import re
from decimal import Decimal
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


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?")


def stated_value(step: str) -> str | None:
    """The last number a step states, written one way (``1,200.50`` and ``1200.5`` alike), or
    None if it states none.

    Why: a step of a calculation ends on what it found, so two steps that end on the same number
    found the same thing, however they are worded. Noise-aware MC compares the value a given
    step states with the values its completions' first steps state (``estimate.Observed.echo``).
    """
    found = _NUMBER.findall(step)
    if not found:
        return None
    value = Decimal(found[-1].replace(",", "")).normalize()
    return f"{value:f}" if value != 0 else "0"
