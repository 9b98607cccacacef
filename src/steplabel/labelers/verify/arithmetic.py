"""Calculation claims in a step, checked exactly with sympy.

A claim is a chain ``a = b = c`` of arithmetic expressions (plain text, ``$…$``, ``\\(…\\)``,
``\\frac``, ``\\times``, percentages, units after numbers dropped) or an assignment
``x = …`` that later steps may use. Values are exact rationals; a stated value with decimals
may differ from the exact one by its rounding (half a unit in its last place) and is then
accepted as rounded. Expressions are parsed only after they are reduced to digits, operators,
parentheses and known names, and their size is bounded (no ``10^10^10``), so nothing here can
hang or run code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy
from sympy.parsing.sympy_parser import parse_expr, rationalize, standard_transformations

MAX_EXPR_CHARS = 200
MAX_DIGITS = 40
MAX_EXPONENT = 64
_TRANSFORMS = standard_transformations + (rationalize,)

# A closing "$" followed by a digit is the next amount of money, not the end of math.
_LATEX_SPAN = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$|\$([^$]+?)\$(?!\d)", re.DOTALL)
_FRAC = re.compile(r"\\d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_PERCENT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*%\s+of\s+")
_TOKEN = re.compile(r"\s*(?:(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\d+(?:\.\d+)?%?|\.\d+%?)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/^])"
                    r"|(?P<lp>\()|(?P<rp>\))|(?P<eq>=)|(?P<other>\S))")
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d)\s*(?:[a-zA-Z]{1,12}|°)(?=\s*(?:[-+*/×÷·=)]|$))")
_CURRENCY = re.compile(r"[$€£](?=\d)")
_ALLOWED = re.compile(r"^[\d\s.+\-*/()^A-Za-z_]+$")


@dataclass
class Claim:
    text: str
    sides: list[str]  # expressions, left to right
    assigns: str | None = None  # name on the left of an assignment


@dataclass
class ClaimResult:
    claim: str
    holds: bool | None  # None: could not be checked
    values: list[str] = field(default_factory=list)
    reason: str = ""


def _latex_to_plain(expr: str) -> str:
    for _ in range(3):
        expr = _FRAC.sub(r"((\1)/(\2))", expr)
    for src, dst in (("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("\\left", ""), ("\\right", ""),
                     ("\\%", "%"), ("\\,", ""), ("\\!", ""), ("\\approx", "=")):
        expr = expr.replace(src, dst)
    return expr.replace("{", "(").replace("}", ")")


def normalize(text: str) -> str:
    """Plain arithmetic text: LaTeX math unwrapped, currency and units dropped."""
    text = text.replace("\\$", "$")  # an escaped dollar is money
    text = _LATEX_SPAN.sub(lambda m: " " + _latex_to_plain(next(g for g in m.groups() if g is not None)) + " ", text)
    text = _CURRENCY.sub("", text)
    text = _PERCENT_OF.sub(r"(\1/100)*", text)
    text = _UNIT_AFTER_NUMBER.sub("", text)
    return text.replace("×", "*").replace("÷", "/").replace("·", "*").replace("−", "-")


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(text)]


class _Scanner:
    """Finds ``expr (= expr)+`` runs in a token list. A name counts as a term only when it is
    known or is being assigned (``x = ...``), so ordinary words break chains."""

    def __init__(self, tokens, names):
        self.t, self.names = tokens, names

    def term(self, i):
        kind = self.t[i][0] if i < len(self.t) else None
        if kind == "num" or (kind == "name" and self.t[i][1] in self.names):
            return i + 1
        if kind == "op" and self.t[i][1] == "-":
            return self.term(i + 1)
        if kind == "lp":
            j = self.expr(i + 1)
            if j is not None and j < len(self.t) and self.t[j][0] == "rp":
                return j + 1
        return None

    def expr(self, i):
        j = self.term(i)
        while j is not None and j < len(self.t) and self.t[j][0] == "op":
            k = self.term(j + 1)
            if k is None:
                break
            j = k
        return j

    def chain(self, i):
        """(end, sides, assigned name) of a chain starting at i, or None."""
        assigns = None
        if self.t[i][0] == "name" and i + 1 < len(self.t) and self.t[i + 1][0] == "eq" and self.t[i][1] not in self.names:
            assigns, i = self.t[i][1], i + 2
        start, bounds = i, []
        j = self.expr(i)
        if j is None:
            return None
        bounds.append((start, j))
        while j < len(self.t) and self.t[j][0] == "eq":
            k = self.expr(j + 1)
            if k is None:
                break
            bounds.append((j + 1, k))
            j = k
        if len(bounds) < 2 and assigns is None:
            return None
        sides = ["".join(v for _, v in self.t[a:b]) for a, b in bounds]
        return j, sides, assigns


def extract_claims(text: str, names: dict | None = None) -> list[Claim]:
    tokens = _tokens(normalize(text))
    known = set(names or ())
    scanner = _Scanner(tokens, known)
    claims, i = [], 0
    while i < len(tokens):
        # A chain never starts in the middle of an expression it could not read (``y * 2 = 4``
        # with ``y`` unknown is not the claim ``2 = 4``).
        inside = i > 0 and tokens[i - 1][0] == "op"
        found = scanner.chain(i) if not inside and tokens[i][0] in ("num", "name", "lp", "op") else None
        if not found:
            i += 1
            continue
        end, sides, assigns = found
        text_of = (f"{assigns} = " if assigns else "") + " = ".join(sides)
        claims.append(Claim(text_of, sides, assigns))
        if assigns:
            known.add(assigns)
        i = end
    return claims


def evaluate(expr: str, names: dict[str, sympy.Rational]) -> sympy.Expr:
    """An exact value, or ValueError with a reason a person can read."""
    expr = expr.replace(",", "").replace("%", "/100").replace("**", "^")
    if len(expr) > MAX_EXPR_CHARS:
        raise ValueError(f"expression longer than {MAX_EXPR_CHARS} characters")
    if not _ALLOWED.match(expr):
        raise ValueError("not plain arithmetic")
    if any(len(d) > MAX_DIGITS for d in re.findall(r"\d+", expr)):
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    for exponent in re.findall(r"\^\s*\(?\s*(-?[\d.]+)", expr):
        if abs(float(exponent)) > MAX_EXPONENT:
            raise ValueError(f"exponent {exponent} too large to check")
    if expr.count("^") > 1:
        raise ValueError("more than one power: too large to check safely")
    unknown = set(re.findall(r"[A-Za-z_]\w*", expr)) - set(names)
    if unknown:
        raise ValueError(f"unknown name(s) {sorted(unknown)}")
    try:
        value = parse_expr(expr.replace("^", "**"), local_dict=dict(names), transformations=_TRANSFORMS)
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, sympy.SympifyError) as exc:
        raise ValueError(f"cannot parse: {type(exc).__name__}") from None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ZeroDivisionError("division by zero")
    if not value.is_number:
        raise ValueError("not a number")
    return sympy.nsimplify(value, rational=True) if value.is_Float else value


def _decimals(side: str) -> int | None:
    m = re.fullmatch(r"-?\d[\d,]*\.(\d+)%?", side.strip())
    return len(m.group(1)) if m else None


def check_claim(claim: Claim, names: dict[str, sympy.Rational]) -> ClaimResult:
    result = ClaimResult(claim.text, None)
    values = []
    for side in claim.sides:
        try:
            values.append(evaluate(side, names))
        except ZeroDivisionError:
            result.holds, result.reason = False, f"'{side}' divides by zero"
            return result
        except ValueError as exc:
            result.reason = f"'{side}': {exc}"
            return result
    result.values = [str(v) for v in values]
    for (left, lv), (right, rv) in zip(zip(claim.sides, values), zip(claim.sides[1:], values[1:])):
        if lv == rv:
            continue
        places = _decimals(right) if _decimals(right) is not None else _decimals(left)
        if places is not None and abs(Fraction(str(lv)) - Fraction(str(rv))) <= Fraction(1, 2 * 10**places):
            result.reason = "holds after rounding"
            continue
        approx = "" if lv.is_Integer else f" ≈ {float(lv):.6g}"
        result.holds, result.reason = False, f"{left} = {lv}{approx}, not {right}"
        return result
    result.holds = True
    if claim.assigns:
        names[claim.assigns] = values[-1]
    return result


def check_step(text: str, names: dict[str, sympy.Rational]) -> tuple[bool | None, list[ClaimResult]]:
    """False if any claim is refuted; True if there are claims and all hold; else None."""
    results = [check_claim(c, names) for c in extract_claims(text, names)]
    if any(r.holds is False for r in results):
        return False, results
    if results and all(r.holds for r in results):
        return True, results
    return None, results
