"""Math-Shepherd Monte Carlo estimation.

From each step prefix, k completions are sampled; a prefix is correct (hard label) if any
completion reaches the reference answer, and its soft label is the fraction that do. The
last step needs no rollouts: the full solution is judged by its own final answer.

Two strategies:
- ``scan`` (default) estimates prefixes in order and stops at the first one that never
  succeeds; later steps are marked ``after_error`` and cost nothing.
- ``all`` estimates every prefix at once (Math-Shepherd's per-step MC), then derives the same
  labels; it costs more but has the least latency per rollout.

``score``: the MC value, the fraction of the prefix's completions that reach the reference
answer (Math-Shepherd's soft label), read as the probability that the step is correct; 1.0 or
0.0 for the last step, judged by the final answer; null where the prefix was not estimated
(an engine error). The hard label uses the "any completion" rule, so a step can be labeled
correct with a score below 0.5.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from steplabel.config import MCSection
from steplabel.engines.base import Engine, Generation, GenerationRequest
from steplabel.labelers.base import LabelTask, PerRolloutLabeler, first_error_of
from steplabel.problems.answers import check_answer
from steplabel.problems.prompts import continuation_prompt
from steplabel.schemas import AFTER_ERROR, StepLabel


TOP_P = 1.0  # completions sample the full distribution


@dataclass
class PrefixEstimate:
    correct: int
    total: int
    unparsable: int
    prompt_tokens: int
    generated_tokens: int
    failed: str | None = None
    token_prompt: bool = False

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class Sampled:
    """k completions from one prefix, each checked against the reference answer."""

    generation: Generation
    answers: list[str | None]
    correct: list[bool]


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
        return cls(engine, section, seed=config.run.seed)

    def __init__(self, engine: Engine, config: MCSection | None = None, seed: int = 0) -> None:
        self.engine = engine
        self.config = config or MCSection()
        self.seed = seed
        self._separator: tuple[int, ...] | None = None

    async def estimate(self, task: LabelTask, step_index: int, k: int | None = None) -> PrefixEstimate:
        """MC value of the prefix ending with ``step_index``."""
        cfg = self.config
        prompt = continuation_prompt(task.prompt, task.text, task.step_ends[step_index])
        ids = self.token_prefix(task, step_index)
        sampled = await sample_from_prefix(self.engine, prompt, task.reference_answer, k or cfg.k,
                                           cfg.max_tokens, cfg.temperature, TOP_P, self.seed, ids)
        generation = sampled.generation
        return PrefixEstimate(
            correct=sum(sampled.correct),
            total=len(generation.completions),
            unparsable=sum(a is None for a in sampled.answers),
            prompt_tokens=generation.prompt_tokens,
            generated_tokens=generation.generated_tokens,
            failed=generation.error,
            token_prompt=ids is not None,
        )

    def token_prefix(self, task: LabelTask, step_index: int) -> tuple[int, ...] | None:
        """prompt ids + the generation's own ids up to the step's end + the separator's ids:
        the exact tokens the model produced, so a prefix cache sees one shared prefix."""
        if not (self.config.token_prompts and task.step_token_ends and getattr(self.engine, "token_prompts", False)):
            return None
        end = task.step_token_ends[step_index]
        if end is None or task.prompt_token_ids is None:
            return None
        if self._separator is None:
            self._separator = tuple(self.engine.encode("\n\n"))
        return task.prompt_token_ids + task.token_ids[:end] + self._separator

    async def label(self, task: LabelTask) -> list[StepLabel]:
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
                decided.append((None, None, "abstained", {"error": est.failed if est else "not estimated"}, est))
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
            self._row(task, i, label, score, first_error, status, evidence, est)
            for i, (label, score, status, evidence, est) in enumerate(decided)
        ]

    def _row(self, task, i, label, score, first_error, status, evidence, est) -> StepLabel:
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
            engine_requests=1 if est else 0,
            engine=self.engine.name,
            model=self.engine.model,
        )
