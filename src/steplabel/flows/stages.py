"""The three stages as plain functions over one batch of problems, resume-aware.

The Prefect flow wraps these in tasks; ``run_direct`` calls them in a loop without Prefect
(tests and the overhead benchmark). Nothing here imports Prefect.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Callable

from steplabel.engines.base import GenerationRequest
from steplabel.engines.batching import BatchingEngine
from steplabel.flows.config import Config
from steplabel.flows.engines import make_labeler
from steplabel.labelers.consensus import ConsensusConfig, consensus_labels
from steplabel.labelers.base import LabelTask
from steplabel.problems import prompts
from steplabel.problems.answers import check_answer
from steplabel.problems.sources import ColumnMap, LoadResult, SourceSpec, load_problems
from steplabel.problems.steps import split_steps
from steplabel.problems.worlds import arith, truth_oracle
from steplabel.schemas import Problem, QuarantineRecord, Rollout, Step, StepLabel, new_id
from steplabel.storage.shards import Store

Progress = Callable[[int], None]


def source_spec(config: Config) -> SourceSpec:
    p = config.problems
    return SourceSpec(
        source=p.source,
        limit=p.limit,
        split=p.split,
        hf_config=p.hf_config,
        columns=ColumnMap(p.question_column, p.answer_column, p.id_column, p.answer_format),
        world=arith.WorldConfig(**p.synthetic.model_dump()),
        seed=config.run.seed,
    )


def load_stage(config: Config, run_id: str) -> LoadResult:
    result = load_problems(source_spec(config))
    for record in (*result.problems, *result.quarantine):
        record.run_id = run_id
    return result


def batches(problems: list[Problem], size: int) -> list[list[Problem]]:
    return [problems[i : i + size] for i in range(0, len(problems), size)]


@dataclass
class Generated:
    rollouts: list[Rollout] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    cost: dict = field(default_factory=dict)


async def generate_stage(
    problems: list[Problem], engine: BatchingEngine, config: Config, run_id: str,
    progress: Progress | None = None,
) -> Generated:
    """Sample ``generate.samples`` rollouts per problem, all problems at once."""
    g = config.generate
    sampling = {"n": g.samples, "max_tokens": g.max_tokens, "temperature": g.temperature,
                "top_p": g.top_p, "seed": config.run.seed}

    async def one(problem: Problem):
        prompt = engine.format_prompt(prompts.solve_prompt(problem.question))
        request = GenerationRequest(prompt=prompt, n=g.samples, max_tokens=g.max_tokens,
                                    temperature=g.temperature, top_p=g.top_p, seed=config.run.seed)
        generation = await engine.generate(request)
        if progress:
            progress(1)
        return problem, prompt, generation

    out = Generated()
    sampling_json = json.dumps(sampling, sort_keys=True)
    try:
        results = await asyncio.gather(*(one(p) for p in problems))
    finally:
        await engine.aclose()
    for problem, prompt, generation in results:
        prompt_ids = engine.encode(prompt) if engine.token_prompts else None
        if generation.error:
            out.quarantine.append(QuarantineRecord(
                problem.source, f"problem {problem.problem_id}",
                f"engine error: {generation.error}", problem.question, stage="generate", run_id=run_id))
            continue
        oracle = truth_oracle(problem.source, problem.question)
        for i, completion in enumerate(generation.completions):
            rollout_id = new_id(run_id, problem.problem_id, i)
            spans = split_steps(completion.text, config.problems.step_separator)
            answer, correct = check_answer(problem.reference_answer, completion.text)
            reason = None
            if not spans:
                reason = "generation has no steps"
            elif answer is None:
                reason = f"generation has no final answer (finish_reason={completion.finish_reason})"
            spans_tokens = step_token_spans(engine, completion, spans) if prompt_ids is not None else None
            out.rollouts.append(Rollout(
                rollout_id=rollout_id, problem_id=problem.problem_id, run_id=run_id,
                sample_index=i, engine=engine.name, model=engine.model, sampling=sampling_json,
                prompt=prompt, text=completion.text, final_answer=answer,
                correct=None if reason else correct, num_steps=len(spans),
                prompt_tokens=generation.prompt_tokens,
                generated_tokens=completion.num_tokens, finish_reason=completion.finish_reason,
                truth_first_error=oracle([s.text for s in spans]) if oracle and spans else None,
                prompt_token_ids=prompt_ids, token_ids=list(completion.token_ids) if prompt_ids is not None else None,
            ))
            for j, span in enumerate(spans):
                t0, t1 = spans_tokens[j] if spans_tokens else (None, None)
                out.steps.append(Step(rollout_id, problem.problem_id, run_id, j, span.text, span.start, span.end, t0, t1))
            if reason:
                out.quarantine.append(QuarantineRecord(
                    engine.name, f"rollout {rollout_id} (problem {problem.problem_id})", reason,
                    completion.text, stage="generate", run_id=run_id))
    out.cost = engine.meter.as_dict()
    return out


def step_token_spans(engine, completion, spans) -> list[tuple[int | None, int | None]] | None:
    """(first token, token after the last) of each step, where the step's end falls exactly on
    a token boundary; (None, None) where it does not (that step's prefix falls back to text)."""
    if not completion.token_ids:
        return None
    ends = engine.token_ends(completion.token_ids)
    if ends is None:
        return None
    at = {end: i + 1 for i, end in enumerate(ends)}
    starts = {0: 0, **at}
    return [(starts.get(s.start) if s.start in starts else None, at.get(s.end)) for s in spans]


def label_tasks(problems: list[Problem], rollouts: list[Rollout], steps: list[Step]) -> list[LabelTask]:
    """What labelers see: text only. Rollouts without steps or a final answer are skipped."""
    by_problem = {p.problem_id: p for p in problems}
    steps_of: dict[str, list[Step]] = {}
    for s in steps:
        steps_of.setdefault(s.rollout_id, []).append(s)
    tasks = []
    for r in rollouts:
        own = sorted(steps_of.get(r.rollout_id, []), key=lambda s: s.step_index)
        if r.correct is None or not own:
            continue
        p = by_problem[r.problem_id]
        tasks.append(LabelTask(
            run_id=r.run_id, rollout_id=r.rollout_id, problem_id=r.problem_id, question=p.question,
            reference_answer=p.reference_answer, prompt=r.prompt, text=r.text,
            step_ends=tuple(s.char_end for s in own), steps=tuple(s.text for s in own),
            correct=bool(r.correct), num_tokens=r.generated_tokens,
            prompt_token_ids=tuple(r.prompt_token_ids) if r.prompt_token_ids is not None else None,
            token_ids=tuple(r.token_ids) if r.token_ids is not None else None,
            step_token_ends=tuple(s.token_end for s in own) if r.token_ids is not None else None,
        ))
    return tasks


@dataclass
class Labeled:
    labels: list[StepLabel] = field(default_factory=list)
    rollouts: list[Rollout] = field(default_factory=list)  # solutions the labeler sampled
    steps: list[Step] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)
    counters: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)


