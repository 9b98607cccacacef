"""Swaps and trades between named people (BIG-Bench's "tracking shuffled objects"), in Z3.

The problem text is templated: "At the start …: Alice has a green ball, Bob gets Moby Dick,
Claire is dancing with Lola …", then "First, Bob and Claire swap balls. Then, … Finally, …",
then "At the end …, Eve has the". Each person's holding after swap t is an integer term
``held[t][person]``; the premises are the initial holdings and, per swap, the exchange of the
two holdings (everyone else keeps theirs).

A step is read when it has the solution's shape:
- "At the start: Alice: green, Bob: blue, …" → holdings at time 0;
- "Claire and Bob swap books: Alice: …, Bob: …" → holdings after the swap it names, which must
  be the next swap of the problem (a step that names another swap is left unchecked, and so
  are the swap steps after it, since which time they mean is then unclear);
- "At the end of the game, Eve has the red ball. So the answer is (A)" → the last holdings,
  and option (A) must name what the person the question asks about holds at the end.
A person may be written by an initial ("E and A swap: A: blue, …") when no one else shares it.
A state that lists people without naming a swap ("B: yellow, C: blue") does not say which time
it means: when a solution has exactly one such state for the start and one per swap, the k-th
is read as the holdings after k swaps (the order the solution writes them in); otherwise they
are left unchecked. Each claimed holding is decided by ``entail`` against the
premises plus the holdings earlier steps stated and verify accepted; an item or person the
problem does not mention leaves its step unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import z3

from steplabel.labelers.verify import entail

_HOLDING = re.compile(r"^(?P<name>[A-Z][a-z]+) (?:has an? |has |gets |is dancing with |is playing |is holding an? )"
                      r"(?P<item>.+)$")
_SWAP = re.compile(r"\b(?:First|Then|Finally), ([A-Z][a-z]+) and ([A-Z][a-z]+) (?:swap|switch|trade)\b")
_ASKED = re.compile(r"At the end of the [a-z ]+, ([A-Z][a-z]+) (?:has|is dancing with|is playing)(?: the)?\s*$", re.M)
_OPTION = re.compile(r"^\(([A-Z])\)\s*(.+?)\.?\s*$", re.M)
_STEP_START = re.compile(r"^\s*(?:At the start|Initially)\b[^:]*:\s*")
_STEP_SWAP = re.compile(r"^\s*([A-Z][a-z]*) and ([A-Z][a-z]*) (?:swap|switch|trade)\b[^:]*:\s*")
_STEP_END = re.compile(r"^\s*At the end of the [a-z ]+, ([A-Z][a-z]+) (?:has|is dancing with|is playing) (.+?)\.\s*"
                       r"(?:So the answer is \(([A-Z])\)\.?)?\s*$")
_BARE = re.compile(r"^\s*[A-Z][a-z]*: [^:]+(?:, [A-Z][a-z]*: [^:]+)*\.?(?:\s*So the answer is \([A-Z]\)\.?)?\s*$")
_PAIR = re.compile(r"^([A-Z][a-z]*): (.+)$")


def normalise(item: str) -> str:
    """One spelling per item: 'the red ball.' and 'red' are the same thing."""
    text = item.strip().rstrip(".").strip().lower()
    text = re.sub(r"^(?:the|an?)\s+", "", text)
    return re.sub(r"\s+(?:ball|present|gift|book)$", "", text).strip()


@dataclass
class SwapProblem:
    people: list[str]
    items: list[str]          # normalised, index = the item's integer value
    start: dict[str, int]
    swaps: list[tuple[str, str]]
    asked: str | None
    options: dict[str, str]   # letter → normalised item

    family = "swaps"

    def person(self, token: str) -> str | None:
        """A name as a step writes it: in full, or by its initial when no one else shares it."""
        if token in self.start:
            return token
        same = [p for p in self.people if len(token) == 1 and p[0] == token]
        return same[0] if len(same) == 1 else None


def read_problem(question: str) -> SwapProblem | None:
    lines = question.split("\n")
    if not lines or ":" not in lines[0] or "At the start" not in lines[0]:
        return None
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+(?=[A-Z][a-z]+ (?:has|gets|is)\b)",
                     lines[0].split(":", 1)[1].strip().rstrip("."))
    start, items = {}, []
    for part in parts:
        m = _HOLDING.match(part.strip())
        if not m:
            return None
        item = normalise(m.group("item"))
        if m.group("name") in start or item in items:
            return None
        start[m.group("name")] = len(items)
        items.append(item)
    swaps = [(a, b) for a, b in _SWAP.findall(question)]
    if len(start) < 2 or not swaps or any(a not in start or b not in start or a == b for a, b in swaps):
        return None
    asked = _ASKED.search(question)
    options = {k: normalise(v) for k, v in _OPTION.findall(question)}
    return SwapProblem(list(start), items, start, swaps, asked.group(1) if asked else None, options)


class _Model:
    """The Z3 terms of one problem: held[t][person] after t swaps, and the premises."""

    def __init__(self, problem: SwapProblem) -> None:
        self.problem = problem
        people = problem.people
        self.held = [{p: z3.Int(f"{p}@{t}") for p in people} for t in range(len(problem.swaps) + 1)]
        self.premises = [self.held[0][p] == problem.start[p] for p in people]
        for t, (a, b) in enumerate(problem.swaps, start=1):
            before, after = self.held[t - 1], self.held[t]
            self.premises += [after[a] == before[b], after[b] == before[a]]
            self.premises += [after[p] == before[p] for p in people if p not in (a, b)]


    def terms_at(self, claims: list) -> list:
        """The terms a countermodel reports for these claims: the holdings they speak of."""
        return list({str(self.held[t][p]): self.held[t][p] for t, p, _ in claims}.values())


def _state(text: str, problem: SwapProblem) -> tuple[list[tuple[str, int]], list[str]]:
    """(person, item) pairs a state lists, and the pieces that could not be read."""
    text = re.split(r"\s*So the answer is", text)[0].strip().rstrip(".")
    pairs, unread = [], []
    for piece in re.split(r",\s*(?=[A-Z][a-z]*:)", text):
        m = _PAIR.match(piece.strip())
        person = problem.person(m.group(1)) if m else None
        item = normalise(m.group(2)) if m else None
        if person is None or item not in problem.items:
            unread.append(piece)
        else:
            pairs.append((person, problem.items.index(item)))
    return pairs, unread


def check_steps(problem: SwapProblem, steps: list[str], timeout_ms: int = 2000) -> list[tuple[bool | None, dict]]:
    model = _Model(problem)
    session = entail.Session(timeout_ms)  # premises + accepted only grow
    accepted: list = []   # holdings stated by earlier steps and entailed
    time: int | None = 0  # swaps applied so far, as the solution tells it; None once unclear
    results = []
    # bare states ("B: yellow, C: blue") name no swap: read the k-th as the holdings after k
    # swaps only when there is exactly one for the start and one per swap
    bare = 0 if sum(bool(_BARE.match(t)) for t in steps) == len(problem.swaps) + 1 else None
    for text in steps:
        claims, unread, parsed = [], [], {}
        if (m := _STEP_START.match(text)) and time == 0:
            pairs, unread = _state(text[m.end():], problem)
            claims = [(0, p, i) for p, i in pairs]
            parsed["time"] = 0
        elif m := _STEP_SWAP.match(text):
            pair = {problem.person(m.group(1)), problem.person(m.group(2))}
            if time is not None and time < len(problem.swaps) and pair == set(problem.swaps[time]):
                time += 1
                pairs, unread = _state(text[m.end():], problem)
                claims = [(time, p, i) for p, i in pairs]
                parsed["time"] = time
            else:
                time = None
                parsed["reason"] = "names a swap that is not the next one the problem lists"
        elif m := _STEP_END.match(text):
            final = len(problem.swaps)
            person, item, letter = m.group(1), normalise(m.group(2)), m.group(3)
            if person in problem.start and item in problem.items:
                claims = [(final, person, problem.items.index(item))]
                if letter is not None:
                    if letter in problem.options and problem.options[letter] in problem.items:
                        claims.append((final, problem.asked or person, problem.items.index(problem.options[letter])))
                    else:
                        unread.append(f"({letter})")
            else:
                unread.append(text)
        elif bare is not None and _BARE.match(text):
            pairs, unread = _state(text, problem)
            claims = [(bare, p, i) for p, i in pairs]
            parsed["time"] = bare
            bare += 1
        results.append(_decide(model, session, claims, unread, accepted, parsed))
    return results


def _decide(model: _Model, session: entail.Session, claims: list, unread: list, accepted: list,
            parsed: dict) -> tuple[bool | None, dict]:
    problem = model.problem
    evidence: dict = {"checker": "z3-swaps", **parsed}
    if not claims:
        return None, {**evidence, "reason": parsed.get("reason", "no holdings read")}
    verdicts = []
    terms = [model.held[t][person] == item for t, person, item in claims]
    decisions = session.decide_each(model.premises + accepted, terms, show=model.terms_at(claims))
    for (t, person, item), formula, decision in zip(claims, terms, decisions):
        row = {"claim": f"{person} holds {problem.items[item]} after {t} swaps", "status": decision.status}
        if decision.status == entail.CONTRADICTED:  # the swaps decide every holding: say which one it is
            value = decision.countermodel.get(str(model.held[t][person]))
            known = isinstance(value, int) and 0 <= value < len(problem.items)
            row["premises give"] = problem.items[value] if known else None
        if decision.reason:
            row["reason"] = decision.reason
        verdicts.append(row)
        if decision.status == entail.ENTAILED:
            accepted.append(formula)
    evidence["claims"] = verdicts
    if unread:
        evidence["unread"] = unread
    if any(v["status"] == entail.CONTRADICTED for v in verdicts):
        return False, {**evidence, "reason": "contradicts the premises and earlier steps"}
    if not unread and all(v["status"] == entail.ENTAILED for v in verdicts):
        return True, {**evidence, "reason": "follows"}
    return None, {**evidence, "reason": "some of the step could not be read or decided"}
