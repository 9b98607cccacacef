"""How a computed value is held against what the step states: the precision rules.

Why separate: these are the statements about how people write numbers (rounding to the places
written, truncation marked by "...", approximations from rounded inputs, a number stated
before its computation, division with a remainder) that decide whether a readable claim is
refuted, holds, or is left unchecked. Keeping them apart from reading (``claims``) keeps both
small enough to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from steplabel.labelers.verify.claims import Side
from steplabel.labelers.verify.numeric import Parser, Unsupported, Value
from steplabel.labelers.verify.tokens import Token

_LOOSE = 0.05  # relative error within which an approximation from rounded inputs is not refuted


@dataclass
class ClaimResult:
    claim: str  # as written in the step
    holds: bool | None  # None: could not be checked
    values: list[str] = field(default_factory=list)
    reason: str = ""
    rule: str = ""
    spans: list = field(default_factory=list, repr=False)  # token spans it verified beyond its "="


def show(v: Value) -> str:
    if v.exact is None:
        return f"{v.approx:.10g}"
    q = v.exact
    if q.denominator == 1:
        return str(q.numerator)
    return f"{q.numerator}/{q.denominator} ≈ {float(q):.6g}"


def distance(a: Value, b: Value) -> float | Fraction:
    if a.exact is not None and b.exact is not None:
        return abs(a.exact - b.exact)
    return abs(a.approx - b.approx)


def same(a: Value, b: Value) -> bool:
    if a.exact is not None and b.exact is not None:
        return a.exact == b.exact
    return abs(a.approx - b.approx) <= 1e-9 * max(1.0, abs(a.approx), abs(b.approx))


# Words after which a lone number starts a claim ("because 187 = 13 * 14"), not a label's tail
# ("in 8 boxes = 8 * 20", "Day 3 = 3 * 5").
_CLAIM_LEADS = {"because", "since", "as", "so", "thus", "hence", "then", "that", "and", "is", "get", "gives", "have",
                "has", "obtain", "where", "note", "notice", "check", "verify", "compute", "calculate", "factor",
                "write", "means", "implies", "therefore", "but", "indeed", "here", "now", "also", "hence"}


def stated_first(tokens: list[Token], left: Side) -> bool:
    if left.units or tokens[left.start].kind != "num":
        return False
    if left.start == 0:
        return True
    prev = tokens[left.start - 1]
    if prev.kind == "word":
        return prev.text.lower() in _CLAIM_LEADS
    return prev.kind in ("punct", "approx", "eq") and prev.text not in ("[", "]", ",")


def _halves(tokens: list[Token], side: Side) -> Fraction:
    """Sum of the rounding (half a unit in the last place) of the decimals written in a side."""
    return sum((Fraction(1, 2 * 10 ** len(t.text.split(".", 1)[1]))
                for t in tokens[side.start:side.end] if t.kind == "num" and "." in t.text), Fraction(0))


def _additive(tokens: list[Token], side: Side) -> bool:
    """Only + and - between exact written numbers, so rounding errors only add up."""
    inside = tokens[side.start:side.end]
    if any(t.kind == "num" and t.trunc for t in inside):
        return False
    return _halves(tokens, side) < Fraction(1, 10) and all(t.kind in ("num", "lp", "rp", "word", "punct")
                                            or (t.kind == "op" and t.text in "+-") for t in inside)


def remainder_after(tokens: list[Token], right: Side) -> Token | None:
    """The remainder in "= 255 with a remainder of 4", "= 4 remainder 133", "= 2 R 3", else None."""
    j, seen = right.end, False
    while j < min(len(tokens), right.end + 7):
        t = tokens[j]
        low = t.text.lower()
        if not seen and (t.kind in ("word", "var") and low in ("with", "a", "of", "and") or t.kind == "punct"):
            j += 1
        elif not seen and ((t.kind == "word" and low in ("remainder", "rem")) or (t.kind == "var" and low == "r")):
            seen = True
            j += 1
        elif seen and (t.kind == "punct" or (t.kind == "word" and low == "of")):
            j += 1
        elif seen and t.kind == "num" and "." not in t.text:
            return t
        else:
            return None
    return None


def euclid(result: ClaimResult, tokens: list[Token], left: Side, right: Side, remainder: Token,
            names: dict) -> ClaimResult:
    """``a ÷ b = q remainder r``: q must be the whole quotient and r = a - b q, 0 <= r < b."""
    result.rule = "division with remainder"
    slash = max((k for k in range(left.start, left.end) if tokens[k].kind == "op" and tokens[k].text == "/"),
                default=None)
    if slash is None or left.value.exact is None or right.value.exact is None or left.value.exact < 0:
        result.reason = "not a division of whole numbers"
        return result
    try:
        divisor, end = Parser(tokens, names, limit=left.end).parse(slash + 1)
    except Unsupported:
        divisor, end = None, None
    if divisor is None or end != left.end or divisor.exact is None or divisor.exact.denominator != 1 or divisor.exact <= 0:
        result.reason = "the divisor is not a whole number we read"
        return result
    b, a = divisor.exact, left.value.exact * divisor.exact
    if a.denominator != 1:
        result.reason = "not a division of whole numbers"
        return result
    q, r = right.value.exact, Fraction(remainder.text.replace(",", ""))
    true_q = a // b
    if q == true_q and r == a - b * true_q:
        result.holds, result.reason = True, "quotient and remainder hold"
    else:
        result.holds = False
        result.reason = f"{a} = {b} × {true_q} + {a - b * true_q}, not quotient {q} remainder {r}"
    return result


def times100(v: Value) -> Value:
    return Value(v.exact * 100 if v.exact is not None else None, v.approx * 100)


def against_stated(result: ClaimResult, left: Side, right: Side, tokens: list[Token], approx: bool,
                    said: str) -> ClaimResult:
    """A computed value against a stated number, at the precision the number was written with."""
    nums = [t for t in tokens[right.start:right.end] if t.kind == "num"]
    stated = nums[-1] if nums else None
    places = len(stated.text.split(".", 1)[1]) if stated is not None and "." in stated.text else 0
    unit = Fraction(1, 10 ** places)
    if any(t.kind == "pct" for t in tokens[right.start:right.end]):
        unit /= 100
    approx = approx or (stated is not None and stated.trunc) or any(
        t.kind == "num" and t.trunc for t in tokens[left.start:left.end])
    diff = distance(left.value, right.value)
    if diff <= unit / 2 and (places > 0 or approx or left.value.exact is None):
        result.holds, result.rule, result.reason = True, "rounded", f"holds rounded to {places} decimal place(s)"
        return result
    if diff < unit:
        result.rule, result.reason = "rounding", "within one unit of the stated precision (rounded or truncated)"
        if places > 0 or approx:
            result.holds, result.rule = True, "truncated"
        return result
    size = max(abs(left.value.approx), abs(right.value.approx), 1e-12)
    if approx and places == 0 and stated is not None:
        # "≈ 60" states tens: its trailing zeros are not significant
        zeros = len(stated.text) - len(stated.text.rstrip("0"))
        if diff <= unit * 10 ** zeros / 2:
            result.holds, result.rule, result.reason = True, "rounded", "holds at the stated significant figures"
            return result
    if approx and diff <= unit + _halves(tokens, left):
        result.holds, result.rule, result.reason = True, "rounded", "holds within the rounding of its numbers"
        return result
    # An approximation may be computed from rounded inputs: within 5 % it is not refuted, unless
    # it only adds and subtracts exact written numbers (their roundings cannot add up to more).
    if approx and not _additive(tokens, left) and float(diff) <= _LOOSE * size:
        result.rule, result.reason = "loose approximation", "an approximation within 5 %"
        return result
    result.holds, result.rule = False, "approximation" if approx else "exact"
    result.reason = f"{result.values[0]}, not {said}"
    return result
