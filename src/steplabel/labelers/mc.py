"""Monte Carlo estimation of step labels (Math-Shepherd), noise-aware by default.

From each step prefix, completions are sampled; the soft label is the fraction that reach the
reference answer. The last step needs no rollouts: the full solution is judged by its own
final answer.

Two estimators of the hard label and first error:
- ``noise_aware`` (default): a wrong prefix still succeeds now and then by a lucky recovery, so
  "any success" is not proof. Completions are drawn adaptively in rounds (``adaptive.py``) and
  the first error is the most probable change point of a model fitted to the counts of all the
  problems labeled together (``estimate.py``): one batch, so labels are reproducible for a
  given batching. Every label stores its posterior confidence. ``k`` is the most completions
  per prefix.
- ``any``: Math-Shepherd's rule, a prefix is correct if any of its k completions reaches the
  answer. It gets worse as k grows. Two strategies:

  - ``scan`` (default) estimates prefixes in order and stops at the first one that never
    succeeds; later steps are marked ``after_error`` and cost nothing.
  - ``all`` estimates every prefix at once (Math-Shepherd's per-step MC), then derives the
    same labels; it costs more but has the least latency per rollout.

``score``: the MC value, the fraction of the prefix's completions that reach the reference
answer (Math-Shepherd's soft label), read as the probability that the step is correct; 1.0 or
0.0 for the last step, judged by the final answer; null where the prefix was not estimated
(an engine error). The hard label comes from the estimator (and its confidence is in the
evidence), so a step can be labeled correct with a score below 0.5.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from steplabel.config import MCSection
from steplabel.engines.base import Engine, Generation, GenerationRequest
from steplabel.labelers.adaptive import NO_ANSWER, Cohorts, Decided, Policy, Tally, merge, sample_adaptively
from steplabel.labelers.base import LabelOutput, LabelTask, PerRolloutLabeler, first_error_of
from steplabel.labelers.context import observed_from_rows
from steplabel.labelers.estimate import PRIOR, Observed
from steplabel.problems.answers import answer_key, check_answer
from steplabel.problems.prompts import continuation_prompt
from steplabel.problems.steps import split_steps, stated_value
from steplabel.schemas import AFTER_ERROR, DEFAULT_SEPARATOR, UNSOLVED, StepLabel, new_id


TOP_P = 1.0  # completions sample the full distribution


def failure_evidence(failed: str) -> dict:
    return {"reason": failed[len(NO_ANSWER):]} if failed.startswith(NO_ANSWER) else {"error": failed}


@dataclass
class PrefixEstimate:
    correct: int
    total: int
    unparsable: int
    prompt_tokens: int
    generated_tokens: int
    failed: str | None = None
    token_prompt: bool = False
    wrong: Counter = field(default_factory=Counter)  # wrong answers (``answer_key``), counted
    next: Counter = field(default_factory=Counter)  # values the completions' first steps state

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class Sampled:
    """k completions from one prefix, each checked against the reference answer."""

    generation: Generation
    answers: list[str | None]
    correct: list[bool]


    def wrong_answers(self) -> Counter:
        """The wrong final answers (under ``answer_key``) and how many completions reached each."""
        return Counter(answer_key(a) for a, ok in zip(self.answers, self.correct) if a is not None and not ok)

    def next_values(self, separator: str = DEFAULT_SEPARATOR) -> Counter:
        """The value each completion's first step states (``stated_value``), counted: what the
        policy writes next from this prefix."""
        firsts = (split_steps(c.text, separator)[:1] for c in self.generation.completions)
        return Counter(v for first in firsts if first for v in [stated_value(first[0].text)] if v is not None)


async def sample_from_prefix(engine: Engine, prompt: str | None, reference: str, k: int, max_tokens: int,
                             temperature: float, top_p: float, seed: int,
                             prompt_token_ids: tuple[int, ...] | None = None) -> Sampled:
    request = GenerationRequest(prompt=None if prompt_token_ids is not None else prompt,
                                prompt_token_ids=prompt_token_ids, n=k, max_tokens=max_tokens,
                                temperature=temperature, top_p=top_p, seed=seed)
    generation = await engine.generate(request)
    checked = [check_answer(reference, c.text) for c in generation.completions]
    return Sampled(generation, [a for a, _ in checked], [ok for _, ok in checked])


class MCLabeler(PerRolloutLabeler):
    name = "mc"

    @classmethod
    def from_config(cls, section: MCSection, config, engine: Engine) -> "MCLabeler":
        return cls(engine, section, seed=config.run.seed, step_separator=config.problems.step_separator)

    def __init__(self, engine: Engine, config: MCSection | None = None, seed: int = 0,
                 step_separator: str = DEFAULT_SEPARATOR) -> None:
        self.engine = engine
        self.config = config or MCSection()
        self.seed = seed
        self.step_separator = step_separator  # how completions are cut into steps, like the solutions
        self._separator: tuple[int, ...] | None = None
        self._cohorts = Cohorts(self._decide)
        self.params = PRIOR  # the last cohort's fit: the next cohort starts from it
        self.context: list[Observed] = []  # a rerun's kept rollouts: fitted, not labeled

    def use_context(self, tasks: Sequence[LabelTask], rows: Sequence[StepLabel]) -> None:
        """A rerun's rollouts that keep their labels join every fit with their stored counts."""
        self.context = observed_from_rows(tasks, rows, grouped=True)

    async def estimate(self, task: LabelTask, step_index: int, k: int | None = None,
                       seed: int | None = None) -> PrefixEstimate:
        """MC value of the prefix ending with ``step_index`` (-1: the question alone)."""
        cfg = self.config
        prompt = task.prompt if step_index < 0 else \
            continuation_prompt(task.prompt, task.text, task.step_ends[step_index])
        ids = self.token_prefix(task, step_index)
        sampled = await sample_from_prefix(self.engine, prompt, task.reference_answer, k or cfg.k,
                                           cfg.max_tokens, cfg.temperature, TOP_P,
                                           self.seed if seed is None else seed, ids)
        generation = sampled.generation
        # A completion with no final answer (truncated, unparsable) says nothing about the prefix:
        # it is left out of the count, not counted as a failure. A reply with no completion, or
        # none with an answer, leaves the prefix unestimated (an abstention a rerun retries),
        # never a first error.
        unparsable = sum(a is None for a in sampled.answers)
        total = len(generation.completions) - unparsable
        failed = generation.error
        if failed is None and not generation.completions:
            failed = "no completions came back"
        elif failed is None and total == 0:
            failed = f"{NO_ANSWER}none of {unparsable} completions had a final answer"
        return PrefixEstimate(
            wrong=sampled.wrong_answers(),
            next=sampled.next_values(self.step_separator),
            correct=sum(sampled.correct),
            total=total,
            unparsable=unparsable,
            prompt_tokens=generation.prompt_tokens,
            generated_tokens=generation.generated_tokens,
            failed=failed,
            token_prompt=ids is not None,
        )

    def token_prefix(self, task: LabelTask, step_index: int) -> tuple[int, ...] | None:
        """prompt ids + the generation's own ids up to the step's end + the separator's ids:
        the exact tokens the model produced, so a prefix cache sees one shared prefix."""
        if not (self.config.token_prompts and task.step_token_ends and getattr(self.engine, "token_prompts", False)):
            return None
        if step_index < 0:
            return task.prompt_token_ids
        end = task.step_token_ends[step_index]
        if end is None or task.prompt_token_ids is None:
            return None
        if self._separator is None:
            self._separator = tuple(self.engine.encode("\n\n"))
        return task.prompt_token_ids + task.token_ids[:end] + self._separator

    # ------------------------------------------------------------------ noise-aware

    async def label_problem(self, tasks: Sequence[LabelTask]) -> LabelOutput:
        if self.config.estimator == "any":
            return await super().label_problem(tasks)
        out = LabelOutput()
        for d in await self._cohorts.decide(tasks):
            out.labels.extend(self.noise_aware_labels(d))
        return out

    async def _draw(self, task: LabelTask, step_index: int, n: int, rnd: int) -> Tally:
        # Each round draws fresh completions: a seed of its own.
        est = await self.estimate(task, step_index, n, seed=self.seed + 7919 * rnd)
        return Tally(est.correct, est.total, est.unparsable, est.prompt_tokens, est.generated_tokens, 1,
                     est.token_prompt, est.failed, Counter(est.wrong), Counter(est.next))

    async def _decide(self, tasks: list[LabelTask]) -> list[Decided]:
        cfg = self.config
        policy = Policy(k=cfg.k, initial=cfg.initial, round_size=cfg.round_size, width=cfg.width,
                        confidence=cfg.confidence, per_step_budget=cfg.per_step_budget)
        decided, self.params = await sample_adaptively(tasks, self._draw, policy, self.params, self.context)
        return decided

    def noise_aware_labels(self, d: Decided) -> list[StepLabel]:
        """Labels from the posterior: correct before the most probable first error, incorrect
        at it, ``after_error`` beyond; each with the posterior probability that it is right
        (``confidence``) and that of the first error. After an engine failure the solution was
        left out of the fit: every step ``abstained`` (a rerun redoes it)."""
        task, n, post, failed = d.task, d.task.num_steps, d.posterior, d.failed_at
        echo, echo_trials = d.echoes()
        rows = []
        for i in range(n):
            tally = d.tallies[i] if i < n - 1 else None
            evidence: dict = {"estimator": "noise_aware"}
            if i < len(echo_trials) and echo_trials[i]:  # completions before step i stating its value
                evidence.update(echo=echo[i], echo_trials=echo_trials[i])
            if tally is not None and tally.total:
                evidence.update(correct=tally.correct, total=tally.total, unparsable=tally.unparsable)
                if tally.wrong is not None:
                    evidence["agree"] = tally.agree
                    if d.answer is not None:  # completions that reached the solution's own wrong answer
                        evidence["own_answer"] = tally.wrong.get(d.answer, 0)
                # The prefix's state, which other solutions of the problem may share: a rerun's
                # context counts it once.
                evidence["node"] = new_id(task.problem_id, task.text[: task.step_ends[i]])
                if tally.token_prompt:
                    evidence["token_prompt"] = True
            score = tally.value if tally is not None and tally.total else None
            if failed is not None:
                label, status = None, "abstained"
                evidence.update(failure_evidence(d.tallies[failed].failed))
            elif d.unsolved is not None:
                label, status = None, "abstained"
                evidence.update(reason=UNSOLVED + d.unsolved, root_correct=d.root.correct, root_total=d.root.total)
            elif post.first_error != -1 and i > post.first_error:
                label, status = None, AFTER_ERROR
            else:
                label, status = (post.first_error == -1 or i < post.first_error), "labeled"
                evidence["confidence"] = round(post.label_confidence(i), 6)
                evidence["first_error_confidence"] = round(post.confidence, 6)
                evidence["p_correct"] = round(post.step_correct[i], 6)
                if i == n - 1:
                    evidence["judged_by"] = "final_answer"
                    score = float(task.correct)
            # A prefix shared with an earlier solution: its evidence, not its cost.
            rows.append((label, score, status, evidence, tally if tally is None or d.owns(i) else Tally()))
        first_error = post.first_error if d.live else None
        if d.root_paid and rows:  # the root check's completions are paid for on step 0
            label, score, status, evidence, tally = rows[0]
            paid = Tally()
            for part in (tally, d.root):
                if part is not None:
                    merge(paid, part)
            rows[0] = (label, score, status, evidence, paid)
        return [self._row(task, i, label, score, first_error, status, evidence, tally, tally.requests if tally else 0)
                for i, (label, score, status, evidence, tally) in enumerate(rows)]

    # ------------------------------------------------------------------ Math-Shepherd's rule

    async def label(self, task: LabelTask) -> list[StepLabel]:
        if self.config.estimator != "any":
            out = await self.label_problem([task])
            return out.labels
        n = task.num_steps
        estimates: list[PrefixEstimate | None] = [None] * n
        if self.config.strategy == "all":
            found = await asyncio.gather(*(self.estimate(task, i) for i in range(n - 1)))
            estimates[: n - 1] = found
        else:
            for i in range(n - 1):
                estimates[i] = await self.estimate(task, i)
                if estimates[i].failed or estimates[i].correct == 0:
                    break
        return self.to_labels(task, estimates)

    def to_labels(self, task: LabelTask, estimates: list[PrefixEstimate | None]) -> list[StepLabel]:
        """Labels in step order; after the first error, ``after_error``; after an engine
        failure, ``abstained`` (unknown, retried by a rerun)."""
        n = task.num_steps
        decided: list[tuple[bool | None, float | None, str, dict, PrefixEstimate | None]] = []
        stop: str | None = None  # the status of every step after a stop
        for i in range(n):
            est = estimates[i] if i < n - 1 else None
            if stop:
                # With strategy "all" the estimate exists and was paid for: keep it as evidence.
                evidence = {"correct": est.correct, "total": est.total} if est and not est.failed else {}
                decided.append((None, est.value if evidence else None, stop, evidence, est))
            elif i == n - 1:
                ok = bool(task.correct)
                decided.append((ok, float(ok), "labeled", {"judged_by": "final_answer"}, None))
            elif est is None or est.failed:
                decided.append((None, None, "abstained", failure_evidence(est.failed) if est else
                                {"error": "not estimated"}, est))
                stop = "abstained"
            else:
                evidence = {"correct": est.correct, "total": est.total, "unparsable": est.unparsable}
                if est.token_prompt:
                    evidence["token_prompt"] = True
                decided.append((est.correct > 0, est.value, "labeled", evidence, est))
                if est.correct == 0:
                    stop = AFTER_ERROR
        first_error = first_error_of([d[0] for d in decided])
        return [
            self._row(task, i, label, score, first_error, status, evidence, est, 1 if est else 0)
            for i, (label, score, status, evidence, est) in enumerate(decided)
        ]

    def _row(self, task, i, label, score, first_error, status, evidence, est, requests) -> StepLabel:
        return StepLabel(
            run_id=task.run_id,
            rollout_id=task.rollout_id,
            problem_id=task.problem_id,
            step_index=i,
            labeler=self.name,
            label=label,
            score=score,
            first_error=first_error,
            status=status,
            evidence=json.dumps(evidence),
            rollouts=est.total if est else 0,
            prompt_tokens=est.prompt_tokens if est else 0,
            generated_tokens=est.generated_tokens if est else 0,
            engine_requests=requests,
            engine=self.engine.name,
            model=self.engine.model,
        )
