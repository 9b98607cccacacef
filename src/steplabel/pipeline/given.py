"""Given solutions in the pipeline: loaded instead of problems, stored instead of generated.

A run with ``[problems] solutions`` loads the rows (``problems.solutions``), groups them by
problem and, in each batch's generate stage, stores them as rollouts with ``origin = 'given'``
(no engine), plus freshly sampled ones up to ``generate.samples`` where ``generate.top_up`` asks
for it. Labelers that judge completions against the reference answer (MC, OmegaPRM) skip the
solutions of a problem that has none; each such row is quarantined with that reason.
"""

from __future__ import annotations

import json

from steplabel.config import Config
from steplabel.problems import prompts
from steplabel.problems.answers import check_answer, extract_final_answer
from steplabel.problems.sources import ColumnMap, LoadResult
from steplabel.problems.solutions import GivenProblem, SolutionsSpec, load_solutions
from steplabel.registry import labeler_entry
from steplabel.schemas import Generated, Problem, QuarantineRecord, Rollout, Step, new_id

ORIGIN = "given"


def solutions_spec(config: Config) -> SolutionsSpec:
    p = config.problems
    return SolutionsSpec(p.solutions, ColumnMap(p.question_column, p.answer_column, p.id_column, p.answer_format),
                         p.solution_column, p.step_separator, p.limit, p.split, p.hf_config)


def answer_labelers(config: Config) -> list[str]:
    return [n for n in config.label.labelers if labeler_entry(n).needs_answer]


def load_given(config: Config) -> LoadResult:
    """The problems of the given solutions, and every row they could not use, with the reason."""
    loaded = load_solutions(solutions_spec(config))
    result = LoadResult(problems=loaded.problems(config.problems.solutions), quarantine=loaded.quarantine)
    needing = answer_labelers(config)
    if needing:
        for s in (s for p in result.problems for s in p.solutions if s.reference_answer is None):
            result.quarantine.append(QuarantineRecord(
                config.problems.solutions, s.location,
                f"not labeled by {', '.join(needing)}: {s.answer_issue} (they judge completions against it; "
                "labelers that need none still label it)", s.excerpt, stage="label"))
    return result


def is_given(problem: Problem) -> bool:
    return isinstance(problem, GivenProblem)


def to_generate(problem: Problem, config: Config) -> int:
    """Samples the policy draws for a problem: all of them, none for given solutions, or the
    rest up to ``samples`` with ``top_up`` (only where a reference answer can judge them)."""
    if not is_given(problem):
        return config.generate.samples
    if not config.generate.top_up or problem.reference_answer is None:
        return 0
    return max(config.generate.samples - len(problem.solutions), 0)


def rollouts_expected(problems: list[Problem], config: Config, labeler: str | None = None) -> int:
    """Rollouts a batch holds, or those ``labeler`` labels (one that needs the reference answer
    skips the problems that have none)."""
    skip = labeler is not None and labeler_entry(labeler).needs_answer
    return sum(len(p.solutions) + to_generate(p, config) if is_given(p) else config.generate.samples
               for p in problems if not (skip and is_given(p) and p.reference_answer is None))


def uses_policy_engine(config: Config) -> bool:
    """Whether the run needs the policy's engine: to generate, or for a labeler that samples from it."""
    return (not config.problems.solutions or config.generate.top_up
            or any(labeler_entry(n).engine == "policy" for n in config.label.labelers))


def given_records(problems: list[Problem], run_id: str, format_prompt=None) -> Generated:
    """The given solutions of a batch as rollouts and steps. The prompt is the solve prompt the
    policy would have seen (through its chat template where a policy engine is used), so MC
    continues a given prefix the way it continues a generated one."""
    out = Generated()
    for problem in problems:
        if not is_given(problem):
            continue
        prompt = prompts.solve_prompt(problem.question)
        prompt = format_prompt(prompt) if format_prompt else prompt
        for i, s in enumerate(problem.solutions):
            rollout_id = new_id(run_id, ORIGIN, s.solution_id)
            if s.reference_answer is None:
                answer, correct = extract_final_answer(s.text), None
            else:
                answer, correct = check_answer(s.reference_answer, s.text)
            out.rollouts.append(Rollout(
                rollout_id=rollout_id, problem_id=problem.problem_id, run_id=run_id, sample_index=i,
                engine=ORIGIN, model=s.model, sampling=json.dumps({"id": s.solution_id, "location": s.location}),
                prompt=prompt, text=s.text, final_answer=answer, correct=correct, num_steps=len(s.steps),
                prompt_tokens=0, generated_tokens=0, finish_reason=ORIGIN,
                truth_first_error=s.human_first_error, origin=ORIGIN,
            ))
            for j, (text, (start, end)) in enumerate(zip(s.steps, s.spans)):
                out.steps.append(Step(rollout_id, problem.problem_id, run_id, j, text, start, end))
    return out
