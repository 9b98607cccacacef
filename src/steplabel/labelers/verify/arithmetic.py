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

Each result keeps the claim as written, the values computed and the rule applied. Reading
sides is ``claims``; the precision rules are ``compare``; this module judges each ``=`` and
the chains they form.
"""

from __future__ import annotations

import time
from fractions import Fraction

from steplabel.labelers.verify.claims import Pair, Side, find_pairs
from steplabel.labelers.verify.compare import (ClaimResult, against_stated, distance, euclid, remainder_after, same,
                                               show, stated_first, times100)
from steplabel.labelers.verify.numeric import Parser, Unsupported, Value, number
from steplabel.labelers.verify.tokens import MAX_STEP_CHARS, Token, tokenize

MAX_CLAIMS_PER_STEP = 64
STEP_TIME_BUDGET_S = 5.0  # a safety valve for pathological text; normal steps take milliseconds


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
            return ClaimResult(text, True, [show(right.value)], f"introduces {pair.assigns}", "definition")
        if pair.previous is not None and same(pair.previous, right.value):
            return ClaimResult(text, True, [show(right.value)], f"restates {pair.assigns}", "definition")
        if right.bare:
            return ClaimResult(text, None, [show(right.value)], f"a value for {pair.assigns}, taken as given", "assignment")
        return ClaimResult(text, True, [show(right.value)], f"defines {pair.assigns}", "definition")
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
    values = [show(left.value), show(right.value)]
    result = ClaimResult(text, None, values)
    if pair.cong:
        return _congruence(result, pair, left, right)
    if left.bare and right.bare:
        if not chained or left.units or right.units:
            return None  # a restatement or a unit conversion, not a calculation
        # "2 + 2 = 4 = 5": a result restated in a chain must still be the same number
        if same(left.value, right.value):
            result.holds, result.rule, result.reason = True, "exact", "holds"
            return result
        return against_stated(result, Side(left.value, left.start, left.end, 1, []), right, tokens, pair.approx,
                               _text(raw, tokens, right.start, right.end))
    if same(left.value, right.value):
        result.holds, result.rule, result.reason = True, "exact", "holds"
        return result
    if left.bare:
        if not stated_first(tokens, left):
            result.rule, result.reason = "label", "the left side looks like part of a label"
            return result
        # "because 187 = 13 * 14": a number stated first, then computed
        result = against_stated(result, Side(right.value, right.start, right.end, 1, []), left, tokens,
                                 pair.approx, _text(raw, tokens, left.start, left.end))
        if result.holds is False:
            result.reason = f"{_text(raw, tokens, right.start, right.end)} = {result.values[1]}, not {result.values[0]}"
        return result
    if any(t.kind in ("var", "word") and t.text in names for t in tokens[right.start:right.end]):
        result.rule, result.reason = "algebra", "names on both sides: an equation, not a calculation"
        return result
    if any(t.kind == "pct" for t in tokens[left.start:right.end]) and _percent_notation(left, right, tokens):
        result.rule, result.reason = "percent notation", "off by a factor 100: a percentage notation"
        return result
    if not right.bare and pair.approx:
        result.rule, result.reason = "approximation", "an approximation between two expressions is not checked"
        return result
    if not right.bare:
        first = _first_operand(tokens, right, names)
        if first is not None and same(first, left.value):
            result.rule, result.reason = "run-on", "a run-on chain (the next expression starts from this value)"
            return result
        result.holds, result.rule = False, "expressions differ"
        result.reason = f"{values[0]} ≠ {values[1]}"
        return result
    remainder = remainder_after(tokens, right)
    if remainder is not None:
        return euclid(result, tokens, left, right, remainder, names)
    return against_stated(result, left, right, tokens, pair.approx, _text(raw, tokens, right.start, right.end))


def _congruence(result: ClaimResult, pair: Pair, left: Side, right: Side) -> ClaimResult | None:
    """``a ≡ b (mod n)``: n divides a - b. Without a modulus we read, it is no claim."""
    if pair.modulus is None:
        return None
    a, b, n = left.value.exact, right.value.exact, pair.modulus
    result.rule = f"congruence mod {n}"
    if a is None or b is None or a.denominator != 1 or b.denominator != 1:
        result.reason = "not whole numbers"
        return result
    if (a - b) % n == 0:
        result.holds, result.reason = True, "holds"
    else:
        result.holds, result.reason = False, f"{a} ≡ {a % n}, not {b % n} (mod {n})"
    return result


def _percent_notation(left: Side, right: Side, tokens: list[Token]) -> bool:
    """"2/3 × 100 = 66.67%": one side is the other times 100, up to the last place written."""
    for x, y in ((left, right), (right, left)):
        nums = [t for t in tokens[y.start:y.end] if t.kind == "num"]
        places = max((len(t.text.split(".", 1)[1]) for t in nums if "." in t.text), default=0)
        if distance(x.value, times100(y.value)) <= Fraction(1, 10 ** places):
            return True
    return False


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
        if len(chain) < 2 or any(pairs[k].cong for k in chain):
            continue
        first = pairs[chain[0]].left or pairs[chain[0]].right
        last = pairs[chain[-1]].right
        if first is None or last is None or not same(first.value, last.value):
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
            names[key] = (p.right, _text(raw, tokens, p.right.start, p.right.end), id(tokens))
        elif key in names:
            side, written, where = names.pop(key)
            said = _text(raw, tokens, p.right.start, p.right.end)
            r = ClaimResult(f"{p.label} = {written}; {p.label} = {said}", None,
                            [show(side.value), show(p.right.value)])
            if same(side.value, p.right.value):
                r.holds, r.rule, r.reason = True, "exact", "holds"
            else:
                r = against_stated(r, Side(side.value, 0, 0, max(side.ops, 1), []), p.right, tokens, p.approx, said)
            r.rule = f"restated label ({r.rule})"
            if where == id(tokens):
                r.spans.append((side.start, side.end))
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
        loose = _unaccounted_numbers(tokens, pairs, judged)
        if not loose:
            return True, results
        results.append(ClaimResult("", None, [], f"states {', '.join(loose[:5])} outside any checked calculation",
                                   "unchecked number"))
    return None, results


def _unaccounted_numbers(tokens: list[Token], pairs: list[Pair], judged: list) -> list[str]:
    """Numbers the step states that no verified calculation of the step uses ("The swim takes 40
    minutes"): a step whose arithmetic holds is not correct if it also asserts what we did not
    check, e.g. a value misread from the problem."""
    used: set = set()
    for pair, r in zip(pairs, judged):
        if r is None or not r.holds:
            continue
        start = pair.left.start if pair.left is not None else pair.right.start
        end = pair.right.end
        if (rem := remainder_after(tokens, pair.right)) is not None:
            end = tokens.index(rem) + 1
        for a, b in [(start, end), *r.spans]:
            used.update(_literal(t) for t in tokens[a:b] if t.kind == "num")
        if pair.modulus is not None:
            used.add(number(str(pair.modulus)))
    return [t.text for t in tokens if (t.kind == "num" and _literal(t) not in used) or t.kind == "poison"]


def _literal(t: Token):
    try:
        return number(t.text)
    except Unsupported:
        return t.text


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
