"""Equations with unknowns, checked only as a whole with sympy; anything else is abstained on.

Why: ``arithmetic`` rightly refuses "9x - 21 = 339" (a side with an unknown is no
calculation), so every algebra slip went unseen. Read as a whole, an equation with unknowns is
a constraint, and four statements about constraints are safe to check:

- **never true**: both sides differ by a nonzero constant for every value of the unknowns
  ("(x - 16 + 100) - 25 = x + 69 - 25" is x + 59 = x + 44): refuted, unless the step says it
  derives a contradiction (proofs do that on purpose);
- **a chain of rewritings** "E1 = E2 = E3" whose members all have unknowns: each link is
  claimed for every value, so a link whose difference is not identically zero is refuted
  (proved by exact cancellation, and shown at a rational point);
- **a solved value or a rearranged equation** in one unknown ("3.01B = 4500" right after
  "0.99B + 1.01B + B = 4500"; "x = 5" after "3x + 5 = 20"): the two solution sets must meet;
  disjoint sets refute the later one. The earlier equation is the latest one in the same
  unknown, from this step or the one before, so a letter reused for a new quantity further
  on is not compared; a step that introduces, supposes or tests a value is not compared at
  all;
- **an expansion**: after the step says it expands, a product of sums written out as a sum
  whose terms are mostly the product's must be the product's expansion.

Sides are read by ``equations`` only when a whole side is understood; its input limits are
the time bound, and within them sympy's expansion of small polynomials is fast (the slow
exact cancellation runs only when two rational points say a difference may be constant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from steplabel.labelers.verify.compare import ClaimResult
from steplabel.labelers.verify.equations import MAX_EXPONENT, sympy_module, read_equations

_TOL = 0.01  # relative: solutions written with rounded decimals still meet

# A step that derives a contradiction, supposes, tests or substitutes a value, or corrects
# itself is not held to its equations.
_STOP = re.compile(r"contradict|impossible|no solution|not |n't|≠|\\neq|suppose|assum|\bcase|\btry|\btest|"
                   r"\bcheck|plug|substitut|wrong|incorrect|mistake|instead|\bor\b|either|\bwhen\b|\bif\b|"
                   r"\bfor\s+\\?\(?\s*[a-zA-Z]\s*=|\bat\s+\\?\(?\s*[a-zA-Z]\s*=|approx|≈|mod|\bwhere\b|"
                   r"\bverif|\bactually|\bcorrect|discard|reject|extraneous|invalid|\balso\b|another|\bother\b|"
                   r"\broots\b|solutions|possib|(first|second|third|other) equation", re.I)
# "Let x be …", "denote by x": the letter starts a new meaning; earlier equations in it are forgotten.
_NEW_NAME = re.compile(r"\b(?:let|denote|define|call)\s+(?:by\s+)?\\?\(?\s*\$?([a-zA-Z])\b", re.I)


@dataclass
class State:
    """Equations of the steps read so far (the current one and the one before)."""
    previous: list = field(default_factory=list)
    current: list = field(default_factory=list)

    def next_step(self) -> None:
        self.previous, self.current = self.current, []

def _difference(a, b):
    """a - b in canonical form: expanded when a polynomial (fast), else cancelled."""
    sp = sympy_module()
    d = a - b
    if d.is_polynomial(*d.free_symbols):
        return sp.expand(d)
    # cancelling is slow: only when two rational points say the difference may be constant
    values = [d.xreplace({x: sp.Rational(p + k, q + k) for k, x in enumerate(sorted(d.free_symbols, key=str))})
              for p, q in ((7, 3), (11, 5))]
    if all(v.is_finite for v in values) and values[0] != values[1]:
        return d
    return sp.cancel(sp.together(d))


def _constant_gap(d, decimals: bool, a, b) -> bool:
    """d is a nonzero constant, beyond the rounding of decimals written."""
    if d.free_symbols or d == 0:
        return False
    try:
        gap = abs(complex(d))
    except (TypeError, ValueError):
        return False
    if decimals:
        scale = max([abs(float(t)) for t in (a + b).atoms() if t.is_Number] + [1.0])
        return gap > _TOL * scale
    return gap > 1e-12


def _roots(eq_lhs, eq_rhs, sym):
    """Solutions (complex floats) of a polynomial equation of degree 1 or 2 in sym, or None."""
    import cmath
    sp = sympy_module()
    d = eq_lhs - eq_rhs
    if d.is_polynomial(sym):
        num, den = sp.expand(d), sp.Integer(1)
    else:
        num, den = sp.fraction(sp.cancel(sp.together(d)))
    try:
        coeffs = [complex(c) for c in sp.Poly(num, sym).all_coeffs()]
    except (sp.PolificationFailed, TypeError, ValueError):
        return None
    if len(coeffs) == 2 and coeffs[0] != 0:
        roots = [-coeffs[1] / coeffs[0]]
    elif len(coeffs) == 3 and coeffs[0] != 0:
        a, b, c = coeffs
        root = cmath.sqrt(b * b - 4 * a * c)
        roots = [(-b + root) / (2 * a), (-b - root) / (2 * a)]
    else:
        return None
    if den.free_symbols:
        roots = [r for r in roots if abs(complex(den.subs(sym, r))) > 1e-12]
    return roots or None


def _rounding(sides) -> float:
    """Relative error the written decimals may carry: a decimal alone on a side ("x = 26.67") or
    with three places or more ("0.333") may be rounded (half a unit in its last place);
    coefficients such as 0.99 or 1.5 are taken as exact, as people write them."""
    err = 0.0
    for raw, _, _ in sides:
        for lit in re.findall(r"\d*\.\d+", raw):
            places = len(lit.split(".")[1])
            bare = re.fullmatch(r"\s*-?\s*" + re.escape(lit) + r"\s*", raw) is not None
            if (bare or places >= 3) and float(lit):
                err += 0.5 * 10 ** -places / abs(float(lit))
    return err


def _meet(r1: list[complex], r2: list[complex], tol: float) -> bool:
    return any(abs(a - b) <= tol * max(abs(a), abs(b), 1e-9) + 1e-12 for a in r1 for b in r2)


# Words that say the next equation is derived from the one before (not a second case, a
# list of roots, or an unrelated equation set side by side).
_DERIVES = re.compile(r"\b(so|thus|hence|therefore|gives?|giving|get|gets|obtain|yields?|simplif\w*|combin\w*|"
                      r"subtract\w*|divid\w*|multipl\w*|add\w*|solv\w*|rearrang\w*|isolat\w*|becomes|"
                      r"reduces?|expand\w*|implies)\b|\\implies|\\Rightarrow|⇒|→", re.I)
_SOLVES = re.compile(r"both sides|solv\w* for|isolat\w*", re.I)
_MAX_GAP = 240  # characters between an equation and the one derived from it


@dataclass
class _Stated:
    symbol: object
    roots: list
    written: str
    rounding: float
    computed: bool  # "S = 165 × 6/11": a value computed, not an equation to solve
    bare: bool  # "x = 2": a value stated (a case, a root in a list), never the start of a derivation
    end: int  # where it ends in its step's text


def check(text: str, state: State) -> list[ClaimResult]:
    """Claims about equations in one step; updates ``state`` with the step's equations."""
    try:
        chains = read_equations(text, frozenset(q.symbol.name for q in state.previous + state.current))
    except Exception:  # noqa: BLE001 - a reader failure is an abstention
        chains = []
    stop = bool(_STOP.search(text))
    sp = sympy_module()
    for name in _NEW_NAME.findall(text):
        sym = sp.Symbol(name.lower())
        state.previous = [q for q in state.previous if q.symbol != sym]
    results: list[ClaimResult] = []
    for sides, start, end in chains:
        try:
            results.extend(_check_chain(sides, state, stop, text, start, end))
        except Exception:  # noqa: BLE001 - sympy may fail on odd input: abstain
            continue
    return results


