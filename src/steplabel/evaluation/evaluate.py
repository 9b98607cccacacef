"""Score a labeler's first-error predictions (ProcessBench's metric).

Records are ProcessBench-style: ``problem``, ``steps`` (list of str), ``label`` (index of the
first wrong step, -1 if none), plus a reference answer (``answer`` / ``reference_answer``)
that Monte Carlo labelers need to judge completions. ``synthetic:arith`` and
``synthetic:logic`` build records from the sandbox: the simulated policy's solutions and the
world's ground truth.

Metric: accuracy on erroneous records (predicted first error == label), accuracy on correct
records (predicted -1), and their harmonic mean F1. A record the labeler could not decide
counts as wrong.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from steplabel.engines.accounting import CostMeter
from steplabel.engines.base import GenerationRequest
from steplabel.config import Config
from steplabel.labelers.base import LabelOutput, LabelTask
from steplabel.pipeline.stages import label_groups
from steplabel.problems import prompts
from steplabel.problems.answers import check_answer
from steplabel.problems.sources import SourceError, SourceSpec, load_problems
from steplabel.problems.steps import split_steps
from steplabel.problems.worlds import arith, truth_oracle
from steplabel.registry import labeler_entry, make_engine, make_labeler
from steplabel.schemas import new_id


@dataclass
class EvalRecord:
    record_id: str
    problem: str
    steps: list[str]
    label: int
    reference_answer: str | None = None


@dataclass
class EvalResult:
    labeler: str
    metrics: dict
    cost: dict
    predictions: dict[str, int | None] = field(default_factory=dict)
    outputs: list[LabelOutput] = field(default_factory=list)


def first_error_metrics(pairs: list[tuple[int | None, int]]) -> dict:
    erroneous = [(p, t) for p, t in pairs if t >= 0]
    correct = [(p, t) for p, t in pairs if t < 0]
    acc_err = sum(p == t for p, t in erroneous) / len(erroneous) if erroneous else 0.0
    acc_cor = sum(p == -1 for p, _ in correct) / len(correct) if correct else 0.0
    f1 = 2 * acc_err * acc_cor / (acc_err + acc_cor) if acc_err + acc_cor else 0.0
    return {
        "records": len(pairs), "erroneous": len(erroneous), "correct": len(correct),
        "acc_erroneous": round(acc_err, 4), "acc_correct": round(acc_cor, 4), "f1": round(f1, 4),
        "undetermined": sum(p is None for p, _ in pairs),
    }


# ------------------------------------------------------------------ records


def _record(row: object, where: str) -> EvalRecord:
    if not isinstance(row, dict):
        raise SourceError(f"{where}: expected an object, got {type(row).__name__}")
    problem, steps, label = row.get("problem"), row.get("steps"), row.get("label")
    if not isinstance(problem, str) or not problem.strip():
        raise SourceError(f"{where}: field 'problem' must be non-empty text")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
        raise SourceError(f"{where}: field 'steps' must be a non-empty list of non-empty strings")
    if isinstance(label, bool) or not isinstance(label, int) or not -1 <= label < len(steps):
        raise SourceError(f"{where}: field 'label' must be -1 or a step index below {len(steps)}")
    answer = row.get("reference_answer", row.get("answer"))
    rid = str(row.get("id", new_id(problem, json.dumps(steps))))
    return EvalRecord(rid, problem, [s.strip() for s in steps], label, None if answer is None else str(answer))


def load_records(path: str | Path) -> list[EvalRecord]:
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8", errors="strict")
    if text.lstrip().startswith("["):
        rows = json.loads(text)
        return [_record(r, f"{path}[{i}]") for i, r in enumerate(rows)]
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
            records.append(_record(row, f"{path}:{lineno}"))
    return records


def load_records_skipping(path: str | Path) -> tuple[list[EvalRecord], list[str]]:
    """Like ``load_records``, but a record that fails validation (or a line that is not JSON) is
    skipped and named in the second list, so one bad record does not abort a whole evaluation.
    A missing or unreadable file still raises."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}: invalid JSON ({exc.msg})") from exc
        except RecursionError:
            raise SourceError(f"{path}: invalid JSON (nested too deeply)") from None
        located = [(f"{path}[{i}]", r) for i, r in enumerate(rows)]
    else:
        located = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    located.append((f"{path}:{lineno}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    located.append((f"{path}:{lineno}", SourceError(f"{path}:{lineno}: invalid JSON ({exc.msg})")))
                except RecursionError:
                    located.append((f"{path}:{lineno}", SourceError(f"{path}:{lineno}: invalid JSON (nested too deeply)")))
    records, skipped = [], []
    for where, row in located:
        try:
            if isinstance(row, SourceError):
                raise row
            records.append(_record(row, where))
        except SourceError as exc:
            rid = row.get("id") if isinstance(row, dict) else None
            skipped.append(f"{exc}" + (f" (id {rid})" if rid is not None else ""))
    return records, skipped


def synthetic_records(config: Config, limit: int, samples: int = 4, world: str = "arith") -> list[EvalRecord]:
    """Solutions of the simulated policy to world problems, labeled by the world's oracle."""
    spec = SourceSpec(f"synthetic:{world}", limit=limit, seed=config.run.seed,
                      world=arith.WorldConfig(**config.problems.synthetic.model_dump()))
    problems = load_problems(spec).problems
    engine = make_engine(config.engine)

    async def go():
        try:
            return await engine.generate_many([
                GenerationRequest(prompt=prompts.solve_prompt(p.question), n=samples,
                                  temperature=config.generate.temperature, seed=config.run.seed)
                for p in problems
            ])
        finally:
            await engine.aclose()

    records = []
    for p, gen in zip(problems, asyncio.run(go())):
        oracle = truth_oracle(p.source, p.question)
        for i, c in enumerate(gen.completions):
            steps = [s.text for s in split_steps(c.text)]
            if steps and check_answer(p.reference_answer, c.text)[0] is not None:
                records.append(EvalRecord(f"{p.problem_id}/{i}", p.question, steps, oracle(steps), p.reference_answer))
    return records


# ------------------------------------------------------------------ running a labeler


def tasks_for(records: list[EvalRecord], need_answers: bool = True) -> list[LabelTask]:
    tasks = []
    for r in records:
        if r.reference_answer is None and need_answers:
            raise SourceError(f"record {r.record_id} has no reference answer ('answer' field): "
                              "Monte Carlo labelers judge completions against it")
        text = "\n\n".join(r.steps)
        ends, pos = [], 0
        for s in r.steps:
            pos = text.index(s, pos) + len(s)
            ends.append(pos)
        tasks.append(LabelTask(
            run_id="eval", rollout_id=r.record_id, problem_id=new_id(r.problem), question=r.problem,
            reference_answer=r.reference_answer or "", prompt=prompts.solve_prompt(r.problem), text=text,
            step_ends=tuple(ends), steps=tuple(r.steps),
            # Only labelers that judge completions need it; checking answers is slow on long text.
            correct=check_answer(r.reference_answer, text)[1] if r.reference_answer and need_answers else False,
        ))
    return tasks


def refutation_metrics(records: list[EvalRecord], labels) -> dict:
    """What a labeler's refutations (hard label False) are worth against the human first error.

    A refutation is *false* when the step is truly correct: the record has no error, or the step
    comes before the human's first error. It is *exact* when it is the human's first error, and
    *late* when it comes after it (ProcessBench labels only the first error, so a late step's
    truth is unknown; PRM data treats steps after an error as wrong, so it is not counted false).
    ``refutation_precision`` = 1 - false / refutations; ``refutation_precision_exact`` = exact /
    refutations. ``correct_not_refuted`` is the share of correct records with no refutation.
    """
    truth = {r.record_id: r.label for r in records}
    refutations = false = exact = 0
    refuted_correct: set[str] = set()
    for row in labels:
        t = truth.get(row.rollout_id, "absent")
        if t == "absent" or row.label is not False:
            continue
        refutations += 1
        if t == -1 or row.step_index < t:
            false += 1
            if t == -1:
                refuted_correct.add(row.rollout_id)
        elif row.step_index == t:
            exact += 1
    n_correct = sum(r.label == -1 for r in records)
    return {
        "refutations": refutations, "false_refutations": false, "exact_refutations": exact,
        "late_refutations": refutations - false - exact,
        "refutation_precision": round(1 - false / refutations, 4) if refutations else None,
        "refutation_precision_exact": round(exact / refutations, 4) if refutations else None,
        "correct_not_refuted": round(1 - len(refuted_correct) / n_correct, 4) if n_correct else None,
    }


def write_predictions(path: str | Path, records: list[EvalRecord], predicted: dict[str, int | None]) -> None:
    """One JSON line per record: ``{"id": ..., "first_error": int | null}`` (null: undetermined)."""
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"id": r.record_id, "first_error": predicted.get(r.record_id)}) + "\n")


