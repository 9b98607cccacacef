"""Exact values of written arithmetic, with hard bounds so that nothing can hang.

Why our own small parser and not ``sympy.parse_expr`` / ``latex2sympy``: the input is
whatever a model wrote, and those parsers evaluate code, recurse without bound (5000 nested
parentheses) and compute ``10^10^10`` before anyone can stop them. This one reads only
numbers, ``+ - * / ^ %``, parentheses and braces, ``\\frac{a}{b}``, ``\\sqrt{a}``, mixed
numbers and known names, with Python ``Fraction`` for exact values (a ``float`` only for an
irrational root or power, marked inexact). Every size is bounded: nesting depth, digits,
exponents and the bit length of every intermediate value. Anything else raises
``Unsupported`` and the claim is left unchecked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from steplabel.labelers.verify.tokens import Token

MAX_DEPTH = 30
MAX_DIGITS = 30
MAX_BITS = 4000
MAX_SIDE_TOKENS = 120
MAX_FACTORIAL = 300
# Words that do arithmetic themselves: never a unit to skip, never a label before a calculation.
OPERATION_WORDS = {
    "each", "per", "both", "twice", "double", "triple", "thrice", "half", "times", "squared", "cubed", "dozen",
    "dozens", "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "billions",
    "percent", "more", "less", "fewer", "plus", "minus", "over", "by", "of", "than", "mod", "modulo", "power",
    "root", "inverse", "reciprocal", "divided", "multiplied", "every", "factorial", "choose", "sum", "product",
    "difference", "quotient", "remainder", "average", "mean", "total", "combined", "altogether", "round",
    "rounded", "rounding", "ceil", "floor", "approximately", "about", "around", "roughly", "nearly", "almost",
}
# Words that may end a label or a unit run but are not units themselves.
MATH_WORDS = OPERATION_WORDS | {
    "and", "or", "for", "to", "from", "is", "are", "was", "were", "be", "as", "at", "in", "on", "with",
    "without", "not", "no", "if", "then", "so", "thus", "hence", "gives", "equals", "ways", "way", "pairs",
    "sets", "groups", "left", "remaining", "new", "after", "before",
}


class Unsupported(Exception):
    """The text is not plain arithmetic we can evaluate safely; the claim stays unchecked."""


@dataclass(frozen=True)
class Value:
    exact: Fraction | None  # None: only an approximation is known
    approx: float

    @staticmethod
    def of(q: Fraction) -> "Value":
        if q.numerator.bit_length() > MAX_BITS or q.denominator.bit_length() > MAX_BITS:
            raise Unsupported("a value too large to check")
        try:
            return Value(q, float(q))
        except OverflowError:
            return Value(q, math.inf if q > 0 else -math.inf)

    @staticmethod
    def inexact(x: float) -> "Value":
        if not math.isfinite(x):
            raise Unsupported("not a finite number")
        return Value(None, x)


def _add(a: Value, b: Value, sign: int = 1) -> Value:
    if a.exact is not None and b.exact is not None:
        return Value.of(a.exact + sign * b.exact)
    return Value.inexact(a.approx + sign * b.approx)


def _mul(a: Value, b: Value) -> Value:
    if a.exact is not None and b.exact is not None:
        return Value.of(a.exact * b.exact)
    return Value.inexact(a.approx * b.approx)


def _div(a: Value, b: Value) -> Value:
    if (b.exact is not None and b.exact == 0) or b.approx == 0:
        raise Unsupported("division by zero")
    if a.exact is not None and b.exact is not None:
        return Value.of(a.exact / b.exact)
    return Value.inexact(a.approx / b.approx)


def _factorial(v: Value) -> Value:
    if v.exact is None or v.exact.denominator != 1 or not 0 <= v.exact <= MAX_FACTORIAL:
        raise Unsupported("a factorial we do not evaluate")
    return Value.of(Fraction(math.factorial(v.exact.numerator)))


def _choose(n: Value, k: Value) -> Value:
    if n.exact is None or k.exact is None or n.exact.denominator != 1 or k.exact.denominator != 1 \
            or not 0 <= k.exact <= n.exact <= 10 * MAX_FACTORIAL:
        raise Unsupported("a binomial coefficient we do not evaluate")
    return Value.of(Fraction(math.comb(n.exact.numerator, k.exact.numerator)))


def _mod(a: Value, b: Value) -> Value:
    if a.exact is None or b.exact is None or a.exact.denominator != 1 or b.exact.denominator != 1 or b.exact <= 0:
        raise Unsupported("mod of non-integers")
    return Value.of(a.exact % b.exact)


def _sqrt_exact(q: Fraction) -> Fraction | None:
    n, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(n, d) if n * n == q.numerator and d * d == q.denominator else None


def _sqrt(a: Value) -> Value:
    if a.approx < 0:
        raise Unsupported("square root of a negative number")
    if a.exact is not None and (r := _sqrt_exact(a.exact)) is not None:
        return Value.of(r)
    return Value.inexact(math.sqrt(a.approx))


def _pow(a: Value, b: Value) -> Value:
    if b.exact is not None and b.exact.denominator == 1 and a.exact is not None:
        e = b.exact.numerator
        bits = max(a.exact.numerator.bit_length(), a.exact.denominator.bit_length(), 1)
        if abs(e) > 10_000 or bits * abs(e) > MAX_BITS:
            raise Unsupported("a power too large to check")
        if a.exact == 0 and e < 0:
            raise Unsupported("division by zero")
        return Value.of(a.exact ** e)
    if b.exact is not None and b.exact == Fraction(1, 2):
        return _sqrt(a)
    if a.approx <= 0 or abs(b.approx) > 1000:
        raise Unsupported("a power we do not evaluate")
    try:
        return Value.inexact(a.approx ** b.approx)
    except OverflowError:
        raise Unsupported("a power too large to check") from None


def number(text: str) -> Fraction:
    digits = text.replace("{,}", "").replace(",", "")
    if sum(c.isdigit() for c in digits) > MAX_DIGITS:
        raise Unsupported(f"a number with more than {MAX_DIGITS} digits")
    return Fraction(digits)


def decimals(token: Token) -> int:
    return len(token.text.split(".", 1)[1]) if "." in token.text else 0


class Parser:
    """Recursive descent over tokens[start:]; ``parse`` returns (value, end, operators used).

    Unit words right after a number ("5 cm + 3 cm") are skipped when an operator follows them;
    ``units`` collects them so a caller can ask whether the claim's units agree.
    """

    def __init__(self, tokens: list[Token], names: dict[str, Value], limit: int | None = None):
        self.t = tokens
        self.names = names
        self.limit = len(tokens) if limit is None else min(limit, len(tokens))
        self.ops = 0
        self.units: list[str] = []
        self.depth = 0
        self.start = 0

    def peek(self, i: int) -> Token | None:
        return self.t[i] if i < self.limit else None

    def parse(self, i: int) -> tuple[Value, int]:
        self.start, self.ops, self.units = i, 0, []
        value, j = self.expr(i)
        return value, j

    def _guard(self, i: int) -> None:
        if i - self.start > MAX_SIDE_TOKENS:
            raise Unsupported("expression too long")

    def expr(self, i: int) -> tuple[Value, int]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported("nested too deeply")
        try:
            value, i = self.term(i)
            while (t := self.peek(i)) is not None and t.kind == "op" and t.text in "+-":
                rhs, i = self.term(i + 1)
                value = _add(value, rhs, 1 if t.text == "+" else -1)
                self.ops += 1
            return value, i
        finally:
            self.depth -= 1

    def term(self, i: int) -> tuple[Value, int]:
        value, i = self.unary(i)
        while (t := self.peek(i)) is not None and (t.kind == "op" and t.text in "*/" or t.kind == "mod"):
            rhs, i = self.unary(i + 1)
            value = _mul(value, rhs) if t.text == "*" else _mod(value, rhs) if t.kind == "mod" else _div(value, rhs)
            self.ops += 1
        return value, i

    def unary(self, i: int) -> tuple[Value, int]:
        self._guard(i)
        t = self.peek(i)
        if t is not None and t.kind == "op" and t.text == "-":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unsupported("nested too deeply")
            try:
                value, i = self.unary(i + 1)
            finally:
                self.depth -= 1
            return _mul(Value.of(Fraction(-1)), value), i
        return self.power(i)

    def power(self, i: int) -> tuple[Value, int]:
        base, i = self.postfix(i)
        t = self.peek(i)
        if t is not None and t.kind == "op" and t.text == "^":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unsupported("nested too deeply")
            try:
                exponent, i = self.unary(i + 1)
            finally:
                self.depth -= 1
            self.ops += 1
            return _pow(base, exponent), i
        return base, i

    def postfix(self, i: int) -> tuple[Value, int]:
        value, i = self.primary(i)
        t = self.peek(i)
        if t is not None and t.kind == "fact":
            self.ops += 1
            return _factorial(value), i + 1
        if t is not None and t.kind == "pct":
            if self.t[i - 1].kind != "num":  # "25%" is a stated number; "(a + b)%" computes
                self.ops += 1
            return _div(value, Value.of(Fraction(100))), i + 1
        return value, i

    def group(self, i: int) -> tuple[Value, int]:
        t = self.peek(i)
        if t is None or t.kind != "lp":
            raise Unsupported("expected a parenthesis")
        value, j = self.expr(i + 1)
        close = self.peek(j)
        if close is None or close.kind != "rp" or (t.text == "{") != (close.text == "}"):
            raise Unsupported("unbalanced parentheses")
        return value, j + 1

    def primary(self, i: int) -> tuple[Value, int]:
        self._guard(i)
        t = self.peek(i)
        if t is None:
            raise Unsupported("expected a number")
        if t.kind == "num":
            value = Value.of(number(t.text))
            nxt = self.peek(i + 1)
            if nxt is not None and nxt.kind == "lp" and nxt.text == "(" and nxt.start == t.end \
                    and not prose_group(self.t, i + 1):  # 4(40): implicit multiplication
                factor, j = self.power(i + 1)  # 2(1)^4 is 2 * 1^4
                self.ops += 1
                return _mul(value, factor), j
            if nxt is not None and nxt.kind == "frac":  # a mixed number: 2\frac{1}{2}
                frac, j = self.primary(i + 1)
                if "." in t.text or frac.exact is None or not 0 < frac.exact < 1:
                    raise Unsupported("a number followed by a fraction")
                self.ops += 1
                return Value.of(value.exact + frac.exact), j
            return value, self._skip_units(i + 1)
        if t.kind == "binom":  # \binom{9}{7}
            n, j = self.group(i + 1)
            k, j = self.group(j)
            self.ops += 1
            return _choose(n, k), j
        if t.kind == "var" and t.text in ("C", "P") and t.text not in self.names:  # C(9, 7), P(5, 3)
            return self._combinatorial(i)
        if t.kind in ("var", "word") and not t.math and t.text in self.names:
            return self.names[t.text], i + 1
        if t.kind == "lp":
            return self.group(i)
        if t.kind in ("lceil", "lfloor"):
            value, j = self.expr(i + 1)
            close = self.peek(j)
            if close is None or close.kind != ("rceil" if t.kind == "lceil" else "rfloor"):
                raise Unsupported("unbalanced ceiling or floor")
            if value.exact is None and abs(value.approx - round(value.approx)) < 1e-9:
                raise Unsupported("rounding an approximation at an integer")
            q = value.exact if value.exact is not None else Fraction(value.approx)
            self.ops += 1
            return Value.of(Fraction(math.ceil(q) if t.kind == "lceil" else math.floor(q))), j + 1
        if t.kind == "frac":
            num, j = self.group(i + 1)
            den, j = self.group(j)
            self.ops += 1
            return _div(num, den), j
        if t.kind == "sqrt":
            nxt = self.peek(i + 1)
            if nxt is not None and nxt.kind == "punct" and nxt.text == "[":
                raise Unsupported("a root other than a square root")
            value, j = self.group(i + 1)
            self.ops += 1
            return _sqrt(value), j
        raise Unsupported(f"not a number: {t.text!r}")

    def _combinatorial(self, i: int) -> tuple[Value, int]:
        toks = [self.peek(i + k) for k in range(1, 6)]
        if None in toks or [t.kind for t in toks] != ["lp", "num", "punct", "num", "rp"] or toks[2].text != "," \
                or toks[0].text != "(":
            raise Unsupported("not C(n, k)")
        n, k = Value.of(number(toks[1].text)), Value.of(number(toks[3].text))
        self.ops += 1
        if self.t[i].text == "C":
            return _choose(n, k), i + 6
        return _div(_factorial(n), _factorial(_add(n, k, -1))), i + 6

    def _skip_units(self, i: int) -> int:
        """Skip units after a number ("cm", "/day", "(from snack)") if an operator or ')' follows."""
        j = unit_run(self.t, i, self.limit)
        if j == i:
            return i
        nxt = self.peek(j)
        rate = any(t.kind == "op" and t.text == "/" for t in self.t[i:j])
        if rate or (nxt is not None and ((nxt.kind == "op" and nxt.text in "+-*/") or nxt.kind == "rp")):
            self.units.extend(t.text.lower() for t in self.t[i:j])
            return j
        return i


def _unit_word(t: Token) -> bool:
    return t.kind == "word" and not t.math and t.text.lower() not in MATH_WORDS


def prose_group(tokens: list[Token], i: int, limit: int | None = None) -> int:
    """End of a parenthetical note "(from snack)" starting at i (words, maybe a number), else 0."""
    limit = len(tokens) if limit is None else limit
    if i >= limit or tokens[i].kind != "lp" or tokens[i].text != "(":
        return 0
    words = 0
    for j in range(i + 1, min(limit, i + 12)):
        t = tokens[j]
        if t.kind == "rp":
            return j + 1 if words and t.text == ")" else 0
        if t.kind == "word" and not t.math:
            words += 1
        elif t.kind not in ("num", "punct") or t.text in ("[", "]"):
            return 0
    return 0


def unit_run(tokens: list[Token], i: int, limit: int | None = None) -> int:
    """End of the units written after a number at i-1: up to two unit words, "/word", and one
    parenthetical note, in any order. Returns i when there are none."""
    limit = len(tokens) if limit is None else limit
    j, items, notes = i, 0, 0
    while j < limit and items < 4:
        t = tokens[j]
        if _unit_word(t) and len(t.text) > 1:
            j += 1
        elif t.kind == "op" and t.text == "/" and j + 1 < limit and (
                _unit_word(tokens[j + 1]) or (tokens[j + 1].kind == "var" and not tokens[j + 1].math
                                              and len(tokens[j + 1].text) == 1)):
            j += 2  # a rate: "/day", "kb/s"
        elif notes == 0 and (end := prose_group(tokens, j, limit)):
            j, notes = end, 1
        else:
            break
        items += 1
    return j