def _links(sides, stop: bool) -> list[ClaimResult]:
    """Each ``=`` of a chain on its own: identity, never true, or a rewriting that changes value."""
    sp = sympy_module()
    out = []
    symbols = set().union(*(e.free_symbols for _, e, _ in sides))
    rewriting = (len(sides) >= 3 and len(symbols) == 1 and not stop
                 and not any(re.search(r"[A-Z]", s) for s, _, _ in sides)
                 and all(e.free_symbols and not isinstance(e, sp.Symbol) for _, e, _ in sides[1:]))
    for k, ((s1, e1, d1), (s2, e2, d2)) in enumerate(zip(sides, sides[1:])):
        if not (e1.free_symbols or e2.free_symbols):
            continue
        d = _difference(e1, e2)
        if d == 0:
            out.append(ClaimResult(f"{s1} = {s2}", True, [str(e1), str(e2)], "identical for every value",
                                   "algebra: identity"))
        elif _constant_gap(d, d1 or d2, e1, e2) and not stop:
            out.append(ClaimResult(f"{s1} = {s2}", False, [str(sp.expand(e1)), str(sp.expand(e2))],
                                   f"the sides differ by {d} for every value of the unknowns",
                                   "algebra: never true"))
        elif k >= 1 and rewriting and not (d1 or d2):
            # "E1 = E2 = E3": the first "=" may be an equation, the later ones rewrite its right side
            point = {x: sp.Rational(7, 3) for x in d.free_symbols}
            at = d.subs(point)
            if at != 0 and at.is_finite:
                out.append(ClaimResult(f"{s1} = {s2}", False, [str(e1), str(e2)],
                                       f"a rewriting that changes the value: the difference is {d} "
                                       f"({at} at {point})", "algebra: chain of rewritings"))
    return out


