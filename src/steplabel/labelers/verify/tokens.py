"""Step text (prose, LaTeX, money, units) as a list of tokens that keep their place in the text.

Why tokens and not a rewritten string: the evidence must quote a claim as written, so every
token keeps its span in the original step. What people write is classified here once:
numbers (thousands separators, decimals, a currency sign before them), operators (``x``
between numbers, ``×``, ``\\times``, ``\\cdot``, ``÷``), ``=`` and approximations (``≈``,
``~``, "about" after ``=``), and things that look like numbers but are not amounts
(ordinals "6th", dates, clock times and ratios "3:45", compact ranges "5-10"), which become
``poison`` tokens a claim can never cross. Letters inside math (``$…$``, ``\\(…\\)``) are
variables; outside they are prose words (labels, units) unless a single letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_STEP_CHARS = 20_000

# A closing "$" followed by a digit is the next amount of money, not the end of math.
_MATH_SPAN = re.compile(r"\\begin\{(align|aligned|equation|gather|eqnarray|array|cases)\*?\}.+?\\end\{\1\*?\}|\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$|(?<!\\)\$([^$]+?)\$(?!\d)", re.DOTALL)
_TEXT_CMD = re.compile(r"\\(?:text|mathrm|textbf|textit|mbox|operatorname)\s*\{([^{}]*)\}")

_TOKEN = re.compile(r"""
 (?P<punct0>\\[()\[\]]|\\q?quad\b|\\(?:begin|end)\{[A-Za-z*]+\})
