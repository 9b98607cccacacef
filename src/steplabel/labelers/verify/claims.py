"""Calculation claims as people write them: ``left = right`` where both sides are fully read.

Why so strict: on real model text a claim cut from the wrong place is the main source of
false refutations ("6 x 4 = 24 legs" read as 4 = 24, "9x - 21 = 339" as -21 = 339). So a
side is taken only when it is an arithmetic expression *and* the text around it ends it
cleanly: before a left side comes the start, punctuation, a prose word (a label such as
"Total cost =") or another ``=``; after a right side comes the end, punctuation, a word (a
unit) or another ``=``. A number next to a variable, a parenthesis, an ordinal, a date or an
operator we could not read makes the side unknown, and the claim is not checked.

Which pairs are claims: at least one side must compute something (``2 + 3 = 5``; ``8 = 8``
or "2 hours = 120 minutes" are restatements or conversions, not calculations). A single
letter alone on the left (``A = …``) defines a name for later claims.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from steplabel.labelers.verify.numeric import OPERATION_WORDS, Parser, Unsupported, Value, prose_group, unit_run
from steplabel.labelers.verify.tokens import Token

_CLEAN_BEFORE = {"punct", "eq", "approx", "lp", "cong"}
_CLEAN_AFTER = {"punct", "eq", "approx", "rp", "word", "cong", "pmod"}
_LOOKBACK = 80
_MATH_OPEN = ("\\(", "\\[", "$")
_MATH_CLOSE = ("\\)", "\\]", "$")
_CONTINUES = ("op", "num", "var", "rp", "fact", "pct", "mod")  # before "\(": the prose expression goes on
_CONTINUES_AFTER = ("op", "num", "var", "fact", "pct", "mod")


@dataclass
class Side:
    value: Value
    start: int  # token indices [start, end)
    end: int
    ops: int
    units: list[str]

    @property
    def bare(self) -> bool:
        return self.ops == 0


@dataclass
class Pair:
    eq: int  # index of the "=" token
    left: Side | None
    right: Side | None
    approx: bool
    assigns: str | None = None
    label: str | None = None  # "Total cost" in "Total cost = …"
    modulus: int | None = None  # "a ≡ b (mod n)" or "a = b \pmod{n}": equal up to multiples of n
    cong: bool = False  # written with ≡ (or closed by a modulus)
    reassigns: bool = False  # the name had a value before
    previous: Value | None = None  # that value
    why_not: str = ""


def _clean_before(tokens: list[Token], s: int) -> bool:
    if s == 0:
        return True
    p = tokens[s - 1]
    if p.kind == "word":
        return not p.math and len(p.text) > 1 and p.text.lower() not in OPERATION_WORDS - {"total", "altogether", "combined"}
    if tokens[s].kind == "lp" and tokens[s].text == "{":
        return p.kind in ("eq", "approx")  # a brace after anything else is some command's argument
    if p.kind == "lp":
        return s < 2 or tokens[s - 2].kind not in ("num", "var", "rp", "frac", "sqrt", "op")
    if p.kind == "punct" and p.text in _MATH_OPEN and s >= 2 and tokens[s - 2].kind in _CONTINUES:
        return False  # "(coins) × \( \frac{1}{100} = …": math continuing an expression of the prose
    return p.kind in _CLEAN_BEFORE and p.text not in ("[", "]")


def _clean_after(tokens: list[Token], e: int) -> bool:
    if e >= len(tokens):
        return True
    n = tokens[e]
    if n.kind == "word":
        return not n.math
    if n.kind == "lp":  # "= 19 (since …)", "= $8 (20 cents)": a note after the result
        nxt = tokens[e + 1] if e + 1 < len(tokens) else None
        return bool(prose_group(tokens, e)) or (nxt is not None and nxt.kind == "word" and not nxt.math)
    if n.kind == "punct" and n.text in _MATH_CLOSE and e + 1 < len(tokens):
        after = tokens[e + 1]
        if after.kind in _CONTINUES_AFTER or (after.kind == "lp" and not _clean_after(tokens, e + 1)):
            return False
    return n.kind in _CLEAN_AFTER and n.text not in ("[", "]")


def _trailing_units(tokens: list[Token], eq: int, lo: int) -> int:
    """Index where a left side ends: before the units right before ``=`` ("8 cm =", "(lunch) =")."""
    for j in range(max(lo + 1, eq - 12), eq):
        if tokens[j - 1].kind == "num" and unit_run(tokens, j, eq) == eq:
            return j
    return eq


def left_side(tokens: list[Token], eq: int, lo: int, names: dict[str, Value]) -> Side | None:
    """The longest expression that ends right before ``eq`` (or before its unit words)."""
    # "\] \[ = …": a display that opens with "=" continues the expression before it.
    while eq > lo and tokens[eq - 1].kind == "punct" and tokens[eq - 1].text in ("\\[", "\\]", "\\\\", "$"):
        eq -= 1
    end = _trailing_units(tokens, eq, lo)
    for s in range(max(lo, end - _LOOKBACK), end):
        if tokens[s].kind in ("op", "rp", "eq", "approx", "punct", "pct"):
            if not (tokens[s].kind == "op" and tokens[s].text == "-"):
                continue
        parser = Parser(tokens, names, limit=end)
        try:
            value, j = parser.parse(s)
        except Unsupported:
            continue
        if j != end:
            continue
        if not _clean_before(tokens, s):
            return None
        if tokens[s].kind == "op" and s > 0 and tokens[s - 1].kind == "word":
            return None  # "apples - 5 =": the word may be a quantity
        units = parser.units + [t.text.lower() for t in tokens[end:eq]]
        return Side(value, s, end, parser.ops, units)
    return None


def right_side(tokens: list[Token], eq: int, names: dict[str, Value]) -> Side | None:
    s = eq + 1
    if s >= len(tokens):
        return None
    parser = Parser(tokens, names)
    try:
        value, j = parser.parse(s)
    except Unsupported:
        return None
    if not _clean_after(tokens, j):
        return None
    units = list(parser.units)
    if j < len(tokens) and tokens[j].kind == "word":
        units.append(tokens[j].text.lower())
    return Side(value, s, j, parser.ops, units)


def find_pairs(tokens: list[Token], names: dict[str, Value], max_pairs: int, deadline: float = math.inf) -> list[Pair]:
    """Every ``=`` (or ``≈``) of the step with its two sides; names defined on the way. Stops
    after ``max_pairs`` or at ``deadline`` (``time.monotonic()``)."""
    pairs: list[Pair] = []
    last_eq = -1
    for i, t in enumerate(tokens):
        if t.kind not in ("eq", "approx", "cong"):
            continue
        if len(pairs) >= max_pairs or time.monotonic() > deadline:
            break
        approx = t.kind == "approx"
        lo = last_eq + 1
        if t.kind == "cong" or _modulus(tokens, i + 1) is not None:
            last_eq = i  # congruences are never assignments
            left, right = left_side(tokens, i, lo, names), right_side(tokens, i, names)
            pairs.append(Pair(i, left, right, False, cong=True, modulus=_modulus(tokens, i + 1)))
            continue
        last_eq = i
        # "A = …": a single letter alone on the left names the value on the right.
        if i >= 1 and tokens[i - 1].kind == "var" and len(tokens[i - 1].text) == 1 and not tokens[i - 1].math and (i - 1 == lo or _clean_before(tokens, i - 1)) \
                and (i < 2 or tokens[i - 2].kind not in ("op", "num", "rp", "var")):
            name = tokens[i - 1].text
            right = right_side(tokens, i, names)
            if right is None or approx:
                names.pop(name, None)
                pairs.append(Pair(i, None, right, approx, why_not=f"{name} = something we cannot evaluate"))
                continue
            known = names.get(name)
            names[name] = right.value
            pairs.append(Pair(i, None, right, approx, assigns=name, reassigns=known is not None, previous=known))
            continue
        left = left_side(tokens, i, lo, names)
        right = right_side(tokens, i, names)
        pairs.append(Pair(i, left, right, approx, label=None if left else _label(tokens, i, lo)))
    return pairs


def _label(tokens: list[Token], eq: int, lo: int) -> str | None:
    """The words of a label right before ``=`` ("Total time ="), lower-cased, or None."""
    words = []
    j = eq - 1
    while j >= lo and len(words) < 6 and tokens[j].kind == "word" and not tokens[j].math:
        words.append(tokens[j].text.lower())
        j -= 1
    return " ".join(reversed(words)) if words else None


def _modulus(tokens: list[Token], i: int) -> int | None:
    """The n of a "\\pmod{n}" / "(mod n)" closing the chain that continues at i, or None."""
    for j in range(i, min(len(tokens), i + 60)):
        t = tokens[j]
        if t.kind == "pmod" or (t.kind == "word" and t.text.lower() == "mod" and j and tokens[j - 1].kind == "lp"):
            k = j + 1
            if k < len(tokens) and tokens[k].kind == "lp":
                k += 1
            if k < len(tokens) and tokens[k].kind == "num" and "." not in tokens[k].text and len(tokens[k].text) < 13:
                n = int(tokens[k].text.replace(",", ""))
                return n if n > 1 else None
            return None
        if t.kind in ("punct", "word", "poison", "other", "approx") and not (t.kind == "punct" and t.text in ("\\,", "\\ ", "\\;")):
            return None
    return None
