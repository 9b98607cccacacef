"""Orderings over positions (BIG-Bench's "logical deduction"), in Z3's integer arithmetic.

The problem text is templated: "… a set of N objects arranged in a fixed order", one line
listing the N objects ("On a shelf, there are five books: a red book, …"), then one statement
a line: "The red book is to the left of the gray book", "Eli finished third-to-last", "The
loquats are the second-cheapest", "The bus is newer than the sedan". Every object gets an
integer term ``pos(x)`` in 1..N, all distinct, with one direction for every axis: 1 is the
leftmost, the first to finish, the most expensive, the newest. Each statement is a formula
over those terms.

A step is read in these shapes:
- a sentence that is one of the problem's statements: the step cites it;
- a sentence of the same grammar that is not one of them ("The hatchback is the
  fourth-newest"): a claim;
- "So from oldest to newest: first is the tractor, then second or third is the bus, then
  fourth can be the bus or the van, then fifth can be any vehicle, …" → one claim per slot
  that names objects (a slot past N is a position that does not exist; "can be X or Y": the
  slot holds one of them); "can be any …" claims nothing, except where a statement the
  solution has cited puts an object in that very slot ("The brown book is the third from
  the left", later "third can be any book"): then it claims that object may be elsewhere,
  which the cited statement contradicts (the solution dropped what it had established);
- "According to this ordering, the second-cheapest fruit is the plums" → a claim;
- "So the answer is (E)" → the option's statement, as a claim.

The rule (FoVer-style entailment, ``entail``): a claim is decided against what the step may
rest on: the frame (N distinct positions) plus the statements cited by this step and the
steps before it (a clause that says what a statement says, in other words or the other way
round, cites it: "the plums are more expensive than the pears" cites "The pears are less
expensive than the plums"). Contradicted → refuted. Open (the statements cited so far leave
it undecided) → refuted as a premature conclusion, the commonest mistake in these solutions;
the evidence says whether the claim is at least true under all the problem's statements.
Failure mode: a solution that uses a statement without restating it in a form we read has
its conclusion refuted as premature (on the dev half, 1 of 158 refutations came before the
human's mark this way: a slot filled four steps before the statement that settles it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import z3

from steplabel.labelers.verify import entail

_ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
_NUMBERS = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_ORD_RE = "|".join(_ORD)
# comparatives: phrase → True when "x <phrase> y" means pos(x) < pos(y)
_COMPARE = {"to the left of": True, "to the right of": False, "above": True, "below": False,
            "more expensive than": True, "less expensive than": False, "cheaper than": False,
            "newer than": True, "older than": False}
# directions of a "So from A to B:" listing: True when its k-th slot is position k
_DIRECTIONS = {"left to right": True, "right to left": False, "first to last": True, "last to first": False,
               "newest to oldest": True, "oldest to newest": False,
               "most expensive to least expensive": True, "most to least expensive": True,
               "least expensive to most expensive": False, "least to most expensive": False,
               "cheapest to most expensive": False, "most expensive to cheapest": True}
_SENTENCE = re.compile(r"^(?:The |the )?(?P<x>.+?) (?P<verb>is not|are not|cannot be|can't be|must be|is|are|finished|"
                       r"must have finished|did not finish) (?P<pred>.+?)\.?$")
_NEGATIVE = ("is not", "are not", "cannot be", "can't be", "did not finish")
# what a clause may start with before its statement ("We previously concluded that Ada is sixth")
_LEAD = re.compile(r"^(?:(?:we (?:previously )?(?:concluded|know|found) that|this means that|therefore,?|thus,?|"
                   r"hence,?|so,?)\s+)+", re.I)
_LISTING = re.compile(r"So from (?P<dir>[a-z ]+?):\s*(?P<slots>[^.]*(?:\.(?!\s)[^.]*)*)")
_ACCORDING = re.compile(r"[Aa]ccording to (?:this|our|the) ordering, the (?P<abs>[a-z -]+?) (?:[a-z]+ )?(?:is|are) "
                        r"(?:the )?(?P<x>[^.,]+?)\.")
_ANSWER = re.compile(r"So the answer is \(([A-Z])\)\.?\s*$")
_OPTION = re.compile(r"^\(([A-Z])\)\s*(.+?)\s*$", re.M)


def _name(text: str) -> str:
    return re.sub(r"^(?:the|an?)\s+", "", text.strip().rstrip(".").strip(), flags=re.I).lower()


def _absolute(pred: str, n: int) -> int | None:
    """The position (1 = left, first, most expensive, newest) an absolute phrase names."""
    pred = re.sub(r"^the ", "", pred.strip())
    if pred in ("leftmost", "first", "most expensive", "newest"):
        return 1
    if pred in ("rightmost", "last", "cheapest", "least expensive", "oldest"):
        return n
    if m := re.fullmatch(rf"({_ORD_RE}) from the (left|right)", pred):
        k = _ORD.index(m.group(1)) + 1
        return k if m.group(2) == "left" else n + 1 - k
    if m := re.fullmatch(rf"({_ORD_RE})-to-last", pred):
        return n + 1 - (_ORD.index(m.group(1)) + 1)
    if m := re.fullmatch(rf"({_ORD_RE})(?:-most expensive|-newest)?", pred):
        return _ORD.index(m.group(1)) + 1
    if m := re.fullmatch(rf"({_ORD_RE})-(?:cheapest|oldest)", pred):
        return n + 1 - (_ORD.index(m.group(1)) + 1)
    return None


@dataclass
class OrderProblem:
    objects: list[str]
    statements: list[str]  # as written, normalised
    options: dict[str, str]

    family = "ordering"

    @property
    def n(self) -> int:
        return len(self.objects)


def read_problem(question: str) -> OrderProblem | None:
    m = re.search(r"each describe a set of (\w+) objects arranged in a fixed order", question)
    if not m or m.group(1) not in _NUMBERS:
        return None
    lines = [ln[2:].strip() for ln in question.split("\n") if ln.startswith("- ")]
    if not lines or ":" not in lines[0]:
        return None
    objects = [_name(x) for x in re.split(r",\s*(?:and\s+)?|\s+and\s+", lines[0].split(":", 1)[1].strip().rstrip("."))]
    if len(objects) != _NUMBERS[m.group(1)] or len(set(objects)) != len(objects):
        return None
    problem = OrderProblem(objects, [], dict(_OPTION.findall(question)))
    for line in lines[1:]:
        if _fact_of(problem, line) is None:
            return None  # a statement we cannot read: the premises would be incomplete
        problem.statements.append(_key(line))
    return problem


def _key(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.strip().rstrip(".")).lower()


def _fact_of(problem: OrderProblem, sentence: str, subject: str | None = None) -> tuple | None:
    """What a statement-shaped sentence says, in one canonical form: ("<", x, y) for
    pos(x) < pos(y), ("=", x, k) for pos(x) = k, ("not", fact) for a denial; None if it is
    not one. "it" / "they" stand for ``subject``."""
    m = _SENTENCE.match(_LEAD.sub("", sentence.strip()))
    if not m:
        return None
    x, pred = _name(m.group("x")), m.group("pred").strip()
    if x in ("it", "they") and subject is not None:
        x = subject
    if x not in problem.objects:
        return None
    fact = None
    for phrase, before in _COMPARE.items():
        if pred.startswith(phrase + " "):
            y = _name(pred[len(phrase) + 1:])
            if y not in problem.objects or y == x:
                return None
            fact = ("<", x, y) if before else ("<", y, x)
            break
    else:
        k = _absolute(pred, problem.n)
        fact = None if k is None else ("=", x, k)
    if fact is not None and m.group("verb") in _NEGATIVE:
        fact = ("not", fact)
    return fact


def _subject(fact: tuple) -> str:
    return _subject(fact[1]) if fact[0] == "not" else fact[1] if fact[0] == "=" else ""


def _formula(fact: tuple, pos: dict):
    if fact[0] == "not":
        return z3.Not(_formula(fact[1], pos))
    op, x, y = fact
    return pos[x] < pos[y] if op == "<" else pos[x] == y


class _Model:
    def __init__(self, problem: OrderProblem) -> None:
        self.problem = problem
        self.pos = {x: z3.Int(f"pos({x})") for x in problem.objects}
        terms = list(self.pos.values())
        self.frame = [z3.Distinct(*terms)] + [z3.And(t >= 1, t <= problem.n) for t in terms]
        self.facts = {s: _fact_of(problem, s) for s in problem.statements}
        self.premises = {s: _formula(f, self.pos) for s, f in self.facts.items()}


def _clauses(text: str) -> list[str]:
    """Sentences, and the parts of "A, so B" (the first often restates a statement)."""
    parts = re.split(r"(?<=\.)\s+|,\s*(?:and )?(?:so|thus|hence|which means that|which means)\s+", text.strip())
    return [c for c in parts if c]


def _slots(model: _Model, direction: str, slots: str, fixed: list) -> tuple[list, list]:
    """Claims of a "So from A to B:" listing, and the slots that name something unknown."""
    n, forward = model.problem.n, _DIRECTIONS[direction]
    claims, unread = [], []
    place = (lambda k: k) if forward else (lambda k: n + 1 - k)
    # "third can be any book" where a cited statement put the brown book third: the step
    # drops what it has already established (claimed: the brown book may be elsewhere)
    any_slot = rf"((?:{_ORD_RE})(?:(?:,\s*(?:and\s+)?|\s+and\s+|\s+to\s+)(?:{_ORD_RE}))*)\s+can be any\b"
    for m in re.finditer(any_slot, slots):
        words = re.findall(rf"{_ORD_RE}|\bto\b", m.group(1))
        ks = [_ORD.index(w) + 1 for w in words if w != "to"]
        if "to" in words and len(ks) == 2:
            ks = list(range(ks[0], ks[1] + 1))
        for k in ks:
            for x in (f[1] for f in fixed if f[2] == place(k)):
                claims.append((f"{_ORD[k - 1]} can be any (from {direction}), though a cited statement puts "
                               f"the {x} there", z3.Not(model.pos[x] == place(k))))
    for part in re.split(r",\s*(?:and\s+)?then\s+|,\s*then\s+|;\s*|,\s+and\s+(?=(?:" + _ORD_RE + r")\b)",
                         slots.strip().rstrip(".")):
        part = part.strip()
        if m := re.fullmatch(rf"({_ORD_RE}) can be (?:the )?(.+?),? or (?:the )?(.+)", part):
            xs = [_name(m.group(2)), _name(m.group(3))]
            if all(x in model.pos for x in xs):  # "third can be the tractor or the hatchback": one of them
                k = place(_ORD.index(m.group(1)) + 1)
                claims.append((f"{part} (from {direction})", z3.Or(*[model.pos[x] == k for x in xs])))
            continue
        if "can be any" in part or not part or re.fullmatch(rf"(?:{_ORD_RE})(?:,\s*(?:{_ORD_RE}))*", part):
            continue  # "first, second, and third can be any …" claims nothing
        m = re.fullmatch(rf"((?:{_ORD_RE})(?:(?:,\s*| or |, or )(?:{_ORD_RE}))*) (?:is|are) (.+)", part)
        if not m:
            unread.append(part)
            continue
        ks = [_ORD.index(w) + 1 for w in re.findall(_ORD_RE, m.group(1))]
        x = _name(m.group(2))
        if x not in model.pos:
            unread.append(part)
            continue
        places = [k if forward else n + 1 - k for k in ks]
        claims.append((f"{part} (from {direction})", z3.Or(*[model.pos[x] == p for p in places])))
    return claims, unread


def _read(model: _Model, text: str, cited: list) -> tuple[list, list]:
    problem = model.problem
    claims, unread = [], []
    subject = None
    for clause in _clauses(text):
        fact = _fact_of(problem, clause, subject)
        if fact is None:
            continue
        subject = _subject(fact) or _name(_SENTENCE.match(_LEAD.sub("", clause.strip())).group("x"))
        same = [key for key, f in model.facts.items() if f == fact]
        if same:  # a statement of the problem, perhaps reworded ("Eli is third-to-last"): cited
            cited.extend(key for key in same if key not in cited)
        else:
            claims.append((clause, _formula(fact, model.pos)))
    if m := _LISTING.search(text):
        direction = m.group("dir").strip()
        if direction in _DIRECTIONS:
            fixed = [model.facts[c] for c in cited if model.facts[c][0] == "="]
            more, skipped = _slots(model, direction, m.group("slots"), fixed)
            claims += more
            unread += skipped
        else:
            unread.append(f"from {direction}")
    if m := _ACCORDING.search(text):
        k, x = _absolute(m.group("abs"), problem.n), _name(m.group("x"))
        if k is not None and x in model.pos:
            claims.append((m.group(0), model.pos[x] == k))
    if m := _ANSWER.search(text):
        option = problem.options.get(m.group(1))
        fact = _fact_of(problem, option) if option else None
        if fact is None:
            unread.append(m.group(0))
        else:
            claims.append((f"answer ({m.group(1)}): {option}", _formula(fact, model.pos)))
    return claims, unread


def check_steps(problem: OrderProblem, steps: list[str], timeout_ms: int = 2000) -> list[tuple[bool | None, dict]]:
    model = _Model(problem)
    everything = model.frame + list(model.premises.values())
    so_far, under_all = entail.Session(timeout_ms), entail.Session(timeout_ms)  # cited only grows
    cited: list[str] = []
    results = []
    for text in steps:
        claims, unread = _read(model, text, cited)
        basis = model.frame + [model.premises[s] for s in cited]
        evidence: dict = {"checker": "z3-ordering", "cited": list(cited)}
        if not claims:
            results.append((None, {**evidence, "reason": "no ordering claim read",
                                   **({"unread": unread} if unread else {})}))
            continue
        verdicts, refuted, undecided = [], False, False
        decisions = so_far.decide_each(basis, [f for _, f in claims], show=list(model.pos.values()))
        for (claim, formula), decision in zip(claims, decisions):
            row = {"claim": claim, "formula": entail.printed(formula), "status": decision.status}
            if decision.status == entail.OPEN:  # premature; the evidence says whether it is even true
                row["countermodel"], refuted = decision.countermodel, True
                row["under all statements"] = under_all.decide(everything, formula).status
            elif decision.status == entail.CONTRADICTED:
                row["countermodel"], refuted = decision.countermodel, True
            elif decision.status != entail.ENTAILED:
                undecided = True
            verdicts.append(row)
        evidence["claims"] = verdicts
        if unread:
            evidence["unread"] = unread
        if refuted:
            results.append((False, {**evidence, "reason": "contradicts, or asserts what the statements cited so "
                                                          "far leave open"}))
        elif unread or undecided:
            results.append((None, {**evidence, "reason": "some of the step could not be read or decided"}))
        else:
            results.append((True, {**evidence, "reason": "follows"}))
    return results
