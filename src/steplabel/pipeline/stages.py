"""The stages as plain functions over one batch of problems: load, generate, label.

The Prefect flow wraps these in tasks; ``run_direct`` calls them in a loop without Prefect
(tests and the overhead benchmark). Nothing here imports Prefect; storing is ``storage.batches``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Callable

from steplabel.config import Config
from steplabel.pipeline import given
from steplabel.engines.base import GenerationRequest
from steplabel.engines.batching import BatchingEngine
from steplabel.labelers.base import LabelOutput, LabelTask
from steplabel.problems import prompts
from steplabel.problems.answers import check_answer
from steplabel.problems.sources import ColumnMap, LoadResult, SourceSpec, load_problems
from steplabel.problems.steps import split_steps
from steplabel.problems.worlds import arith, truth_oracle
from steplabel.registry import labeler_entry, make_labeler
from steplabel.schemas import Generated, Labeled, Problem, QuarantineRecord, Rollout, Step, new_id
from steplabel.storage.batches import read_labels
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
    result = given.load_given(config) if config.problems.solutions else load_problems(source_spec(config))
    for record in (*result.problems, *result.quarantine):
        record.run_id = run_id
    return result


def batches(problems: list[Problem], size: int) -> list[list[Problem]]:
    return [problems[i : i + size] for i in range(0, len(problems), size)]


def policy_engine(config: Config) -> BatchingEngine | None:
    """The policy's engine for the generate stage, or None where the run never uses it (given
    solutions labeled only by labelers that sample nothing from the policy)."""
    from steplabel.registry import make_engine

    return make_engine(config.engine) if given.uses_policy_engine(config) else None


async def generate_stage(
    problems: list[Problem], engine: BatchingEngine | None, config: Config, run_id: str,
    progress: Progress | None = None,
) -> Generated:
    """Sample ``generate.samples`` rollouts per problem, all problems at once; given solutions
    are stored as they are, topped up with samples where the run asks for it."""
    g = config.generate
    sampling = {"n": g.samples, "max_tokens": g.max_tokens, "temperature": g.temperature,
                "top_p": g.top_p, "seed": config.run.seed}
    out = given.given_records(problems, run_id, engine.format_prompt if engine is not None else None)
    wanted = {p.problem_id: given.to_generate(p, config) for p in problems}
    sampled = [p for p in problems if wanted[p.problem_id] > 0]
    if progress and len(sampled) < len(problems):
        progress(len(problems) - len(sampled))
    if engine is None:
        return out

    async def one(problem: Problem):
        prompt = engine.format_prompt(prompts.solve_prompt(problem.question))
        request = GenerationRequest(prompt=prompt, n=wanted[problem.problem_id], max_tokens=g.max_tokens,
                                    temperature=g.temperature, top_p=g.top_p, seed=config.run.seed)
        generation = await engine.generate(request)
        if progress:
            progress(1)
        return problem, prompt, generation

    sampling_json = json.dumps(sampling, sort_keys=True)
    try:
        results = await asyncio.gather(*(one(p) for p in sampled))
    finally:
        await engine.aclose()
    for problem, prompt, generation in results:
        offset = len(getattr(problem, "solutions", ()))  # sample indexes after the given solutions
        prompt_ids = engine.encode(prompt) if engine.token_prompts else None
        if generation.error:
            out.quarantine.append(QuarantineRecord(
                problem.source, f"problem {problem.problem_id}",
                f"engine error: {generation.error}", problem.question, stage="generate", run_id=run_id))
            continue
        oracle = truth_oracle(problem.source, problem.question)
        for i, completion in enumerate(generation.completions, start=offset):
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
    """What labelers see: text only. Generated rollouts without steps or a final answer are
    skipped; a given solution is labeled whatever it states (``correct`` is then False)."""
    by_problem = {p.problem_id: p for p in problems}
    steps_of: dict[str, list[Step]] = {}
    for s in steps:
        steps_of.setdefault(s.rollout_id, []).append(s)
    tasks = []
    for r in rollouts:
        own = sorted(steps_of.get(r.rollout_id, []), key=lambda s: s.step_index)
        if (r.correct is None and r.origin != given.ORIGIN) or not own:
            continue
        p = by_problem[r.problem_id]
        tasks.append(LabelTask(
            run_id=r.run_id, rollout_id=r.rollout_id, problem_id=r.problem_id, question=p.question,
            reference_answer=p.reference_answer or "", prompt=r.prompt, text=r.text,
            step_ends=tuple(s.char_end for s in own), steps=tuple(s.text for s in own),
            correct=bool(r.correct), num_tokens=r.generated_tokens,
            prompt_token_ids=tuple(r.prompt_token_ids) if r.prompt_token_ids is not None else None,
            token_ids=tuple(r.token_ids) if r.token_ids is not None else None,
            step_token_ends=tuple(s.token_end for s in own) if r.token_ids is not None else None,
        ))
    return tasks


async def label_groups(labeler, tasks: list[LabelTask], progress: Progress | None = None,
                       per_problem: bool = False) -> list[LabelOutput]:
    """Every problem's rollouts labeled concurrently (one ``label_problem`` per problem); the
    batching engine merges their requests. Closes the labeler's engine. Progress counts the
    rollouts labeled, or with ``per_problem`` the problems (a tree search labels its own)."""
    groups: dict[str, list[LabelTask]] = {}
    for t in tasks:
        groups.setdefault(t.problem_id, []).append(t)

    async def one(group: list[LabelTask]):
        output = await labeler.label_problem(group)
        if progress:
            progress(1 if per_problem else len(group))
        return output

    try:
        return list(await asyncio.gather(*(one(g) for g in groups.values())))
    finally:
        if labeler.engine is not None:
            await labeler.engine.aclose()


async def label_stage(
    tasks: list[LabelTask], labeler_name: str, config: Config,
    progress: Progress | None = None, problems: list[Problem] | None = None,
    context: tuple[list[LabelTask], list[StepLabel]] | None = None,
) -> Labeled:
    """One labeler over a batch's rollouts, with the ground truth of sampled solutions filled in.
    ``context``: on a rerun, the batch's rollouts that keep their labels and those labels; a
    labeler that fits to a batch (``use_context``) fits them too."""
    labeler = make_labeler(labeler_name, config)
    if context is not None and hasattr(labeler, "use_context"):
        labeler.use_context(*context)
    results = await label_groups(labeler, tasks, progress, labeler_entry(labeler_name).retry == "problem")
    out = Labeled()
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
    out.cost = labeler.engine.meter.as_dict() if labeler.engine is not None else {}
    return out


def split_texts(text: str, config: Config) -> list[str]:
    return [s.text for s in split_steps(text, config.problems.step_separator)]


def stored_stage(store: Store, run_id: str, batch_index: int, labeler_name: str, config: Config) -> Labeled:
    """A labeler over its sources' stored labels of one batch (consensus: no engine, no model)."""
    labeler = make_labeler(labeler_name, config)
    sources = labeler.config.sources
    rows = [r for source in sources for r in read_labels(store, run_id, batch_index, source)]
    labels = labeler.label_stored(rows)
    retained = len({r.rollout_id for r in labels if r.status != "rejected"})
    return Labeled(labels=labels, counters={"rollouts": len({r.rollout_id for r in labels}), "retained": retained})