async def label_stage(
    tasks: list[LabelTask], labeler_name: str, config: Config,
    progress: Progress | None = None, problems: list[Problem] | None = None,
) -> Labeled:
    """Label every problem's rollouts concurrently; the batching engine merges their requests."""
    labeler = make_labeler(labeler_name, config)
    engine = labeler.engine
    groups: dict[str, list[LabelTask]] = {}
    for t in tasks:
        groups.setdefault(t.problem_id, []).append(t)

    async def one(group: list[LabelTask]):
        output = await labeler.label_problem(group)
        if progress:
            progress(len(group))
        return output

    out = Labeled()
    try:
        results = await asyncio.gather(*(one(g) for g in groups.values()))
    finally:
        if engine is not None:
            await engine.aclose()
    sources = {p.problem_id: p for p in problems or []}
    for output in results:
        out.labels.extend(output.labels)
        out.steps.extend(output.steps)
        out.trees.extend(output.trees)
        for key, value in output.counters.items():
            out.counters[key] = out.counters.get(key, 0) + value
        for rollout in output.rollouts:
            # Ground truth for solutions the labeler sampled: filled here, after labeling.
            problem = sources.get(rollout.problem_id)
            oracle = truth_oracle(problem.source, problem.question) if problem else None
            if oracle:
                rollout.truth_first_error = oracle(split_texts(rollout.text, config))
            out.rollouts.append(rollout)
    out.cost = engine.meter.as_dict() if engine is not None else {}
    return out


