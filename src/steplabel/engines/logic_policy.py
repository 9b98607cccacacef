"""The simulated policy for the logic world: it plans a proof the way a solver would (backward
from the statement, through rules whose conditions it can establish) and writes it one
deduction per paragraph, with a reasoner's mistakes: a premise left out (the step no longer
follows), a rule applied whose conditions do not hold, a dropped or added "not", and, once it
has concluded something false, a final answer that often follows the error."""

from __future__ import annotations

import random
from dataclasses import dataclass

from steplabel.problems.worlds import logic


@dataclass(frozen=True)
class LogicPolicyConfig:
    skill: float = 0.9  # chance of a clean step
    confusion: float = 0.7  # chance a false conclusion flips the final answer
    recovery: float = 0.05


def plan(problem: logic.LogicProblem) -> list[logic.ProofStep] | None:
    """A proof of the statement or of its negation, in order, or None if neither follows."""
    facts = {f: i + 1 for i, f in enumerate(problem.facts)}
    steps: list[logic.ProofStep] = []
    derived: dict[logic.Literal, int] = {}

    def establish(lit, depth=0) -> bool:
        if lit in facts or lit in derived:
            return True
        if depth > 20:
            return False
        for r, rule in enumerate(problem.rules, 1):
            if rule.conclusion == lit and all(establish(c, depth + 1) for c in rule.conditions):
                fs = tuple(sorted(facts[c] for c in rule.conditions if c in facts))
                ss = tuple(sorted(derived[c] for c in rule.conditions if c not in facts))
                derived[lit] = len(steps)
                steps.append(logic.ProofStep(fs, r, ss, lit))
                return True
        return False

    h = problem.hypothesis
    for target in (h, (h[0], h[1], not h[2])):
        steps.clear()
        derived.clear()
        if establish(target):
            return list(steps)
    return None


class LogicPolicy:
    def __init__(self, config: LogicPolicyConfig) -> None:
        self.config = config

    def continue_solution(self, problem: logic.LogicProblem, prefix: list[str], rng: random.Random) -> str:
        proof = plan(problem)
        if not proof:
            return "I cannot decide this statement from the facts and rules."
        full = logic.LogicProblem(problem.facts, problem.rules, problem.hypothesis, tuple(proof))
        truth = problem.closure()
        confused = any((s := logic.read_step(p)) is None or s.conclusion not in truth for p in prefix)
        if confused and rng.random() < self.config.recovery:
            confused = False
        out = []
        for i in range(len(prefix), len(proof)):
            step = proof[i]
            if rng.random() > self.config.skill:
                step, confused = self._mistake(problem, step, truth, rng, confused)
            answer = None
            if i == len(proof) - 1:
                answer = full.answer
                if confused and rng.random() < self.config.confusion:
                    answer = "False" if answer == "True" else "True"
            out.append(full.step_text(i, step, answer) if answer else full.step_text(i, step))
        return "\n\n".join(out)

    @staticmethod
    def _mistake(problem, step, truth, rng, confused):
        kind = rng.random()
        if kind < 0.35 and len(step.facts) + len(step.steps) > 1:
            if step.facts and (not step.steps or rng.random() < 0.5):
                facts = step.facts[1:]
                return logic.ProofStep(facts, step.rule, step.steps, step.conclusion), confused
            return logic.ProofStep(step.facts, step.rule, step.steps[1:], step.conclusion), confused
        if kind < 0.7:
            e, a, positive = step.conclusion
            return logic.ProofStep(step.facts, step.rule, step.steps, (e, a, not positive)), True
        unmet = [r for r, rule in enumerate(problem.rules, 1) if rule.conclusion not in truth]
        if unmet:
            r = rng.choice(unmet)
            return logic.ProofStep(step.facts, r, step.steps, problem.rules[r - 1].conclusion), True
        e, a, positive = step.conclusion
        return logic.ProofStep(step.facts, step.rule, step.steps, (e, a, not positive)), True
