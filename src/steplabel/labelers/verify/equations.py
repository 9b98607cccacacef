"""Reading equations with unknowns from step text into sympy, only when a whole side is understood.

Why apart from the checks (``algebra``): reading decides what is abstained on, and it is where
the time bound lives. Sides are read by sympy's ``parse_expr`` on sanitised plain text, and on
math mode translated from a small LaTeX subset (\\frac, \\sqrt, ^, \\cdot, \\times;
latex2sympy2_extended's ANTLR parser was ten times slower end to end). Text with units, words,
functions, subscripts, inequalities, factorials, big exponents or long numbers is not read:
these input limits bound the time, since signal-based timeouts do not work outside the main
thread.
"""

from __future__ import annotations

import functools
import re

MAX_SEGMENT_CHARS = 240
MAX_EQUATIONS = 12
MAX_EXPONENT = 8
MAX_DIGITS = 12

_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_ALLOWED_COMMANDS = {"frac", "dfrac", "tfrac", "cdot", "times", "left", "right", "sqrt"}
_SPACING = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~")
_FUNCTION_LETTERS = set("fghpqFGHPQ")


def sympy_module():
    """sympy, imported on first use (importing it costs a second; most steps need no algebra)."""
    import sympy
    return sympy


def _sanitise_latex(seg: str) -> str | None:
    seg = _SPACING.sub(" ", seg).strip()
    # "\Rightarrow \qquad d^2 = 9d," : a connective before, punctuation after, are not the equation
    seg = re.sub(r"^(\\Rightarrow|\\implies|\\therefore|\\Longrightarrow)\s*", "", seg)
    seg = re.sub(r"\s*[,.;]\s*$", "", seg)
    seg = re.sub(r"\\(left|right)\s*([()])", r"\2", seg)
    for cmd in re.findall(r"\\([A-Za-z]+)", seg):
        if cmd not in _ALLOWED_COMMANDS:
            return None
    if re.search(r"[<>≤≥≠≈!%|,;:'\"_∞]|\\\\|\.\.|\bdx\b", seg):
        return None
    return seg


def _sanitise_plain(seg: str, known: frozenset = frozenset()) -> str | None:
    seg = seg.strip().rstrip(".")
    if not re.fullmatch(r"[0-9A-Za-z.+\-*/^() =]+", seg):
        return None
    # every letter is a lone variable with a coefficient or operator next to it, never prose
    if re.search(r"[A-Za-z]{2,}", seg) or re.search(r"\b[aAI]\b", seg):
        return None
    if re.search(r"\d\s+x\s+\d|\dx\d", seg):
        return None  # "6 x 4": a times sign
    if not re.search(r"\d[A-Za-z]", seg) and not {c.lower() for c in re.findall(r"[A-Za-z]", seg)} <= known:
        return None  # no "3x"-style term and no unknown of an equation before: the letters may be labels
    return seg


def _limits_ok(seg: str) -> bool:
    if len(seg) > MAX_SEGMENT_CHARS:
        return False
    if any(len(d) > MAX_DIGITS for d in re.findall(r"\d+", seg)):
        return False
    for exp in re.findall(r"\^\s*\{?\s*(-?[\d.]+)", seg):
        try:
            if abs(float(exp)) > MAX_EXPONENT:
                return False
        except ValueError:
            return False
    if re.search(r"\^\s*\{?\s*[A-Za-z(\\]", seg) or seg.count("^") > 16 or seg.count("sqrt") > 2:
        return False  # symbolic or stacked exponents, nested radicals
    letters = set(re.findall(r"(?<!\\)(?<![A-Za-z])[A-Za-z](?![A-Za-z])", re.sub(r"\\[A-Za-z]+", " ", seg)))
    if letters & {"e", "i", "E", "I", "d", "o", "O", "l"}:
        return False
    if {c.lower() for c in letters} != {c for c in letters} and len({c.lower() for c in letters}) < len(letters):
        return False  # "S" and "s" both: the reader folds case
    for m in re.finditer(r"([A-Za-z])\s*\(", re.sub(r"\\[A-Za-z]+", " ", seg)):
        if m.group(1) in _FUNCTION_LETTERS:
            return False  # "f(x)": a function, not a product
    return True


def _braced(s: str, i: int) -> tuple[str, int]:
    """The text of the brace group opening at s[i] and the index after it."""
    if i >= len(s) or s[i] != "{":
        raise ValueError("no group")
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1:j], j + 1
    raise ValueError("unbalanced")


