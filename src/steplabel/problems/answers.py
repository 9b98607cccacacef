"""Final-answer extraction and equivalence through math-verify.

math-verify's default timeouts use ``signal.alarm``, which refuses to run outside the main
thread (Prefect runs tasks in threads). We turn them off and bound the work ourselves: answers
are extracted first with a cheap scan and cut to ``MAX_ANSWER_CHARS`` before sympy sees them.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from math_verify import parse, verify

MAX_ANSWER_CHARS = 200

logging.getLogger("math_verify").setLevel(logging.ERROR)

_HASHES = re.compile(r"####\s*([^\n]+)")
_ANSWER_IS = re.compile(r"answer is[:\s]*\$?([^\n$]+?)\$?\s*\.?\s*$", re.IGNORECASE | re.MULTILINE)


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced."""
    idx = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if idx < 0:
        return None
    open_idx = text.find("{", idx)
    if open_idx < 0:
        return None
    depth = 0
    for i in range(open_idx, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_idx + 1 : i].strip()
    return None


def extract_final_answer(text: str) -> str | None:
    """The final answer a solution states: last \\boxed{}, else ``#### x``, else "answer is x"."""
    boxed = last_boxed(text)
    if boxed:
        return boxed
    hashes = _HASHES.findall(text)
    if hashes:
        return hashes[-1].strip().replace(",", "") or None
    said = _ANSWER_IS.findall(text)
    if said:
        return said[-1].strip() or None
    return None


def reference_from_gsm8k(answer: str) -> str | None:
    """GSM8K keeps the reasoning and ends with ``#### 42``."""
    found = _HASHES.findall(answer)
    return found[-1].strip().replace(",", "") if found else None


@lru_cache(maxsize=65536)
def _parsed(answer: str):
    # Wrapping in $...$ makes math-verify read the text as one LaTeX expression.
    return parse(f"${answer[:MAX_ANSWER_CHARS]}$", parsing_timeout=None)


def is_parsable(answer: str) -> bool:
    """math-verify made a math object of it (not only its fallback string)."""
    return len(_parsed(answer.strip())) >= 2


@lru_cache(maxsize=262144)
def answers_equivalent(reference: str, predicted: str) -> bool:
    """Mathematical equivalence (math-verify), cached: MC labeling asks the same pair often."""
    gold = _parsed(reference.strip())
    pred = _parsed(predicted.strip())
    if not gold or not pred:
        return False
    return bool(verify(gold, pred, timeout_seconds=None))


def check_answer(reference: str, solution_text: str) -> tuple[str | None, bool]:
    """(extracted final answer, whether it is equivalent to the reference)."""
    answer = extract_final_answer(solution_text)
    if answer is None:
        return None, False
    return answer, answers_equivalent(reference, answer)