_EXPAND = re.compile(r"\bexpand\w*|\bmultiply\w* out\b", re.I)


def _unexpanded(e) -> bool:
    sp = sympy_module()
    return (isinstance(e, sp.Mul) and any(isinstance(f, sp.Add) for f in e.args)) or \
        (isinstance(e, sp.Pow) and isinstance(e.base, sp.Add) and e.exp.is_Integer and 2 <= e.exp <= MAX_EXPONENT)


def _expansion(sides, stop: bool, said_expand: bool) -> list[ClaimResult]:
    """"Expanding, (m+n+p)(mn+mp+np) = m^2n + …": a product of sums written out as a sum of
    monomials, after the step says it expands. The sides have the same unknowns, the written
    sum is itself expanded and most of its terms are terms of the product (an attempted
    expansion, not an equation); it must equal the product's expansion (exact polynomials)."""
    sp = sympy_module()
    if stop or not said_expand:
        return []
    (s1, e1, d1), (s2, e2, d2) = sides[0], sides[1]
    if d1 or d2:
        return []
    for (sa, a), (sb, b) in (((s1, e1), (s2, e2)), ((s2, e2), (s1, e1))):
        if not (_unexpanded(a) and isinstance(b, sp.Add) and len(b.args) >= 3 and not any(_unexpanded(t) for t in b.args)):
            continue
        if a.free_symbols != b.free_symbols or not a.is_polynomial() or not b.is_polynomial():
            continue
        full = sp.expand(a)
        gens = sorted(a.free_symbols, key=str)
        want, said = sp.Poly(full, *gens).monoms(), sp.Poly(b, *gens).monoms()
        if 2 * len(set(want) & set(said)) < len(said):
            continue  # most written terms are not from the product: not an attempted expansion
        if sp.expand(full - b) == 0:
            return [ClaimResult(f"{s1} = {s2}", True, [str(full)], "the expansion is right", "algebra: expansion")]
        return [ClaimResult(f"{s1} = {s2}", False, [str(full), str(b)],
                            f"{sa} expands to {full}, not {b}", "algebra: expansion")]
    return []