def step_precision(records: list[EvalRecord], labels) -> float | None:
    """Share of hard step labels that match the truth (steps after a true error excluded)."""
    truth = {r.record_id: r.label for r in records}
    right = total = 0
    for row in labels:
        t = truth.get(row.rollout_id)
        if t is None or row.label is None or (t >= 0 and row.step_index > t):
            continue
        total += 1
        right += row.label == (t == -1 or row.step_index < t)
    return round(right / total, 4) if total else None


async def evaluate_async(records: list[EvalRecord], labeler_name: str, config: Config) -> EvalResult:
    if labeler_entry(labeler_name).reads_stored:
        return await _evaluate_stored(records, labeler_name, config)
    labeler = make_labeler(labeler_name, config)
    engine = labeler.engine
    # Tool verification reads only the text; the others judge completions against an answer.
    outputs = await label_groups(labeler, tasks_for(records, need_answers=labeler_name != "verify"))
    predicted: dict[str, int | None] = {}
    wanted = {r.record_id for r in records}
    for out in outputs:
        for row in out.labels:
            if row.rollout_id in wanted:
                predicted[row.rollout_id] = row.first_error
    metrics = first_error_metrics([(predicted.get(r.record_id), r.label) for r in records])
    metrics["step_precision"] = step_precision(records, (row for out in outputs for row in out.labels))
    metrics.update(refutation_metrics(records, (row for out in outputs for row in out.labels)))
    meter = engine.meter if engine is not None else CostMeter()
    n = max(len(records), 1)
    cost = {
        **meter.as_dict(),
        "rollouts_per_record": round(meter.completions / n, 2),
        "generated_tokens_per_record": round(meter.generated_tokens / n, 1),
    }
    return EvalResult(labeler_name, metrics, cost, predicted, list(outputs))


