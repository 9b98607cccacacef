"""A whole run: load the problems, run the batches, keep the run manifest and its summary.

Shared by the Prefect flow and the direct path (``--no-prefect``); what runs the stages and the
batches is handed in (``pipeline.batch``). The engines are checked once before the first batch
(``pipeline.health``), so both paths fail fast on an engine that cannot serve the run.
"""

from __future__ import annotations

import traceback

from steplabel.config import Config
from steplabel.pipeline import given, stages
from steplabel.pipeline.batch import Batches, DirectStages
from steplabel.pipeline.health import check_engines
from steplabel.pipeline.progress import ProgressBars
from steplabel.registry import labeler_entry
from steplabel.reports.summary import run_summary
from steplabel.storage.batches import store_load_quarantine
from steplabel.storage.manifest import RunManifest, now, read_manifest, write_manifest
from steplabel.storage.repair import repair_run
from steplabel.storage.shards import Store


def start_manifest(config: Config, run_id: str, flow_run_id: str | None = None) -> RunManifest:
    previous = read_manifest(config.run.store, run_id)
    manifest = RunManifest(run_id=run_id, name=config.run.name, config=config.model_dump(),
                           seed=config.run.seed, flow_run_id=flow_run_id)
    if previous:
        manifest.started_at = previous.started_at
        manifest.attempts = previous.attempts + 1
        manifest.rebuilt = list(previous.rebuilt)
    write_manifest(config.run.store, manifest)
    return manifest


def add_bars(bars: ProgressBars, config: Config, problems: list) -> None:
    """One bar per stage, counting what it works on: problems for generation and for a labeler
    that searches per problem (OmegaPRM's trees), rollouts for the others."""
    bars.add("generate", "generate", len(problems), "problems")
    for name in config.label.labelers:
        per_problem = labeler_entry(name).retry == "problem"
        rollouts = given.rollouts_expected(problems, config, name)
        bars.add(f"label:{name}", f"label ({name})", len(problems) if per_problem else rollouts,
                 "problems" if per_problem else "rollouts")


async def run_pipeline(config: Config, executor: Batches, store: Store, progress: bool | None = None,
                       flow_run_id: str | None = None, log=print) -> dict:
    run_id = config.run_id()
    manifest = start_manifest(config, run_id, flow_run_id)
    cost: dict[str, dict] = {}
    try:
        loaded = stages.load_stage(config, run_id)
        store_load_quarantine(store, run_id, loaded.quarantine)
        log(f"run {run_id}: {len(loaded.problems)} problems, {len(loaded.quarantine)} quarantined at load")
        if not loaded.problems:
            log(f"warning: no problem to run: all {len(loaded.quarantine)} rows were quarantined "
                "(steplabel query \"SELECT location, reason FROM quarantine\" lists why)")
        chunks = stages.batches(loaded.problems, config.run.batch_size)
        rebuilt = repair_run(store, run_id, len(chunks), list(config.label.labelers))
        if rebuilt:
            for r in rebuilt:
                log(f"batch {r.batch}: {r.reason}; {r.what} is computed again")
            manifest.rebuilt += [{"attempt": manifest.attempts, **r.as_dict()} for r in rebuilt]
            write_manifest(config.run.store, manifest)
        if loaded.problems:
            await check_engines(config)  # fail before the first batch, not after quarantining them all
        with ProgressBars(progress) as bars:
            add_bars(bars, config, loaded.problems)
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
    store = Store(config.run.store)
    return await run_pipeline(config, DirectStages(store), store, progress=progress, log=lambda *_: None)