def split_texts(text: str, config: Config) -> list[str]:
    return [s.text for s in split_steps(text, config.problems.step_separator)]


# ------------------------------------------------------------------ storage of one batch


def part_name(batch_index: int) -> str:
    return f"{batch_index:05d}"


def store_generated(store: Store, run_id: str, batch_index: int, problems: list[Problem], gen: Generated) -> None:
    """Rollouts go last: their shard marks the batch as generated."""
    part, where = part_name(batch_index), {"run_id": run_id}
    store.write("problems", where, part, problems)
    store.write("steps", where, part, gen.steps)
    store.write("quarantine", where, f"generate-{part}", gen.quarantine)
    store.write("rollouts", where, part, gen.rollouts)


def read_generated(store: Store, run_id: str, batch_index: int) -> Generated:
    part, where = part_name(batch_index), {"run_id": run_id}
    rollouts = [Rollout(**row) for row in store.read("rollouts", where, part).to_pylist()]
    steps = [Step(**row) for row in store.read("steps", where, part).to_pylist()]
    quarantine = []
    if store.has_shard("quarantine", where, f"generate-{part}"):
        quarantine = [QuarantineRecord(**row) for row in store.read("quarantine", where, f"generate-{part}").to_pylist()]
    return Generated(rollouts=rollouts, steps=steps, quarantine=quarantine)


def is_generated(store: Store, run_id: str, batch_index: int) -> bool:
    return store.has_shard("rollouts", {"run_id": run_id}, part_name(batch_index))


def is_labeled(store: Store, run_id: str, batch_index: int, labeler: str) -> bool:
    return store.has_shard("step_labels", {"run_id": run_id, "labeler": labeler}, part_name(batch_index))


def store_labels(store: Store, run_id: str, batch_index: int, labeler: str, labeled: Labeled) -> None:
    """Sampled solutions and trees first; the labels shard marks the batch as labeled."""
    part, where = part_name(batch_index), {"run_id": run_id}
    if labeled.rollouts:
        store.write("steps", where, f"{labeler}-{part}", labeled.steps)
        store.write("rollouts", where, f"{labeler}-{part}", labeled.rollouts)
    if labeled.trees:
        store.write("trees", {"run_id": run_id, "labeler": labeler}, part, labeled.trees)
    store.write("step_labels", {"run_id": run_id, "labeler": labeler}, part, labeled.labels)


def read_labels(store: Store, run_id: str, batch_index: int, labeler: str) -> list[StepLabel]:
    table = store.read("step_labels", {"run_id": run_id, "labeler": labeler}, part_name(batch_index))
    return [StepLabel(**row) for row in table.to_pylist()]


def read_labeled(store: Store, run_id: str, batch_index: int, labeler: str) -> Labeled:
    """Everything a labeler stored for a batch: labels, the solutions it sampled, its trees."""
    part, where = part_name(batch_index), {"run_id": run_id}
    out = Labeled(labels=read_labels(store, run_id, batch_index, labeler))
    if store.has_shard("rollouts", where, f"{labeler}-{part}"):
        out.rollouts = [Rollout(**row) for row in store.read("rollouts", where, f"{labeler}-{part}").to_pylist()]
        out.steps = [Step(**row) for row in store.read("steps", where, f"{labeler}-{part}").to_pylist()]
    if store.has_shard("trees", {"run_id": run_id, "labeler": labeler}, part):
        out.trees = store.read("trees", {"run_id": run_id, "labeler": labeler}, part).to_pylist()
    return out


def consensus_stage(store: Store, run_id: str, batch_index: int, config: Config) -> Labeled:
    """Consensus over the stored labels of its sources for one batch (no engine, no model)."""
    c = config.label.consensus
    cfg = ConsensusConfig(tuple(c.sources), c.policy, c.override, c.min_confidence)
    rows = [r for source in c.sources for r in read_labels(store, run_id, batch_index, source)]
    labels = consensus_labels(rows, cfg)
    retained = len({r.rollout_id for r in labels if r.status != "rejected"})
    return Labeled(labels=labels, counters={"rollouts": len({r.rollout_id for r in labels}), "retained": retained})


def store_load_quarantine(store: Store, run_id: str, quarantine: list[QuarantineRecord]) -> None:
    store.write("quarantine", {"run_id": run_id}, "load", quarantine)
