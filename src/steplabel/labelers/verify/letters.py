"""Letter-order comparisons (BIG-Bench's "word sorting"), in Z3's theory of strings.

The problem is a list of lowercase words; sorted means code-point order, which is Z3's
``str.<``. Every word is given, so each claim below is a formula over string constants
(``"ammerman" < "atheism"``, ``str.at("being", 1) = "e"``): closed, true or false, never left
open. Z3's simplifier evaluates it, which decides exactly what entailment from the premises
``w_i = "<the word>"`` decided, without a solver per claim (a solver per check made this
family the slowest of the formal path); a formula it does not reduce goes to the solver. A
step is read where it has the solution's shape:

- "The second letter: "being": "e" (5). …" → ``w[1] = "e"``. The number after the letter is
  its rank in the alphabet, a tag like the group numbers below: not checked (a wrong tag
  changes no order; a wrong order it leads to is caught where the order is stated);
- a chain "(2) ["being" ? "widen"] < (3) "cider" < …" (after "We now have:" or "Hence, we
  have") → every word of a group sorts before every word of the next group; the words of a
  "?" group share the letter that grouped them (the position last looked at for "We now
  have", the first letter for the whole list after "Hence"), since that is what leaves them
  unordered; and the chain lists exactly the words it sorts (the whole list, or the subpart
  named by "Now let's sort this subpart [...]"), each once; and "Hence, we have" keeps the
  order the same step's subpart chain just settled (two words it ordered are not put back
  in one "?" group). A group's number "(2)" is a tag
  copied from the letter listing, not a claim: a wrong tag does not change the order the
  chain states (and the people who marked BIG-Bench Mistake did not count one as a
  mistake), so its value is not checked;
- "The answer is w1 w2 …" → the same words as the list, each no later than the next.

Everything the words are is given, so nothing is ever left open here: a claim holds (entailed)
or not (contradicted). A word the list does not contain, a letter beyond a word's end, a position
word we do not know: that part stays unread and cannot make its step correct.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import z3

from steplabel.labelers.verify import entail

MAX_PAIRS = 2000  # order claims one chain may make (groups of n words make n² pairs): a bound, not a limit seen
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth"]
_WORD = r"[a-z'&.\-]+"
_LIST = re.compile(rf"(?:Sort the following words alphabetically:\s*List:\s*)?({_WORD}(?: {_WORD}){{2,}})")
_POSITION = re.compile(r"\b(" + "|".join(_ORDINALS) + r") letters?\b", re.I)
_LETTER = re.compile(r'"([^"]+)":\s*"([^"]*)"\s*\((\d+)\)')
_CHAIN = re.compile(r"(We now have:|Hence, we have)\s*(.+?)(\s+for the subpart)?\.?(?=\s+Hence, we have|$)")
_SUBPART = re.compile(r"sort this subpart \[([^\]]*)\]")
_ANSWER = re.compile(r"\bThe answer is:?\s*(.+?)\s*\.?\s*$")
_GROUP = re.compile(r"^(?:\((\d+)\)\s*)?(.+)$")


@dataclass
class WordProblem:
    words: list[str]

    family = "letters"


def read_problem(question: str) -> WordProblem | None:
    m = _LIST.fullmatch(question.strip())
    return WordProblem(m.group(1).split()) if m else None


def _groups(chain: str) -> list[tuple[int | None, list[str], str]] | None:
    """(number, words, text) per "<"-separated group; None if a group has anything else in it."""
    out = []
    for part in chain.split(" < "):
        m = _GROUP.match(part.strip())
        words = re.findall(r'"([^"]*)"', m.group(2))
        rest = re.sub(r'"[^"]*"|[\[\]?\s]', "", m.group(2))
        if not words or rest:
            return None
        out.append((int(m.group(1)) if m.group(1) else None, words, part.strip()))
    return out


def _same_words(description: str, words: list[str], expected: list[str]) -> tuple[str, z3.BoolRef]:
    """A structural claim (counted, no solver needed): the chain lists these words, each once."""
    return description, z3.BoolVal(Counter(words) == Counter(expected))


def _letter(word: str, position: int) -> z3.SeqRef:
    """The letter at ``position`` (1-based) of a given word, as a Z3 term."""
    return z3.SubString(z3.StringVal(word), position - 1, 1)


def _less(a: str, b: str) -> z3.BoolRef:
    return z3.StringVal(a) < z3.StringVal(b)


def _holds(formula, timeout_ms: int) -> bool | None:
    """Z3's verdict on a closed formula: simplified to true or false, else asked of a solver;
    None when neither decides (or the term is malformed)."""
    try:
        value = z3.simplify(formula)
        if z3.is_true(value) or z3.is_false(value):
            return z3.is_true(value)
        status = entail.decide([], formula, timeout_ms).status
    except (z3.Z3Exception, ValueError, TypeError):
        return None
    return {entail.ENTAILED: True, entail.CONTRADICTED: False}.get(status)


def _chain_claims(kind: str, groups: list, position: int | None, whole: list[str]) -> list:
    """Order between neighbouring groups; the words of a "?" group share the letter that
    formed it (the current position in "We now have", the first letter in "Hence"); the
    chain lists exactly the words it sorts (``whole``)."""
    claims = []
    at = position if kind.startswith("We now") else 1
    for _, words, part in groups:
        if len(words) > 1 and at is not None and all(len(w) >= at for w in words):
            first = _letter(words[0], at)
            claims += [(f'"{w}" and "{words[0]}" share letter {at} ({part})',
                        _letter(w, at) == first) for w in words[1:]]
    for (_, left, _), (_, right, _) in zip(groups, groups[1:]):
        claims += [(f'"{a}" < "{b}"', _less(a, b)) for a in left for b in right]
    if whole:
        claims.append(_same_words("the chain lists the words it sorts, each once",
                                  [w for _, ws, _ in groups for w in ws], whole))
    return claims


def _read(problem: WordProblem, known: set[str], text: str, state: dict):
    """(claims as (description, formula), unread pieces); ``state`` carries the position
    looked at and the subpart being sorted from step to step."""
    claims, unread = [], []
    if m := _SUBPART.search(text):
        state["subpart"] = re.findall(r'"([^"]*)"', m.group(1))
    if (m := _POSITION.search(text)) and _LETTER.search(text):
        state["position"] = position = _ORDINALS.index(m.group(1).lower()) + 1
        for word, letter, number in _LETTER.findall(text):
            if word not in known or len(word) < position or len(letter) != 1:
                unread.append(f'"{word}": "{letter}" ({number})')
                continue
            claims.append((f'letter {position} of "{word}" is "{letter}"',
                           _letter(word, position) == z3.StringVal(letter)))
    elif (m := _POSITION.search(text)) and "subpart" in text:
        state["position"] = _ORDINALS.index(m.group(1).lower()) + 1  # "sort this subpart … by their second letters"
    settled: list[tuple[str, str]] = []  # pairs the subpart chain of this step put in order
    for kind, chain, for_subpart in _CHAIN.findall(text):
        groups = _groups(chain)
        if (groups is None or any(w not in known for _, ws, _ in groups for w in ws)
                or sum(len(a[1]) * len(b[1]) for a, b in zip(groups, groups[1:])) > MAX_PAIRS):
            unread.append(chain)
            continue
        whole = state.get("subpart") if for_subpart else problem.words
        claims += _chain_claims(kind, groups, state.get("position"), whole or [])
        if for_subpart:
            settled += [(a, b) for i, (_, left, _) in enumerate(groups) for _, right, _ in groups[i + 1:]
                        for a in left for b in right]
        elif kind.startswith("Hence"):
            together = {frozenset((a, b)) for _, ws, _ in groups for a in ws for b in ws if a != b}
            # the whole list regroups as "?" two words this step just ordered: open again what it settled
            claims += [(f'"{a}" < "{b}", settled for the subpart, stays settled', z3.BoolVal(False))
                       for a, b in settled if frozenset((a, b)) in together]
    if m := _ANSWER.search(text):
        answer = re.split(r"[\s,]+", m.group(1).strip())
        if Counter(answer) != Counter(problem.words):
            claims.append(_same_words("the answer lists the words of the list, each once", answer, problem.words))
        else:
            claims += [(f'"{a}" <= "{b}"', z3.Not(_less(b, a))) for a, b in zip(answer, answer[1:])]
    return claims, unread


def check_steps(problem: WordProblem, steps: list[str], timeout_ms: int = 2000) -> list[tuple[bool | None, dict]]:
    """Each step's claims decided by Z3 (``_holds``); one it cannot decide leaves its step unsure."""
    known = set(problem.words)
    state: dict = {"position": None, "subpart": None}
    results = []
    for text in steps:
        claims, unread = _read(problem, known, text, state)
        evidence: dict = {"checker": "z3-letters", "position": state["position"]}
        count = len(claims)
        if not claims:
            results.append((None, {**evidence, "reason": "no letter or order claim read",
                                   **({"unread": unread} if unread else {})}))
            continue
        verdicts = [(claim, _holds(formula, timeout_ms)) for claim, formula in claims]
        failed = [claim for claim, holds in verdicts if holds is False]
        undecided = sum(holds is None for _, holds in verdicts)
        evidence.update(claims=count, contradicted=failed[:20])
        if unread:
            evidence["unread"] = unread
        if failed:
            results.append((False, {**evidence, "reason": "contradicts the words of the list"}))
        elif unread or undecided:
            results.append((None, {**evidence, "reason": "some of the step could not be read or decided"}))
        else:
            results.append((True, {**evidence, "reason": "follows"}))
    return results