def _check_chain(sides, state: State, stop: bool, text: str, start: int, end: int) -> list[ClaimResult]:
    sp = sympy_module()
    out = _links(sides, stop)
    if not any(r.holds is False for r in out) and len(sides) >= 2:
        said = _EXPAND.search(text[max(0, start - 150):start]) is not None
        out = [r for r in out if r.rule != "algebra: identity" or r.claim != f"{sides[0][0]} = {sides[1][0]}"] \
            + (_expansion(sides, stop, said) or [r for r in out if r.claim == f"{sides[0][0]} = {sides[1][0]}"
                                                 and r.rule == "algebra: identity"])
    if len(sides) != 2 or out or stop:
        return out
    (s1, e1, _), (s2, e2, _) = sides
    syms = e1.free_symbols | e2.free_symbols
    if len(syms) != 1:
        return out
    sym = next(iter(syms))
    roots = _roots(e1, e2, sym)
    if roots is None:
        return out
    written = f"{s1} = {s2}"
    number = re.compile(r"\s*-?\s*\d[\d.]*\s*")
    bare = any(isinstance(a, sp.Symbol) and number.fullmatch(rb) for (a, rb) in ((e1, s2), (e2, s1)))
    value = s2 if isinstance(e1, sp.Symbol) else s1
    # "S = 165 × 6/11" computes; "x = \frac{3 + \sqrt{33}}{2}" states a root (often one of a list)
    computed = any(isinstance(a, sp.Symbol) and not b.free_symbols for a, b in ((e1, e2), (e2, e1))) \
        and not bare and bool(re.search(r"\\times|\\cdot|\*|\S\s*[-+]\s*\S", value)) \
        and not re.search(r"sqrt|pm|mp", value)
    here = [q for q in state.current if q.symbol == sym]
    before = [q for q in state.previous if q.symbol == sym]
    if here:
        earlier, between = here[-1], text[here[-1].end:start]
    elif before and not computed and (not bare or _SOLVES.search(text[:start])):
        # a value stated in a new step may be another root, unless the step says it solves for it
        earlier, between = before[-1], text[:start]
    else:
        earlier, between = None, ""
    # "\[ S = 165 × 6/11 \] \[ S = 9 × 6 \]": a computed value restated at once is one chain
    follows = earlier is not None and here and earlier.computed and earlier.end != end and not re.search(r"[A-Za-z]{2,}", between.replace(
        "\\]", "").replace("\\[", "").replace("\\(", "").replace("\\)", ""))
    if earlier is not None and not follows and not (len(between) <= _MAX_GAP and _DERIVES.search(between)):
        earlier = None  # a second case, a list of values, or an unrelated equation
    if earlier is not None and not earlier.bare:
        tol = 1e-9 + 2 * (_rounding(sides) + earlier.rounding)
        if not _meet(earlier.roots, roots, tol):
            out.append(ClaimResult(f"{earlier.written}; then {written}", False,
                                   [f"{sym} ∈ {_show(earlier.roots)}", f"{sym} ∈ {_show(roots)}"],
                                   "derived from the equation just before it, it has no solution in common "
                                   "with it", "algebra: solution set"))
        else:
            out.append(ClaimResult(f"{earlier.written}; then {written}", True, [_show(roots)],
                                   "consistent with the equation before", "algebra: solution set"))
    state.current.append(_Stated(sym, roots, written, _rounding(sides), computed, bare, end))
    return out


def _show(roots: list[complex]) -> str:
    return "{" + ", ".join(f"{r.real:.6g}" if abs(r.imag) < 1e-12 else f"{r:.6g}" for r in roots) + "}"
