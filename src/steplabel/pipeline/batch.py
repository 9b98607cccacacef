"""One batch through every stage, and the two ways of running stages and batches.

``Stages`` says how a stage runs (a plain call, or a Prefect task); ``Batches`` says where the
batches run (one after another here, or on a Dask/Ray cluster). ``process_batch`` is the
control loop both share: generate unless stored, then each labeler unless stored, retrying
only what failed (the retry unit of each labeler comes from the registry). A stage in which too many
engine requests failed stops the run once its shards are stored (``pipeline.health``).
"""

from __future__ import annotations

from typing import Protocol

from steplabel.config import Config
from steplabel.labelers.base import LabelTask
from steplabel.pipeline import given, retry, stages
from steplabel.pipeline.cost import add_cost, merge_cost
from steplabel.pipeline.health import check_failures
from steplabel.pipeline.progress import ProgressBars
from steplabel.registry import labeler_entry
from steplabel.schemas import Generated, Labeled, Problem, StepLabel
from steplabel.storage import batches as shards
from steplabel.storage.shards import Store


class Stages(Protocol):
    """How each stage of a batch runs."""

    store: Store

    async def generate(self, batch_index: int, problems: list[Problem], config: Config, run_id: str,
                       bars: ProgressBars) -> Generated: ...

    async def label(self, batch_index: int, tasks: list[LabelTask], labeler: str, config: Config,
                    run_id: str, bars: ProgressBars, problems: list[Problem],
                    context: tuple[list[LabelTask], list[StepLabel]] | None = None) -> Labeled: ...

    def store_generated(self, run_id: str, batch_index: int, problems: list[Problem], gen: Generated) -> None: ...

    def store_labels(self, run_id: str, batch_index: int, labeler: str, labeled: Labeled) -> None: ...

    async def report(self, fraction: float, message: str) -> None: ...


class Batches(Protocol):
    """Where the batches run."""

    async def run_batches(self, chunks: list[list[Problem]], config: Config, run_id: str, bars: ProgressBars,
                          log, cost: dict) -> None: ...


async def process_batch(b: int, problems: list[Problem], config: Config, run_id: str, runner: Stages,
                        bars: ProgressBars, log=print, step_done=None, cost: dict | None = None) -> dict:
    """Generate and label one batch, skipping what its shards show is done and retrying only what
    failed. Returns the batch's cost, added as it goes to ``cost`` when given (so a run that fails
    half-way still records what it spent). ``step_done(message)`` is awaited after each stage."""
    store = runner.store
    cost = {} if cost is None else cost
    share = config.run.max_failed_share
    changed = False  # did this batch change on this run (labelers over stored labels must follow)
    counted = bars.counted("generate")
    if shards.is_generated(store, run_id, b):
        gen = shards.read_generated(store, run_id, b)
        missing = retry.failed_problems(problems, gen)
        if missing:
            log(f"batch {b}: generating again for {len(missing)} problems whose engine calls failed")
            new = await runner.generate(b, missing, config, run_id, bars)
            gen = retry.merge_generated(problems, gen, new, missing)
            runner.store_generated(run_id, b, problems, gen)
            add_cost(cost.setdefault("generate", {}), new.cost)
            changed = True
            check_failures(f"batch {b}, generate", new.cost, share)
        else:
            log(f"batch {b}: rollouts already stored, resuming")
    else:
        gen = await runner.generate(b, problems, config, run_id, bars)
        runner.store_generated(run_id, b, problems, gen)
        add_cost(cost.setdefault("generate", {}), gen.cost)
        changed = True
        check_failures(f"batch {b}, generate", gen.cost, share)
    bars.finish("generate", counted, len(problems))
    if step_done:
        await step_done(f"batch {b} generated")
    all_tasks = stages.label_tasks(problems, gen.rollouts, gen.steps)
    for name in config.label.labelers:
        key = f"label:{name}"
        unit = labeler_entry(name).retry
        # Given solutions with no reference answer are not for a labeler that needs one.
        tasks = [t for t in all_tasks if t.reference_answer] if labeler_entry(name).needs_answer else all_tasks
        counted = bars.counted(key)
        labeled = None
        if not shards.is_labeled(store, run_id, b, name):
            labeled = await runner.label(b, tasks, name, config, run_id, bars, problems)
        elif unit == "batch":
            if changed:
                labeled = await runner.label(b, tasks, name, config, run_id, bars, problems)
        elif unit == "problem":
            before = shards.read_labeled(store, run_id, b, name)
            redo = retry.problems_to_relabel(tasks, before.labels)
            if redo:
                log(f"batch {b}: {name} searches {len(redo)} problems again (incomplete or new)")
                kept = retry.kept_context(tasks, before.labels, redo, "problem_id")
                part = await runner.label(b, [t for t in tasks if t.problem_id in redo], name, config,
                                          run_id, bars, problems, kept)
                labeled = retry.merge_by_problem(problems, before, part, redo)
        else:
            existing = shards.read_labels(store, run_id, b, name)
            redo = retry.to_relabel(tasks, existing)
            if redo:
                log(f"batch {b}: {name} labels {len(redo)} rollouts again (failed or new)")
                kept = retry.kept_context(tasks, existing, redo, "rollout_id")
                part = await runner.label(b, [t for t in tasks if t.rollout_id in redo], name, config,
                                          run_id, bars, problems, kept)
                part.labels = retry.merge_labels(tasks, existing, part.labels, redo)
                labeled = part
        if labeled is not None:
            runner.store_labels(run_id, b, name, labeled)
            merge_cost(cost, {key: labeled.cost, f"{key}:counters": labeled.counters})
            changed = True
            check_failures(f"batch {b}, label ({name})", labeled.cost, share)
        # The bar counts what the labeler labels (problems for a tree search, else rollouts), and
        # a batch done, resumed or skipped ends at its share of the total.
        bars.finish(key, counted, len(problems) if unit == "problem" else given.rollouts_expected(problems, config, name))
        if step_done:
            await step_done(f"batch {b} labeled by {name}")
    return cost


class SequentialBatches:
    """Batches one after another in this process; an engine's own batching gives the parallelism."""

    async def run_batches(self, chunks, config, run_id, bars, log, cost: dict) -> None:
        steps_total = len(chunks) * (1 + len(config.label.labelers))
        done = 0

        async def step_done(message: str) -> None:
            nonlocal done
            done += 1
            await self.report(done / steps_total, message)

        for b, problems in enumerate(chunks):
            await process_batch(b, problems, config, run_id, self, bars, log, step_done, cost)


class DirectStages(SequentialBatches):
    """Each stage a plain function call: the pipeline without Prefect."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def generate(self, batch_index, problems, config, run_id, bars):
        return await stages.generate_stage(problems, stages.policy_engine(config), config, run_id,
                                           bars.callback("generate"))

    async def label(self, batch_index, tasks, labeler, config, run_id, bars, problems, context=None):
        if labeler_entry(labeler).reads_stored:
            return stages.stored_stage(self.store, run_id, batch_index, labeler, config)
        return await stages.label_stage(tasks, labeler, config, bars.callback(f"label:{labeler}"), problems,
                                        context)

    def store_generated(self, run_id, batch_index, problems, gen):
        shards.store_generated(self.store, run_id, batch_index, problems, gen)

    def store_labels(self, run_id, batch_index, labeler, labeled):
        shards.store_labels(self.store, run_id, batch_index, labeler, labeled)

    async def report(self, fraction, message):
        pass
