"""The arithmetic world: multi-step word problems with a known solution path.

A problem is a start value and a chain of operations; each operation is one sentence of the
question and one paragraph of the solution. The world can write a problem as text and read it
back (the simulated policy only gets the prompt, like a model), and it has an *oracle* that
finds the first wrong step of any written solution. Only the generate stage calls the oracle,
to store ``truth_first_error`` for evaluation; labelers never do.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

NAMES = [
    ("Ava", "she"), ("Liam", "he"), ("Mia", "she"), ("Noah", "he"), ("Zoe", "she"),
    ("Omar", "he"), ("Lena", "she"), ("Ravi", "he"), ("Iris", "she"), ("Theo", "he"),
]
ITEMS = ["marbles", "stickers", "apples", "coins", "cards", "beads", "stamps", "shells"]

# kind -> (question sentence, solution step). {P} pronoun, {N} name, {I} item.
TEMPLATES: dict[str, tuple[str, str]] = {
    "add": ("Then {P} finds {b} more {I}.", "{Pc} finds {b} more {I}, so {x} + {b} = {y}."),
    "sub": ("{Pc} gives {b} {I} to a friend.", "{Pc} gives away {b} {I}, so {x} - {b} = {y}."),
    "mul": (
        "Then the number of {I} becomes {b} times as large.",
        "The {I} become {b} times as many: {x} * {b} = {y}.",
    ),
    "div": (
        "{Pc} shares the {I} equally among {b} bags and keeps one bag.",
        "One of {b} equal bags holds {x} / {b} = {y} {I}.",
    ),
    "pack": (
        "{Pc} buys {b} packs of {c} {I} each.",
        "{b} packs of {c} make {b} * {c} = {p} {I}, so {x} + {p} = {y}.",
    ),
}
ANSWER_SENTENCE = " The answer is \\boxed{{{y}}}."
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ANSWER_CUT = re.compile(r"\s*The answer is.*$", re.DOTALL)


def fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def numbers_in(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text)]


@dataclass(frozen=True)
class Op:
    kind: str
    b: int
    c: int = 0

    def apply(self, x: float, b: float | None = None, c: float | None = None) -> tuple[float, float]:
        """(result, packs subtotal) with optional substituted operands."""
        b = self.b if b is None else b
        c = self.c if c is None else c
        if self.kind == "add":
            return x + b, 0
        if self.kind == "sub":
            return x - b, 0
        if self.kind == "mul":
            return x * b, 0
        if self.kind == "div":
            y = x / b
            return (round(y, 2) if not float(y).is_integer() else y), 0
        p = b * c
        return x + p, p


@dataclass(frozen=True)
class ArithProblem:
    name: str
    pronoun: str
    item: str
    start: int
    ops: tuple[Op, ...]

    def values(self) -> list[float]:
        """The correct running value after each operation."""
        out, x = [], float(self.start)
        for op in self.ops:
            x, _ = op.apply(x)
            out.append(x)
        return out

    @property
    def answer(self) -> str:
        return fmt(self.values()[-1])

    def question(self) -> str:
        words = self._words()
        parts = [f"{self.name} has {self.start} {self.item}."]
        for op in self.ops:
            parts.append(TEMPLATES[op.kind][0].format(b=op.b, c=op.c, **words))
        parts.append(f"How many {self.item} does {self.name} have now?")
        return " ".join(parts)

    def step_text(self, index: int, x: float, b: float, c: float, y: float, p: float) -> str:
        op = self.ops[index]
        text = TEMPLATES[op.kind][1].format(
            b=fmt(b), c=fmt(c), x=fmt(x), y=fmt(y), p=fmt(p), **self._words()
        )
        if index == len(self.ops) - 1:
            text += ANSWER_SENTENCE.format(y=fmt(y))
        return text

    def reference_solution(self) -> str:
        steps, x = [], float(self.start)
        for i, op in enumerate(self.ops):
            y, p = op.apply(x)
            steps.append(self.step_text(i, x, op.b, op.c, y, p))
            x = y
        return "\n\n".join(steps)

    def numbers(self) -> list[int]:
        nums = [self.start]
        for op in self.ops:
            nums.append(op.b)
            if op.kind == "pack":
                nums.append(op.c)
        return nums

    def metadata(self) -> str:
        return json.dumps({"world": "arith", "steps": len(self.ops), "kinds": [o.kind for o in self.ops]})

    def _words(self) -> dict[str, str]:
        return {"P": self.pronoun, "Pc": self.pronoun.capitalize(), "N": self.name, "I": self.item}


# ---------------------------------------------------------------- generating problems


@dataclass(frozen=True)
class WorldConfig:
    min_steps: int = 3
    max_steps: int = 12
    difficulty: int = 1  # 1: two-digit numbers, 2: three-digit, 3: four-digit


def generate_problem(rng: random.Random, config: WorldConfig) -> ArithProblem:
    name, pronoun = rng.choice(NAMES)
    item = rng.choice(ITEMS)
    cap = 10 ** (config.difficulty + 2)
    x = rng.randint(5, 5 * 10**config.difficulty)
    start = x
    ops: list[Op] = []
    n_steps = rng.randint(config.min_steps, config.max_steps)
    while len(ops) < n_steps:
        kind = rng.choice(["add", "add", "sub", "sub", "mul", "div", "pack", "pack"])
        if kind == "add":
            op = Op("add", rng.randint(2, 4 * 10**config.difficulty))
        elif kind == "sub":
            if x < 3:
                continue
            op = Op("sub", rng.randint(2, int(x) - 1))
        elif kind == "mul":
            if x * 2 > cap:
                continue
            op = Op("mul", rng.randint(2, max(2, min(5, cap // int(x)))))
        elif kind == "div":
            divisors = [d for d in range(2, 10) if int(x) % d == 0 and x // d >= 2]
            if not divisors:
                continue
            op = Op("div", rng.choice(divisors))
        else:
            op = Op("pack", rng.randint(2, 6), rng.randint(2, 12 * config.difficulty))
        x, _ = op.apply(x)
        ops.append(op)
    return ArithProblem(name, pronoun, item, start, tuple(ops))


def generate_problems(count: int, seed: int, config: WorldConfig | None = None) -> list[ArithProblem]:
    rng = random.Random(f"arith-world:{seed}")
    return [generate_problem(rng, config or WorldConfig()) for _ in range(count)]


# ---------------------------------------------------------------- reading text back

_SENTENCE = re.compile(r"(?<=[.?])\s+")
_FIRST = re.compile(r"^(?P<name>[A-Z][a-z]+) has (?P<start>\d+) (?P<item>[a-z]+)\.$")


def _pattern(template: str) -> re.Pattern[str]:
    escaped = re.escape(template)
    for key in ("b", "c", "x", "y", "p"):
        escaped = escaped.replace(re.escape("{" + key + "}"), rf"(?P<{key}>-?\d+(?:\.\d+)?)")
    for key in ("P", "Pc", "N", "I"):
        escaped = escaped.replace(re.escape("{" + key + "}"), r"[A-Za-z]+")
    return re.compile("^" + escaped)


_QUESTION_PATTERNS = {kind: _pattern(q) for kind, (q, _) in TEMPLATES.items()}
# The phrase that tells which operation a solution step performs.
_STEP_MARKERS = {
    "add": " more ",
    "sub": "gives away",
    "mul": "times as many",
    "div": "equal bags",
    "pack": "packs of",
}


def parse_question(question: str) -> ArithProblem | None:
    """Read a question written by this world back into a problem; None if it is not one."""
    sentences = _SENTENCE.split(question.strip())
    if len(sentences) < 3:
        return None
    first = _FIRST.match(sentences[0])
    if not first:
        return None
    name, item = first["name"], first["item"]
    pronoun = next((p for n, p in NAMES if n == name), "they")
    ops: list[Op] = []
    for sentence in sentences[1:-1]:
        for kind, pattern in _QUESTION_PATTERNS.items():
            m = pattern.match(sentence)
            if m:
                ops.append(Op(kind, int(m["b"]), int(m["c"]) if "c" in m.groupdict() else 0))
                break
        else:
            return None
    if not ops:
        return None
    return ArithProblem(name, pronoun, item, int(first["start"]), tuple(ops))


def step_kind(step: str) -> str | None:
    for kind, marker in _STEP_MARKERS.items():
        if marker in step:
            return kind
    return None


def stated_result(step: str) -> float | None:
    """The value a step arrives at: the number after its last '='."""
    body = _ANSWER_CUT.sub("", step)
    idx = body.rfind("=")
    if idx < 0:
        return None
    found = _NUMBER.search(body, idx)
    return float(found.group()) if found else None


# ---------------------------------------------------------------- the oracle


def first_error(problem: ArithProblem, steps: list[str]) -> int:
    """Index of the first step that departs from the correct solution path, -1 if none.

    A step is correct when the numbers it writes are those of the correct step at that
    position (operands, intermediate products and result); a later step that happens to land
    on the right value does not undo an earlier error.
    """
    expected = problem.reference_solution().split("\n\n")
    for i, step in enumerate(steps):
        if i >= len(expected):
            return i
        if numbers_in(_ANSWER_CUT.sub("", step)) != numbers_in(_ANSWER_CUT.sub("", expected[i])):
            return i
    if len(steps) < len(expected):
        return max(len(steps) - 1, 0)
    return -1
