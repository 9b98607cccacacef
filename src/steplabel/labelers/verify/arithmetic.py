"""Calculation claims in a step, checked exactly; a claim we do not fully read is not checked.

Precision first: a verifier that may abstain must be right whenever it speaks. A claim is
refuted only when its left side computes something (has an operator), both sides were read
completely (see ``claims``), and the stated value is off by more than the precision it was
written with:

- a decimal result may be rounded (half a unit in its last place) or truncated (one unit);
  ``≈``, "about" and a trailing "..." mark approximations: within one unit holds, within 5 %
  is left unchecked, further off is refuted;
- a whole number stated for a fraction ("47 / 3 = 16 bags") may be a deliberate rounding up
  or down: unchecked unless it is off by a whole unit or more;
- a percentage off by exactly a factor 100 ("25 / 100 × 100 = 25 %") is a notation, unchecked;
- ``a = b + c`` where both sides compute and ``b`` is the value of ``a`` is a run-on
  ("3 × 4 = 12 + 5 = 17"): unchecked, the next ``=`` is checked instead.

Each result keeps the claim as written, the values computed and the rule applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from steplabel.labelers.verify.claims import Pair, Side, find_pairs
from steplabel.labelers.verify.numeric import Parser, Unsupported, Value
from steplabel.labelers.verify.tokens import MAX_STEP_CHARS, Token, tokenize

MAX_CLAIMS_PER_STEP = 64
STEP_TIME_BUDGET_S = 0.5
_LOOSE = 0.05  # relative error within which an approximation is not refuted


@dataclass
class ClaimResult:
    claim: str  # as written in the step
    holds: bool | None  # None: could not be checked
    values: list[str] = field(default_factory=list)
    reason: str = ""
    rule: str = ""


def _show(v: Value) -> str:
    if v.exact is None:
        return f"{v.approx:.10g}"
    q = v.exact
    if q.denominator == 1:
        return str(q.numerator)
    return f"{q.numerator}/{q.denominator} ≈ {float(q):.6g}"


def _diff(a: Value, b: Value) -> float | Fraction:
    if a.exact is not None and b.exact is not None:
        return abs(a.exact - b.exact)
    return abs(a.approx - b.approx)


def _equal(a: Value, b: Value) -> bool:
    if a.exact is not None and b.exact is not None:
        return a.exact == b.exact
    return abs(a.approx - b.approx) <= 1e-9 * max(1.0, abs(a.approx), abs(b.approx))


def _text(raw: str, tokens: list[Token], start: int, end: int) -> str:
    return raw[tokens[start].start:tokens[end - 1].end]


def _first_operand(tokens: list[Token], side: Side, names: dict) -> Value | None:
    """Value of the first number-like operand of a side (for spotting run-ons)."""
    parser = Parser(tokens, names, limit=side.end)
    try:
        return parser.unary(side.start)[0]
    except Unsupported:
        return None


def judge(pair: Pair, tokens: list[Token], raw: str, names: dict, chained: bool = False) -> ClaimResult | None:
    """The verdict on one ``=``; None when it is no calculation claim (a label, a conversion)."""
    left, right = pair.left, pair.right
    if pair.assigns:
        text = f"{pair.assigns} = " + _text(raw, tokens, right.start, right.end)
        if not pair.reassigns:
            return ClaimResult(text, True, [_show(right.value)], f"introduces {pair.assigns}", "definition")
        if pair.previous is not None and _equal(pair.previous, right.value):
            return ClaimResult(text, True, [_show(right.value)], f"restates {pair.assigns}", "definition")
        if right.bare:
            return ClaimResult(text, None, [_show(right.value)], f"a value for {pair.assigns}, taken as given", "assignment")
        return ClaimResult(text, True, [_show(right.value)], f"defines {pair.assigns}", "definition")
    if left is None and pair.label is not None:
        return None  # "Total cost = …": a label, not a calculation
    if right is None or left is None:
        prev = tokens[pair.eq - 1] if pair.eq else None
        if left is None and right is None and (prev is None or prev.kind in ("punct", "word")):
            return None
        lo = left.start if left else max(0, pair.eq - 3)
        hi = right.end if right else min(pair.eq + 1, len(tokens))
        return ClaimResult(raw[tokens[lo].start:tokens[hi - 1].end].strip(), None, [],
                           "a side we could not read completely", "unread")
    text = _text(raw, tokens, left.start, right.end)
    values = [_show(left.value), _show(right.value)]
    result = ClaimResult(text, None, values)
    if left.bare and right.bare:
        if not chained or left.units or right.units:
            return None  # a restatement or a unit conversion, not a calculation
        # "2 + 2 = 4 = 5": a result restated in a chain must still be the same number
        if _equal(left.value, right.value):
            result.holds, result.rule, result.reason = True, "exact", "holds"
            return result
        return _against_stated(result, Side(left.value, left.start, left.end, 1, []), right, tokens, pair.approx,
                               _text(raw, tokens, right.start, right.end))
    if _equal(left.value, right.value):
        result.holds, result.rule, result.reason = True, "exact", "holds"
        return result
    if left.bare:
        if not _stated_first(tokens, left):
            result.rule, result.reason = "label", "the left side looks like part of a label"
            return result
        # "because 187 = 13 * 14": a number stated first, then computed
        result = _against_stated(result, Side(right.value, right.start, right.end, 1, []), left, tokens,
                                 pair.approx, _text(raw, tokens, left.start, left.end))
        if result.holds is False:
            result.reason = f"{_text(raw, tokens, right.start, right.end)} = {result.values[1]}, not {result.values[0]}"
        return result
    has_pct = any(t.kind == "pct" for t in tokens[left.start:right.end])
    if has_pct and (_equal(left.value, _mul100(right.value)) or _equal(_mul100(left.value), right.value)):
        result.rule, result.reason = "percent notation", "off by a factor 100: a percentage notation"
        return result
    if not right.bare and pair.approx:
        result.rule, result.reason = "approximation", "an approximation between two expressions is not checked"
        return result
    if not right.bare:
        first = _first_operand(tokens, right, names)
        if first is not None and _equal(first, left.value):
            result.rule, result.reason = "run-on", "a run-on chain (the next expression starts from this value)"
            return result
        result.holds, result.rule = False, "expressions differ"
        result.reason = f"{values[0]} ≠ {values[1]}"
        return result
    remainder = _remainder_after(tokens, right)
    if remainder is not None:
        return _euclid(result, tokens, left, right, remainder, names)
    return _against_stated(result, left, right, tokens, pair.approx, _text(raw, tokens, right.start, right.end))


# Words after which a lone number starts a claim ("because 187 = 13 * 14"), not a label's tail
# ("in 8 boxes = 8 * 20", "Day 3 = 3 * 5").
_CLAIM_LEADS = {"because", "since", "as", "so", "thus", "hence", "then", "that", "and", "is", "get", "gives", "have",
                "has", "obtain", "where", "note", "notice", "check", "verify", "compute", "calculate", "factor",
                "write", "means", "implies", "therefore", "but", "indeed", "here", "now", "also", "hence"}


def _stated_first(tokens: list[Token], left: Side) -> bool:
    if left.units or tokens[left.start].kind != "num":
        return False
    if left.start == 0:
        return True
    prev = tokens[left.start - 1]
    if prev.kind == "word":
        return prev.text.lower() in _CLAIM_LEADS
    return prev.kind in ("punct", "approx", "eq") and prev.text not in ("[", "]", ",", ":")


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


def _remainder_after(tokens: list[Token], right: Side) -> Token | None:
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


def _euclid(result: ClaimResult, tokens: list[Token], left: Side, right: Side, remainder: Token,
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


def _mul100(v: Value) -> Value:
    return Value(v.exact * 100 if v.exact is not None else None, v.approx * 100)


def _against_stated(result: ClaimResult, left: Side, right: Side, tokens: list[Token], approx: bool,
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
    diff = _diff(left.value, right.value)
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


def _chains(pairs: list[Pair]) -> list[list[int]]:
    """Indices of pairs linked as ``a = b = c`` (the right side of one is the left of the next)."""
    chains: list[list[int]] = []
    for k, p in enumerate(pairs):
        prev = pairs[k - 1] if k else None
        if prev is not None and prev.right is not None and p.left is not None \
                and (prev.right.start, prev.right.end) == (p.left.start, p.left.end):
            chains[-1].append(k)
        else:
            chains.append([k])
    return chains


def _forgive_slips_in_working(pairs: list[Pair], judged: list[ClaimResult | None]) -> None:
    """In a chain ``a = b = … = z`` whose result ``z`` equals ``a``, a wrong middle expression is
    a slip in the working that does not change the result: not refuted, left unchecked."""
    for chain in _chains(pairs):
        if len(chain) < 2:
            continue
        first = pairs[chain[0]].left or pairs[chain[0]].right
        last = pairs[chain[-1]].right
        if first is None or last is None or not _equal(first.value, last.value):
            continue
        for k in chain:
            r = judged[k]
            if r is not None and r.holds is False:
                r.holds, r.rule = None, "slip in the working"
                r.reason += "; the chain's result equals its start, so the slip is not refuted"


def _restatements(pairs: list[Pair], judged: list, tokens: list[Token], raw: str, names: dict) -> None:
    """"Total time = 20 + 23. Total time = 43.": a label given an expression, then a number, is
    one claim. The expression is remembered (across steps too) until the label's next use."""
    for chain in _chains(pairs):
        p = pairs[chain[0]]
        if p.label is None or p.left is not None or p.right is None:
            continue
        key = "label:" + p.label
        if len(chain) > 1:
            names.pop(key, None)
        elif not p.right.bare:
            names[key] = (p.right, _text(raw, tokens, p.right.start, p.right.end))
        elif key in names:
            side, written = names.pop(key)
            said = _text(raw, tokens, p.right.start, p.right.end)
            r = ClaimResult(f"{p.label} = {written}; {p.label} = {said}", None,
                            [_show(side.value), _show(p.right.value)])
            if _equal(side.value, p.right.value):
                r.holds, r.rule, r.reason = True, "exact", "holds"
            else:
                r = _against_stated(r, Side(side.value, 0, 0, max(side.ops, 1), []), p.right, tokens, p.approx, said)
            r.rule = f"restated label ({r.rule})"
            judged[chain[0]] = r