def evaluate(records: list[EvalRecord], labeler_name: str, config: Config) -> EvalResult:
    return asyncio.run(evaluate_async(records, labeler_name, config))


async def _evaluate_stored(records: list[EvalRecord], labeler_name: str, config: Config) -> EvalResult:
    """Each source scored as usual, then their consensus: F1 over the records it retains."""
    from steplabel.labelers.consensus import REJECTED

    labeler = make_labeler(labeler_name, config)
    sources = [await evaluate_async(records, name, config) for name in labeler.config.sources]
    rows = [row for result in sources for out in result.outputs for row in out.labels]
    labels = labeler.label_stored(rows)
    predicted = {row.rollout_id: row.first_error for row in labels if row.status != REJECTED}
    kept = [r for r in records if r.record_id in predicted]
    metrics = first_error_metrics([(predicted[r.record_id], r.label) for r in kept])
    metrics["retained"] = round(len(kept) / max(len(records), 1), 4)
    metrics["step_precision"] = step_precision(records, labels)
    metrics.update(refutation_metrics(records, labels))
    cost: dict = {}
    for result in sources:
        for key, value in result.cost.items():
            if isinstance(value, (int, float)) and "mean" not in key and "max" not in key:
                cost[key] = round(cost.get(key, 0) + value, 2)
    return EvalResult(labeler_name, metrics, cost, predicted, [LabelOutput(labels=labels)])
