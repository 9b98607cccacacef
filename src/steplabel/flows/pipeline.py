"""The pipeline's control loop, shared by the Prefect flow and the direct (no Prefect) path.

For each batch of problems: generate (unless its rollouts shard exists), then each labeler
(unless its labels shard exists), storing as it goes. What runs each step is an ``Executor``:
``DirectExecutor`` calls the stage functions; the flow's executor calls Prefect tasks.
"""

from __future__ import annotations

import traceback
from typing import Protocol

from steplabel.flows import retry, stages
from steplabel.flows.config import Config
from steplabel.flows.engines import make_engine
from steplabel.flows.progress import ProgressBars
from steplabel.flows.summary import run_summary
from steplabel.labelers.base import LabelTask
from steplabel.schemas import Problem
from steplabel.storage.manifest import RunManifest, now, read_manifest, write_manifest
from steplabel.storage.shards import Store

_SUMMED = ("engine_calls", "requests", "completions", "prompt_tokens", "cached_prompt_tokens",
           "generated_tokens", "failed_requests")


def add_cost(total: dict, part: dict) -> None:
    for key in _SUMMED:
        total[key] = total.get(key, 0) + part.get(key, 0)
    total["max_batch_size"] = max(total.get("max_batch_size", 0), part.get("max_batch_size", 0))
    hist = total.setdefault("batch_size_histogram", {})
    for bucket, calls in part.get("batch_size_histogram", {}).items():
        hist[bucket] = hist.get(bucket, 0) + calls
    total["mean_batch_size"] = round(total["requests"] / total["engine_calls"], 2) if total["engine_calls"] else 0.0


class Executor(Protocol):
    async def generate(self, batch_index: int, problems: list[Problem], config: Config, run_id: str,
                       bars: ProgressBars) -> stages.Generated: ...

    async def label(self, batch_index: int, tasks: list[LabelTask], labeler: str, config: Config,
                    run_id: str, bars: ProgressBars, problems: list[Problem]) -> stages.Labeled: ...

    def store_generated(self, config: Config, run_id: str, batch_index: int, problems, gen) -> None: ...

    def store_labels(self, config: Config, run_id: str, batch_index: int, labeler: str, labeled) -> None: ...

    async def report(self, fraction: float, message: str) -> None: ...

    async def run_batches(self, chunks: list[list[Problem]], config: Config, run_id: str, bars: ProgressBars,
                          log, cost: dict) -> None: ...


def start_manifest(config: Config, run_id: str, flow_run_id: str | None = None) -> RunManifest:
    previous = read_manifest(config.run.store, run_id)
    manifest = RunManifest(run_id=run_id, name=config.run.name, config=config.model_dump(),
                           seed=config.run.seed, flow_run_id=flow_run_id)
    if previous:
        manifest.started_at = previous.started_at
        manifest.attempts = previous.attempts + 1
    write_manifest(config.run.store, manifest)
    return manifest


def merge_cost(total: dict, part: dict) -> None:
    """Add one batch's cost (``{stage: cost}`` and ``{stage:counters: {name: n}}``) to the run's."""
    for key, value in part.items():
        if key.endswith(":counters"):
            counters = total.setdefault(key, {})
            for k, v in value.items():
                counters[k] = counters.get(k, 0) + v
        else:
            add_cost(total.setdefault(key, {}), value)


