"""The logic world (FLD / ProofWriter style): facts, rules, and a statement to prove or refute.

A problem lists numbered facts (``f1: Bob is round.``) and rules (``r2: If Bob is round and
Bob is kind, then Bob is not cold.``) and asks whether a statement is true. A solution is a
chain of deduction steps, one per paragraph, each citing its premises and stating a
conclusion: ``From f1, f2 and r2: Bob is not cold.``; the last step also gives the answer in
``\\boxed{True}`` / ``\\boxed{False}``. The world can write and read both, and its oracle
(forward chaining, no Z3) finds the first step that does not follow from its cited premises
or states something false.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

ENTITIES = ["Anne", "Bob", "Dave", "Erin", "Fiona", "Gary", "Harry", "Iris"]
ATTRIBUTES = ["big", "blue", "cold", "furry", "green", "kind", "nice", "red", "rough", "round",
              "smart", "white", "young", "quiet", "calm", "bright", "shy", "tall", "brave", "quick",
              "wise", "happy", "gentle", "proud"]

Literal = tuple[str, str, bool]  # (entity, attribute, positive)


def say(lit: Literal) -> str:
    entity, attr, positive = lit
    return f"{entity} is {'' if positive else 'not '}{attr}"


_LITERAL = re.compile(r"^([A-Z][a-z]+) is (not )?([a-z]+)$")


def read_literal(text: str) -> Literal | None:
    m = _LITERAL.match(text.strip().rstrip("."))
    return (m.group(1), m.group(3), m.group(2) is None) if m else None


@dataclass(frozen=True)
class Rule:
    conditions: tuple[Literal, ...]
    conclusion: Literal

    def text(self) -> str:
        return f"If {' and '.join(say(c) for c in self.conditions)}, then {say(self.conclusion)}."


@dataclass(frozen=True)
class ProofStep:
    facts: tuple[int, ...]  # 1-based fact numbers
    rule: int  # 1-based rule number
    steps: tuple[int, ...]  # 0-based earlier step indices
    conclusion: Literal


@dataclass(frozen=True)
class LogicProblem:
    facts: tuple[Literal, ...]
    rules: tuple[Rule, ...]
    hypothesis: Literal
    proof: tuple[ProofStep, ...]

    @property
    def answer(self) -> str:
        return "True" if self.proof[-1].conclusion == self.hypothesis else "False"

    def question(self) -> str:
        lines = ["Facts:"] + [f"f{i}: {say(f)}." for i, f in enumerate(self.facts, 1)]
        lines += ["Rules:"] + [f"r{i}: {r.text()}" for i, r in enumerate(self.rules, 1)]
        lines.append(f"Question: Is it true that {say(self.hypothesis)}? Answer True or False.")
        return "\n".join(lines)

    def step_text(self, index: int, step: ProofStep, answer: str | None = None) -> str:
        cites = [f"f{f}" for f in step.facts] + [f"step {s}" for s in step.steps] + [f"r{step.rule}"]
        cited = ", ".join(cites[:-1]) + " and " + cites[-1] if len(cites) > 1 else cites[0]
        text = f"From {cited}: {say(step.conclusion)}."
        if index == len(self.proof) - 1:
            text += f" So the statement is {answer or self.answer}. \\boxed{{{answer or self.answer}}}"
        return text

    def reference_solution(self) -> str:
        return "\n\n".join(self.step_text(i, s) for i, s in enumerate(self.proof))

    def metadata(self) -> str:
        return json.dumps({"world": "logic", "steps": len(self.proof), "facts": len(self.facts),
                           "rules": len(self.rules)})

    def closure(self) -> set[Literal]:
        """Everything the facts and rules entail (forward chaining)."""
        known = set(self.facts)
        changed = True
        while changed:
            changed = False
            for rule in self.rules:
                if rule.conclusion not in known and all(c in known for c in rule.conditions):
                    known.add(rule.conclusion)
                    changed = True
        return known


# ------------------------------------------------------------------ generating problems


@dataclass(frozen=True)
class LogicWorldConfig:
    min_steps: int = 3
    max_steps: int = 8
    distractors: int = 3


def generate_problem(rng: random.Random, config: LogicWorldConfig) -> LogicProblem:
    entity = rng.choice(ENTITIES)
    attrs = rng.sample(ATTRIBUTES, len(ATTRIBUTES))
    n = rng.randint(config.min_steps, config.max_steps)
    base = [(entity, attrs.pop(), True) for _ in range(rng.randint(2, 3))]
    facts = list(base)
    derived: list[Literal] = []
    rules: list[Rule] = []
    proof: list[ProofStep] = []
    for i in range(n):
        pool = [("fact", j) for j in range(len(facts))] + [("step", j) for j in range(len(derived))]
        if derived:  # chain: use the latest conclusion
            picks = [("step", len(derived) - 1)]
            picks += rng.sample([p for p in pool if p != picks[0]], k=min(rng.randint(0, 1), len(pool) - 1))
        else:
            picks = rng.sample(pool, k=min(2, len(pool)))
        conds = tuple(facts[j] if kind == "fact" else derived[j] for kind, j in picks)
        positive = True if i < n - 1 else rng.random() < 0.5
        conclusion = (entity, attrs.pop(), positive)
        rules.append(Rule(conds, conclusion))
        derived.append(conclusion)
        proof.append(ProofStep(tuple(sorted(j + 1 for kind, j in picks if kind == "fact")), len(rules),
                               tuple(sorted(j for kind, j in picks if kind == "step")), conclusion))
    for _ in range(config.distractors):  # rules whose conditions never hold
        missing = (entity, attrs.pop(), True)
        rules.append(Rule((missing, rng.choice(base)), (entity, attrs.pop(), rng.random() < 0.7)))
    facts.append((rng.choice([e for e in ENTITIES if e != entity]), rng.choice(ATTRIBUTES), True))
    # shuffle rule order, renumbering the proof's citations
    order = list(range(len(rules)))
    rng.shuffle(order)
    new_index = {old: new for new, old in enumerate(order)}
    rules = [rules[i] for i in order]
    proof = [ProofStep(s.facts, new_index[s.rule - 1] + 1, s.steps, s.conclusion) for s in proof]
    last = proof[-1].conclusion
    hypothesis = (last[0], last[1], True)
    return LogicProblem(tuple(facts), tuple(rules), hypothesis, tuple(proof))


def generate_problems(count: int, seed: int, config: LogicWorldConfig | None = None) -> list[LogicProblem]:
    rng = random.Random(f"logic-world:{seed}")
    return [generate_problem(rng, config or LogicWorldConfig()) for _ in range(count)]


# ------------------------------------------------------------------ reading text back

_FACT = re.compile(r"^f(\d+): (.+)\.$")
_RULE = re.compile(r"^r(\d+): If (.+), then (.+)\.$")
_QUESTION = re.compile(r"^Question: Is it true that (.+)\? Answer True or False\.$")
_STEP = re.compile(r"^From (.+?): ([A-Z][a-z]+ is (?:not )?[a-z]+)\.")
_CITE = re.compile(r"\b(f|r)(\d+)\b|\bstep (\d+)\b")
_ANSWER = re.compile(r"\\boxed\{(True|False)\}")


def parse_question(question: str) -> LogicProblem | None:
    facts, rules, hypothesis = [], [], None
    for line in question.splitlines():
        if m := _FACT.match(line):
            lit = read_literal(m.group(2))
            if lit is None:
                return None
            facts.append(lit)
        elif m := _RULE.match(line):
            conds = [read_literal(c) for c in m.group(2).split(" and ")]
            concl = read_literal(m.group(3))
            if concl is None or any(c is None for c in conds):
                return None
            rules.append(Rule(tuple(conds), concl))
        elif m := _QUESTION.match(line):
            hypothesis = read_literal(m.group(1))
    if not facts or not rules or hypothesis is None:
        return None
    return LogicProblem(tuple(facts), tuple(rules), hypothesis, ())


@dataclass(frozen=True)
class ReadStep:
    facts: tuple[int, ...]
    rules: tuple[int, ...]
    steps: tuple[int, ...]
    conclusion: Literal | None
    answer: str | None


def read_step(text: str) -> ReadStep | None:
    m = _STEP.match(text.strip())
    if not m:
        return None
    facts, rules, steps = [], [], []
    for kind, number, step in _CITE.findall(m.group(1)):
        if step:
            steps.append(int(step))
        elif kind == "f":
            facts.append(int(number))
        else:
            rules.append(int(number))
    answer = _ANSWER.search(text)
    return ReadStep(tuple(facts), tuple(rules), tuple(steps), read_literal(m.group(2)),
                    answer.group(1) if answer else None)


# ------------------------------------------------------------------ the oracle


def first_error(problem: LogicProblem, steps: list[str]) -> int:
    """First step whose conclusion does not follow from what it cites, cites something that
    does not exist or is false, states something the facts and rules do not entail, or gives
    the wrong answer; -1 if none."""
    truth = problem.closure()
    concluded: list[Literal | None] = []
    for i, text in enumerate(steps):
        step = read_step(text)
        if step is None or step.conclusion is None:
            return i
        if any(not 1 <= f <= len(problem.facts) for f in step.facts) or \
                any(not 1 <= r <= len(problem.rules) for r in step.rules) or \
                any(not 0 <= s < i for s in step.steps):
            return i
        premises = {problem.facts[f - 1] for f in step.facts} | {concluded[s] for s in step.steps}
        follows = any(problem.rules[r - 1].conclusion == step.conclusion
                      and all(c in premises for c in problem.rules[r - 1].conditions) for r in step.rules)
        if not follows or step.conclusion not in truth or any(concluded[s] not in truth for s in step.steps):
            return i
        if step.answer is not None:
            expected = "True" if step.conclusion == problem.hypothesis else (
                "False" if step.conclusion == (*problem.hypothesis[:2], not problem.hypothesis[2]) else None)
            if step.answer != expected:
                return i
        concluded.append(step.conclusion)
    return -1