def latex_to_plain(seg: str) -> str:
    r"""The small LaTeX we read (\frac, \sqrt, ^, \cdot, \times, braces) as sympy syntax.

    Why not latex2sympy for these: its ANTLR parser costs ~10 ms a side, which made verify
    ten times slower on real solutions; anything beyond this subset raises ValueError (abstain)."""
    seg = re.sub(r"\\[dt]frac", r"\\frac", seg)
    seg = seg.replace("\\cdot", "*").replace("\\times", "*")
    out, i = [], 0
    while i < len(seg):
        if seg.startswith("\\frac", i):
            a, i = _braced(seg, i + 5)
            b, i = _braced(seg, i)
            out.append(f"(({latex_to_plain(a)})/({latex_to_plain(b)}))")
        elif seg.startswith("\\sqrt", i):
            a, i = _braced(seg, i + 5)
            out.append(f"sqrt({latex_to_plain(a)})")
        elif seg[i] == "^":
            if seg[i + 1:i + 2] == "{":
                a, i = _braced(seg, i + 1)
            else:
                a, i = seg[i + 1:i + 2], i + 2
            out.append(f"**({latex_to_plain(a)})")
        elif seg[i] == "{":
            a, i = _braced(seg, i)
            out.append(f"({latex_to_plain(a)})")
        elif seg[i] in "\\_}":
            raise ValueError("not in the subset we read")
        else:
            out.append(seg[i])
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _parse(side: str, latex: bool):
    sp = sympy_module()
    if not side.strip():
        return None
    try:
        if latex:
            side = latex_to_plain(side)
        from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application, parse_expr,
                                                standard_transformations)
        names = {c: sp.Symbol(c.lower()) for c in set(re.findall(r"[A-Za-z]", side.replace("sqrt", "")))}
        if not re.fullmatch(r"[0-9A-Za-z.+\-*/^() ]+", side):
            return None
        expr = parse_expr(side, local_dict=names, global_dict={"Integer": sp.Integer, "Float": sp.Float,
                                                               "Rational": sp.Rational, "Symbol": sp.Symbol,
                                                               "sqrt": sp.sqrt},
                          transformations=standard_transformations + (implicit_multiplication_application,
                                                                      convert_xor), evaluate=True)
    except Exception:  # noqa: BLE001 - any parser failure means: not understood, abstain
        return None
    if not isinstance(expr, sp.Expr) or expr.atoms(sp.Function):
        return None
    if expr.has(sp.I, sp.E, sp.oo, sp.zoo, sp.nan) or any(not s.name.isalpha() and "_" not in s.name
                                                          for s in expr.free_symbols):
        return None
    if not expr.is_rational_function() and not all(p.exp.is_Rational for p in expr.atoms(sp.Pow)):
        return None
    return expr


def _segments(text: str):
    """(segment, latex, start, end) for each math-mode segment and each plain-text stretch with an ``=``."""
    out, last = [], 0
    for m in _MATH.finditer(text):
        seg = next(g for g in m.groups() if g is not None)
        out.extend((p, False, last + a, last + b) for p, a, b in _plain_runs(text[last:m.start()]))
        out.append((seg, True, m.start(), m.end()))
        last = m.end()
    out.extend((p, False, last + a, last + b) for p, a, b in _plain_runs(text[last:]))
    return out


_PLAIN_RUN = re.compile(r"(?:(?<![A-Za-z])\d[\d.]*(?:[A-Za-z](?![A-Za-z]))?|(?<![A-Za-z])[A-Za-z](?![A-Za-z])|"
                        r"[-+*/^()=]|[ \t])+")


def _plain_runs(text: str) -> list[tuple[str, int, int]]:
    """Stretches of plain text made only of numbers, lone letters and operators, with an ``=``
    ("We know 3x + 5 = 20." gives "3x + 5 = 20"); prose words end a stretch."""
    runs = []
    for m in _PLAIN_RUN.finditer(text):
        run = m.group(0).strip().rstrip(".")
        if "=" in run:
            at = m.start() + m.group(0).find(run)
            runs.append((run, at, at + len(run)))
    return runs


def read_equations(text: str, known: frozenset = frozenset()) -> list[tuple[list[tuple[str, object, bool]], int, int]]:
    """Chains of sides, each side (as written, sympy expression, has decimals), with where the
    chain starts and ends in the text; a chain is dropped whole when any side is not understood."""
    chains = []
    pieces = []
    for seg, latex, start, end in _segments(text):
        # "x = 1, \quad y = 2": separate equations set side by side in one display
        pieces.extend((p, latex, start, end) for p in (re.split(r",?\s*\\q?quad\s*", seg) if latex else [seg]))
    for seg, latex, start, end in pieces[:MAX_EQUATIONS]:
        clean = _sanitise_latex(seg) if latex else _sanitise_plain(seg, known)
        if clean is None or clean.count("=") == 0 or not _limits_ok(clean):
            continue
        if not re.search(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])", re.sub(r"\\[A-Za-z]+", " ", clean)):
            continue  # no unknown: plain arithmetic, which is ``arithmetic``'s (and parsing is slow)
        sides = []
        for raw in clean.split("="):
            expr = _parse(raw, latex)
            if expr is None:
                sides = None
                break
            sides.append((raw.strip(), expr, bool(re.search(r"\d\.\d", raw))))
        if sides and len(sides) >= 2 and any(e.free_symbols for _, e, _ in sides):
            chains.append((sides, start, end))
    return chains
