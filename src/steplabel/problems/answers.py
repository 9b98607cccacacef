"""Final-answer extraction and equivalence through math-verify.

math-verify's default timeouts use ``signal.alarm``, which refuses to run outside the main
thread (Prefect runs tasks in threads). We turn them off and bound the work ourselves: answers
are extracted first with a cheap scan and cut to ``MAX_ANSWER_CHARS`` before sympy sees them.
"""

from __future__ import annotations

import logging
import math
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
    if _too_large(gold) or _too_large(pred):
        # sympy would evaluate a tower such as 9^{9^{9}} for ever: only the same text matches
        return " ".join(reference.split()) == " ".join(predicted.split())
    return bool(verify(gold, pred, timeout_seconds=None))


def _too_large(parsed) -> bool:
    import sympy

    try:
        return isinstance(parsed[0], sympy.Basic) and _digits(parsed[0]) > MAX_REFERENCE_DIGITS
    except (TypeError, ValueError, OverflowError, RecursionError, AttributeError):
        return True


def check_answer(reference: str, solution_text: str) -> tuple[str | None, bool]:
    """(extracted final answer, whether it is equivalent to the reference)."""
    answer = extract_final_answer(solution_text)
    if answer is None:
        return None, False
    return answer, answers_equivalent(reference, answer)


_NOT_VALUES = {"nan", "inf", "+inf", "-inf", "infinity", "none", "null", "undefined", "n/a"}
MAX_REFERENCE_DIGITS = 1000  # a reference larger than 10^1000 cannot be compared in bounded time


def unusable_reference(answer: str) -> str | None:
    """Why a reference answer that math-verify parses is still no answer to compare with, or
    None. Three general cases: a word for "no value" (math-verify reads ``NaN`` as n·a·n); Python's
    ``**``, which LaTeX parsing reads only up to it (``10**10**10`` becomes 10); and values that
    are undefined (1/0, 0/0) or too large to compare (towers such as 2^{2^{100}})."""
    text = answer.strip()
    if text.lower().strip("$ ") in _NOT_VALUES:
        return "not a value"
    if "**" in text:
        return "Python's ** is not read as a power (write 10^{10})"
    import sympy

    try:
        expr = _parsed(text)[0]
        if not isinstance(expr, sympy.Basic):
            return None
        if expr.has(sympy.nan, sympy.zoo):
            return "undefined (a division by zero or NaN)"
        if _digits(expr) > MAX_REFERENCE_DIGITS:
            return f"too large to compare (over 10^{MAX_REFERENCE_DIGITS})"
    except (TypeError, ValueError, OverflowError, RecursionError, AttributeError):
        return None
    return None


def _digits(e) -> float:
    """An upper estimate of log10|e| for the number-only parts of an expression, computed on
    logarithms so that a tower is never evaluated (symbols and the rest count as 0)."""
    import sympy

    if e.is_Integer:
        return math.log10(abs(int(e))) if e != 0 else 0.0
    if e.is_Rational:
        return max(_digits(sympy.Integer(e.p)), _digits(sympy.Integer(e.q)))
    if e.is_Float:
        return math.log10(abs(float(e))) if e != 0 and e.is_finite else 0.0
    if isinstance(e, sympy.Pow) and e.base.is_number and e.exp.is_number:
        base, exp = _digits(e.base), _digits(e.exp)
        if base <= 0:  # |base| <= 1 never grows
            return 0.0
        return math.inf if exp > 6 else base * abs(float(e.exp))
    if isinstance(e, sympy.factorial) and e.args[0].is_number:
        n = _digits(e.args[0])
        return math.inf if n > 6 else float(e.args[0]) * math.log10(max(float(e.args[0]), 1))
    if isinstance(e, sympy.Mul):
        return sum(max(_digits(a), 0.0) for a in e.args)
    return max((_digits(a) for a in e.args), default=0.0) + (1 if e.args else 0)


_SPACE = re.compile(r"\s+|\\[,;!: ]|\$")


def answer_key(answer: str) -> str:
    """A cheap key under which equal answers written alike meet (``207``, ``207.0``, ``$207$``,
    ``2,070`` as 2070): used to count how often wrong answers repeat, not to judge them, so two
    spellings of one value kept apart only make agreement look rarer."""
    text = _SPACE.sub("", answer).strip(".").lower()
    plain = text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) else text
    try:
        value = float(plain)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return repr(round(value, 9)).removesuffix(".0")