def check_step(text: str, names: dict, max_claims: int = MAX_CLAIMS_PER_STEP,
               budget_s: float = STEP_TIME_BUDGET_S) -> tuple[bool | None, list[ClaimResult]]:
    """False if any claim is refuted; True if there are claims and all hold; else None.

    ``names`` maps names defined so far (``A = …``) to values and is updated. At most
    ``max_claims`` ``=`` signs are read and the step stops being read after ``budget_s`` s.
    """
    deadline = time.monotonic() + budget_s
    try:
        tokens = tokenize(text)
    except RecursionError:
        return None, [ClaimResult("", None, [], "step too complex to read", "limit")]
    pairs = find_pairs(tokens, names, max_claims, deadline)
    chained = {k for chain in _chains(pairs) for k in chain[1:]}
    judged: list[ClaimResult | None] = []
    for k, pair in enumerate(pairs):
        try:
            judged.append(judge(pair, tokens, text, names, k in chained))
        except (Unsupported, ArithmeticError, ValueError, RecursionError) as exc:
            judged.append(ClaimResult("", None, [], f"not checked: {exc}", "error"))
    _forgive_slips_in_working(pairs, judged)
    _restatements(pairs, judged, tokens, text, names)
    results = [r for r in judged if r is not None]
    if time.monotonic() > deadline:
        results.append(ClaimResult("", None, [], f"time budget of {budget_s:g} s spent; the rest is unchecked", "limit"))
    elif sum(t.kind in ("eq", "approx") for t in tokens) > len(pairs) or len(text) > MAX_STEP_CHARS:
        results.append(ClaimResult("", None, [], f"more than {max_claims} claims or {MAX_STEP_CHARS} characters; "
                                   "the rest is unchecked", "limit"))
    if any(r.holds is False for r in results):
        return False, results
    if results and all(r.holds for r in results):
        return True, results
    return None, results


def evaluate(expr: str, names: dict | None = None) -> Fraction | float:
    """The value of one whole expression (used to compare a snippet's output with a claim);
    ValueError when it is not plain arithmetic."""
    tokens = tokenize(expr)
    if not tokens:
        raise ValueError("empty")
    try:
        value, end = Parser(tokens, dict(names or {})).parse(0)
    except (Unsupported, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if end != len(tokens):
        raise ValueError("not plain arithmetic")
    return value.exact if value.exact is not None else value.approx