|(?P<poison>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}(?!\d)|\d+:\d+|\d+(?:st|nd|rd|th)\b|\d+'s)
|(?P<num>\d{1,3}(?:\{,\}\d{3})+(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]\d)|\d+\.\d+|\d+|\.\d+)
|(?P<ell>\.\.\.|…|\\[lc]?dots|\\ldots|\\cdots)
|(?P<cmd>\\[A-Za-z]+)
|(?P<word>[A-Za-z]+)
|(?P<op>\*\*|[-+*/^×·÷−∙⋅])
|(?P<fact>!)
|(?P<pct>%|\\%)
|(?P<lp>[({])|(?P<rp>[)}])
|(?P<approx>≈|≃|~)
|(?P<cong>≡)
|(?P<eq>=)
|(?P<punct>[.,;:?"'\[\]]|\\[,;!:\ ]|\\\\)
|(?P<cur>\\?\$|€|£)
|(?P<other>\S)
""", re.VERBOSE)

_OPS = {"×": "*", "·": "*", "÷": "/", "−": "-", "∙": "*", "⋅": "*", "**": "^"}
_CMD_OPS = {"\\times": "*", "\\cdot": "*", "\\div": "/", "\\ast": "*"}
_CMD_SKIP = {"\\left", "\\right", "\\big", "\\Big", "\\bigg", "\\Bigg", "\\displaystyle",
             "\\circ", "\\boxed", "\\mathbf", "\\bf", "\\limits", "\\!"}
_CMD_KIND = {"\\frac": "frac", "\\dfrac": "frac", "\\tfrac": "frac", "\\sqrt": "sqrt", "\\approx": "approx",
             "\\simeq": "approx", "\\lceil": "lceil", "\\rceil": "rceil", "\\lfloor": "lfloor",
             "\\rfloor": "rfloor", "\\mod": "mod", "\\bmod": "mod", "\\binom": "binom", "\\dbinom": "binom",
             "\\equiv": "cong", "\\pmod": "pmod",
             "\\tbinom": "binom"}
APPROX_WORDS = {"about", "approximately", "approx", "around", "roughly", "nearly", "almost"}


@dataclass
class Token:
    kind: str  # num word var op pct lp rp eq approx cong pmod frac sqrt fact punct ell poison other
    text: str
    start: int
    end: int
    math: bool = False
    trunc: bool = False  # a number followed by "..." (a truncated decimal)


def _math_mask(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _MATH_SPAN.finditer(text)]


def tokenize(text: str) -> list[Token]:
    """Tokens of one step (its first MAX_STEP_CHARS characters)."""
    text = text[:MAX_STEP_CHARS]
    # \text{cm} -> its words as prose, same length so spans stay true.
    prose: list[tuple[int, int]] = []
    for m in _TEXT_CMD.finditer(text):
        prose.append((m.start(1), m.end(1)))
    text = _TEXT_CMD.sub(lambda m: " " * (m.start(1) - m.start()) + m.group(1).replace("~", " ") + " ", text)
    spans = _math_mask(text)
    line_start = True
    tokens: list[Token] = []
    k = 0
    for m in _TOKEN.finditer(text):
        kind, value = m.lastgroup, m.group()
        while k < len(spans) and spans[k][1] <= m.start():
            k += 1
        in_math = k < len(spans) and spans[k][0] <= m.start() < spans[k][1]
        if in_math and any(a <= m.start() < b for a, b in prose):
            in_math = False  # \text{...} inside math is prose (units, labels)
        at_line_start = line_start or "\n" in text[tokens[-1].end:m.start()] if tokens else True
        line_start = False
        # "- 12" or "* item" opening a line is a bullet, not an operator.
        if kind == "op" and value in "-*•" and at_line_start and text[m.end():m.end() + 1] == " ":
            tokens.append(Token("punct", value, m.start(), m.end(), in_math))
            continue
        if kind == "punct0":
            kind = "punct"
        if kind == "other" and value == "&":
            continue  # an alignment mark: "&=" is "="
        if kind == "cur":
            if value.endswith("$") and in_math and m.start() in (spans[k][0], spans[k][1] - 1):
                kind = "punct"  # a math delimiter
            else:
                continue  # money sign: the number after it is the amount
        elif kind == "op":
            value = _OPS.get(value, value)
        elif kind == "pct":
            value = "%"
        elif kind == "cmd":
            if value in _CMD_OPS:
                kind, value = "op", _CMD_OPS[value]
            elif value in _CMD_SKIP:
                continue
            elif value in _CMD_KIND:
                kind = _CMD_KIND[value]
            else:
                kind = "var"  # \pi, \sin, \alpha ...: a name we do not evaluate
        elif kind == "word":
            if value.lower() in ("sqrt",):
                kind = "sqrt"
            elif in_math or len(value) == 1:
                kind = "var"
        tokens.append(Token(kind, value, m.start(), m.end(), in_math))
    return _second_pass(tokens, text)


def _second_pass(tokens: list[Token], text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        prev = out[-1] if out else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        # "6 x 4": x between numbers is multiplication.
        if t.kind == "var" and t.text in ("x", "X") and prev is not None and prev.kind in ("num", "rp") \
                and nxt is not None and nxt.kind in ("num", "lp") and not t.math:
            t = Token("op", "*", t.start, t.end, t.math)
        # "5-10" written tight with a < b is a range, not a subtraction.
        elif t.kind == "op" and t.text == "-" and prev is not None and prev.kind == "num" and nxt is not None \
                and nxt.kind == "num" and prev.end == t.start and t.end == nxt.start and "." not in prev.text + nxt.text:
            if _int(prev.text) < _int(nxt.text) and not (out[-2:-1] and out[-2].kind == "op"):
                out[-1] = Token("poison", text[prev.start:nxt.end], prev.start, nxt.end)
                i += 2
                continue
        # "20% of 50": of after a percentage multiplies.
        elif t.kind == "word" and t.text.lower() == "of" and prev is not None and prev.kind == "pct" \
                and nxt is not None and nxt.kind in ("num", "lp", "frac"):
            t = Token("op", "*", t.start, t.end, t.math)
        # "= about 3.4": an approximate equality.
        elif t.kind == "word" and t.text.lower() in APPROX_WORDS and prev is not None and prev.kind in ("eq", "approx"):
            out[-1] = Token("approx", prev.text + " " + t.text, prev.start, t.end, prev.math)
            i += 1
            continue
        elif t.kind == "ell" and prev is not None and prev.kind == "num" and prev.end == t.start:
            prev.trunc = True
            i += 1
            continue
        out.append(t)
        i += 1
    return out


def _int(text: str) -> int:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return 0