async def process_batch(b: int, problems: list[Problem], config: Config, run_id: str, executor: Executor,
                        bars: ProgressBars, log=print, step_done=None, cost: dict | None = None) -> dict:
    """Generate and label one batch, skipping what its shards show is done and retrying only what
    failed. Returns the batch's cost, added as it goes to ``cost`` when given (so a run that fails
    half-way still records what it spent). ``step_done(message)`` is awaited after each stage."""
    store = Store(config.run.store)
    cost = {} if cost is None else cost
    changed = False  # did this batch change on this run (consensus must follow)
    if stages.is_generated(store, run_id, b):
        gen = stages.read_generated(store, run_id, b)
        bars.advance("generate", len(problems))
        missing = retry.failed_problems(problems, gen)
        if missing:
            log(f"batch {b}: generating again for {len(missing)} problems whose engine calls failed")
            new = await executor.generate(b, missing, config, run_id, bars)
            gen = retry.merge_generated(problems, gen, new, missing)
            executor.store_generated(config, run_id, b, problems, gen)
            add_cost(cost.setdefault("generate", {}), new.cost)
            changed = True
        else:
            log(f"batch {b}: rollouts already stored, resuming")
    else:
        gen = await executor.generate(b, problems, config, run_id, bars)
        executor.store_generated(config, run_id, b, problems, gen)
        add_cost(cost.setdefault("generate", {}), gen.cost)
        changed = True
    if step_done:
        await step_done(f"batch {b} generated")
    tasks = stages.label_tasks(problems, gen.rollouts, gen.steps)
    for name in config.label.labelers:
        key = f"label:{name}"
        skipped = len(problems) * config.generate.samples - len(tasks)
        labeled = None
        if not stages.is_labeled(store, run_id, b, name):
            labeled = await executor.label(b, tasks, name, config, run_id, bars, problems)
            bars.advance(key, skipped)
        elif name == "consensus" and changed:
            labeled = await executor.label(b, tasks, name, config, run_id, bars, problems)
        elif name in retry.PER_PROBLEM_LABELERS:
            before = stages.read_labeled(store, run_id, b, name)
            redo = retry.problems_to_relabel(tasks, before.labels)
            if redo:
                log(f"batch {b}: {name} searches {len(redo)} problems again (incomplete or new)")
                part = await executor.label(b, [t for t in tasks if t.problem_id in redo], name, config,
                                            run_id, bars, problems)
                labeled = retry.merge_by_problem(problems, before, part, redo)
        elif name in retry.RETRIABLE_LABELERS:
            existing = stages.read_labels(store, run_id, b, name)
            redo = retry.to_relabel(tasks, existing)
            if redo:
                log(f"batch {b}: {name} labels {len(redo)} rollouts again (failed or new)")
                part = await executor.label(b, [t for t in tasks if t.rollout_id in redo], name, config,
                                            run_id, bars, problems)
                part.labels = retry.merge_labels(tasks, existing, part.labels, redo)
                labeled = part
        if labeled is None:
            bars.advance(key, len(problems) * config.generate.samples)
        else:
            executor.store_labels(config, run_id, b, name, labeled)
            merge_cost(cost, {key: labeled.cost, f"{key}:counters": labeled.counters})
            changed = True
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


class DirectExecutor(SequentialBatches):
    async def generate(self, batch_index, problems, config, run_id, bars):
        return await stages.generate_stage(problems, make_engine(config.engine), config, run_id,
                                           bars.callback("generate"))

    async def label(self, batch_index, tasks, labeler, config, run_id, bars, problems):
        if labeler == "consensus":
            return stages.consensus_stage(Store(config.run.store), run_id, batch_index, config)
        return await stages.label_stage(tasks, labeler, config, bars.callback(f"label:{labeler}"), problems)

    def store_generated(self, config, run_id, batch_index, problems, gen):
        stages.store_generated(Store(config.run.store), run_id, batch_index, problems, gen)

    def store_labels(self, config, run_id, batch_index, labeler, labeled):
        stages.store_labels(Store(config.run.store), run_id, batch_index, labeler, labeled)

    async def report(self, fraction, message):
        pass


async def run_pipeline(config: Config, executor: Executor, progress: bool | None = None,
                       flow_run_id: str | None = None, log=print) -> dict:
    run_id = config.run_id()
    store = Store(config.run.store)
    manifest = start_manifest(config, run_id, flow_run_id)
    cost: dict[str, dict] = {}
    try:
        loaded = stages.load_stage(config, run_id)
        stages.store_load_quarantine(store, run_id, loaded.quarantine)
        log(f"run {run_id}: {len(loaded.problems)} problems, {len(loaded.quarantine)} quarantined at load")
        chunks = stages.batches(loaded.problems, config.run.batch_size)
        with ProgressBars(progress) as bars:
            bars.add("generate", "generate", len(loaded.problems))
            for name in config.label.labelers:
                bars.add(f"label:{name}", f"label ({name})", len(loaded.problems) * config.generate.samples)
            await executor.run_batches(chunks, config, run_id, bars, log, cost)
        summary = run_summary(config.run.store, run_id)
        manifest.status = "completed"
        manifest.counts = {k: summary[k] for k in ("problems", "rollouts", "steps", "quarantined")}
        manifest.counts["step_labels"] = {n: l["labeled_steps"] for n, l in summary["labelers"].items()}
        manifest.cost = cost
    except BaseException as exc:
        manifest.status = "failed"
        manifest.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
        manifest.cost = cost
        try:
            manifest.finished_at = now()
            write_manifest(config.run.store, manifest)
        except OSError:
            pass  # the store itself is failing: report the first error, not this one
        raise
    manifest.finished_at = now()
    write_manifest(config.run.store, manifest)
    return summary


async def run_direct(config: Config, progress: bool | None = False) -> dict:
    """The whole pipeline without Prefect (tests, benchmarks, debugging)."""
    return await run_pipeline(config, DirectExecutor(), progress=progress, log=lambda *_: None)
