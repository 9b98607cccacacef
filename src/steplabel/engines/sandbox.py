"""The sandbox engine: a simulated policy for the synthetic worlds. No model, no GPU.

It is an engine like the others: it gets a prompt, reads the question and any solution prefix
out of it (as a model would), and writes the rest of the solution as plain text, one step per
paragraph, with the mistakes a small model makes: calculation slips, a wrong operand taken
from elsewhere in the problem, a skipped operation. Mistakes propagate because each step
builds on the value the text so far states; now and then the policy silently recovers the
right value, so a wrong step can still end in the right answer. Sampling is deterministic
given (prompt, seed, sample index), whatever the batch it arrives in.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Sequence

from steplabel.engines.base import Completion, Generation, GenerationRequest
from steplabel.engines.logic_policy import LogicPolicy, LogicPolicyConfig
from steplabel.problems import prompts
from steplabel.problems.worlds import arith, logic

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Word-piece count: the sandbox's stand-in for a tokenizer, stable and cheap."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class PolicyConfig:
    skill: float = 0.9  # chance of a clean step on two-digit numbers
    slip_weight: float = 0.5
    operand_weight: float = 0.3
    skip_weight: float = 0.2
    recovery: float = 0.05  # chance a continuation silently restores the right running value
    format_error_rate: float = 0.01  # solutions that trail off without a final answer


class ArithPolicy:
    """Writes (the rest of) a solution to an arithmetic-world problem."""

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config

    def error_probability(self, x: float, y: float) -> float:
        digits = len(str(int(abs(max(abs(x), abs(y))))))
        return min(0.95, (1.0 - self.config.skill) * (0.5 + 0.25 * digits))

    def continue_solution(self, problem: arith.ArithProblem, prefix: list[str], rng: random.Random) -> str:
        ops, truth = problem.ops, problem.values()
        done, x = self._read_prefix(problem, prefix)
        will_recover = rng.random() < self.config.recovery
        steps: list[str] = []
        j = done + 1
        while j < len(ops):
            correct_x = truth[j - 1] if j else float(problem.start)
            if x != correct_x and will_recover:
                x, will_recover = correct_x, False
            op = ops[j]
            y, p = op.apply(x)
            b, c = float(op.b), float(op.c)
            if rng.random() < self.error_probability(x, y):
                kind = rng.choices(
                    ["slip", "operand", "skip"],
                    [self.config.slip_weight, self.config.operand_weight, self.config.skip_weight],
                )[0]
                if kind == "skip" and j < len(ops) - 1:
                    j += 1  # the operation is forgotten; the next one starts from the stale value
                    continue
                if kind == "operand":
                    b, c = self._wrong_operands(problem, op, rng)
                    y, p = op.apply(x, b, c)
                else:
                    y = _slip(y, rng)
                    if op.kind == "pack":
                        p = y - x
            steps.append(problem.step_text(j, x, b, c, y, p))
            x = y
            j += 1
        text = "\n\n".join(steps)
        if steps and rng.random() < self.config.format_error_rate:
            text = arith._ANSWER_CUT.sub("", text)  # trails off: no final answer
        return text

    @staticmethod
    def _read_prefix(problem: arith.ArithProblem, prefix: list[str]) -> tuple[int, float]:
        """(index of the last operation the prefix performed, the value it stated last)."""
        done, x = -1, float(problem.start)
        for step in prefix:
            kind = arith.step_kind(step)
            j = done + 1
            # A step may have skipped one operation: match it to the next op of its kind.
            for cand in (done + 1, done + 2):
                if cand < len(problem.ops) and problem.ops[cand].kind == kind:
                    j = cand
                    break
            done = min(j, len(problem.ops) - 1)
            value = arith.stated_result(step) if kind else None
            if value is not None:
                x = value
        return done, x

    @staticmethod
    def _wrong_operands(problem: arith.ArithProblem, op: arith.Op, rng: random.Random) -> tuple[float, float]:
        others = [n for n in problem.numbers() if n not in (op.b, op.c)]
        pick = rng.choice(others) if others else op.b + rng.randint(1, 3)
        if op.kind == "pack" and rng.random() < 0.5:
            return float(op.b), float(pick)
        if op.kind == "div" and pick == 0:
            pick = op.b + 1
        return float(pick), float(op.c)


def _slip(y: float, rng: random.Random) -> float:
    """A plausible miscalculation: off by a little, off by ten, or two digits swapped."""
    for _ in range(10):
        kind = rng.random()
        if kind < 0.5:
            out = y + rng.choice([-2, -1, 1, 2])
        elif kind < 0.8:
            out = y + rng.choice([-10, 10])
        else:
            digits = list(arith.fmt(y))
            idx = [i for i in range(len(digits) - 1) if digits[i].isdigit() and digits[i + 1].isdigit()]
            if not idx:
                continue
            i = rng.choice(idx)
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
            try:
                out = float("".join(digits))
            except ValueError:
                continue
        if out != y:
            return out
    return y + 1


@dataclass(frozen=True)
class CriticConfig:
    accuracy: float = 0.8  # chance the verdict names the true earliest wrong paragraph
    malformed: float = 0.03  # answers with no usable verdict


class SimulatedCritic:
    """A judge model for the arithmetic world, of a set accuracy, with a judge's failure modes:
    it misses errors (says -1 or points later), raises false alarms earlier, is off by one,
    buries its verdict in prose, or gives none at all. The truth it errs from comes from the
    world's oracle: this is the world simulating a judge, and the data says so (engine
    ``sandbox``, model ``simulated-critic``)."""

    def __init__(self, config: CriticConfig) -> None:
        self.config = config

    def critique(self, problem, paragraphs: list[str], rng: random.Random) -> str:
        n = len(paragraphs)
        oracle = logic.first_error if isinstance(problem, logic.LogicProblem) else arith.first_error
        truth = oracle(problem, paragraphs)
        verdict = truth
        if rng.random() >= self.config.accuracy:
            mode = rng.random()
            if truth >= 0 and mode < 0.45:
                verdict = rng.choice([-1] + list(range(truth + 1, n)))  # misses the error
            elif mode < 0.8 and (truth > 0 or truth == -1):
                verdict = rng.randrange(0, truth if truth > 0 else n)  # false alarm earlier
            else:
                verdict = min(max(truth + rng.choice([-1, 1]), -1), n - 1)  # off by one
        reading = [f"Paragraph {i} checks out." for i in range(n if verdict == -1 else verdict)]
        if rng.random() < self.config.malformed:
            return rng.choice(["Thought process:", ":", "\n".join(reading) + "\nI need more time to decide.",
                               "The answer is \\boxed{unclear}."])
        if verdict == -1:
            closing = "All paragraphs are correct.\n\n\\boxed{-1}"
        elif rng.random() < 0.1:
            closing = f"The earliest error is in paragraph {verdict}."  # no box
        else:
            closing = f"Paragraph {verdict} is incorrect.\n\n\\boxed{{{verdict}}}"
        return "\n".join(reading + [closing])


class SandboxBackend:
    """Answers solve prompts and judge prompts for the synthetic worlds. Anything else gets a
    non-answer."""

    name = "sandbox"

    @classmethod
    def from_section(cls, section) -> "SandboxBackend":
        """From ``[engine]`` of kind sandbox (``config.SandboxEngine``)."""
        params = section.sandbox.model_dump()
        critic = CriticConfig(accuracy=params.pop("critic_accuracy"), malformed=params.pop("critic_malformed"))
        return cls(PolicyConfig(**params), model=section.model, critic=critic)

    def __init__(self, policy: PolicyConfig | None = None, model: str = "simulated-policy",
                 critic: CriticConfig | None = None) -> None:
        self.model = model
        policy = policy or PolicyConfig()
        self.policy = ArithPolicy(policy)
        self.logic_policy = LogicPolicy(LogicPolicyConfig(skill=policy.skill, recovery=policy.recovery))
        self.critic = SimulatedCritic(critic or CriticConfig())
        self._problems: dict[str, object] = {}

    def _problem(self, question: str):
        """The world problem a question states (arithmetic or logic), or None."""
        if question not in self._problems:
            self._problems[question] = arith.parse_question(question) or logic.parse_question(question)
        return self._problems[question]

    async def check(self) -> None:
        """Nothing to check: the simulated policy needs no model."""

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: GenerationRequest) -> Generation:
        if request.prompt is None:
            raise ValueError("the sandbox engine reads text prompts, not token ids")
        prompt = request.prompt
        judged = prompts.read_judge_prompt(prompt)
        parsed = None if judged else prompts.read_prompt(prompt)
        problem, prefix = None, []
        if judged:
            problem = self._problem(judged[0])
        elif parsed:
            problem = self._problem(parsed[0])
            prefix = [s for s in parsed[1].split("\n\n") if s.strip()]
        completions = []
        for i in range(request.n):
            rng = random.Random(f"{request.seed}\x1f{i}\x1f{prompt}")
            if problem is None:
                text = "I am not sure how to solve this problem."
            elif judged:
                text = self.critic.critique(problem, judged[1], rng)
            elif isinstance(problem, logic.LogicProblem):
                text = self.logic_policy.continue_solution(problem, prefix, rng)
            else:
                text = self.policy.continue_solution(problem, prefix, rng)
            completions.append(self._finish(text, request))
        return Generation(completions=completions, prompt_tokens=count_tokens(prompt))

    @staticmethod
    def _finish(text: str, request: GenerationRequest) -> Completion:
        reason = "stop"
        for stop in request.stop:
            cut = text.find(stop)
            if cut >= 0:
                text = text[:cut]
        pieces = _TOKEN.findall(text)
        if len(pieces) > request.max_tokens:
            # Cut at the character where the max_tokens-th piece ends.
            pos = 0
            for piece in pieces[: request.max_tokens]:
                pos = text.index(piece, pos) + len(piece)
            text, reason = text[:pos], "length"
            return Completion(text=text, num_tokens=request.max_tokens, finish_reason=reason)
        return Completion(text=text, num_tokens=len(pieces), finish_reason=reason)
