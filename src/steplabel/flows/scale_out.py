"""Scale-out: batches submitted through a Dask or Ray task runner instead of one after another.

``task_runner.kind = "threads"`` (the default) keeps the sequential loop in the flow's process,
where one engine (one vLLM instance, one HTTP client pool) serves every batch. ``dask`` and
``ray`` submit one ``batch`` task per batch; each worker builds its own engines and writes its
own shards, so the store must be reachable from every worker (a shared folder or an fsspec
URL). At most ``in_flight`` batches are out at once, which bounds the flow's memory.
"""

from __future__ import annotations

import asyncio
import importlib

from prefect.task_runners import TaskRunner

from steplabel.config import TaskRunnerSection
from steplabel.flows.tasks import batch_task
from steplabel.pipeline.cost import merge_cost
from steplabel.pipeline.given import rollouts_expected
from steplabel.registry import MissingExtra, labeler_entry
from steplabel.storage.location import Location


def runner_class(kind: str):
    module, name = {"dask": ("prefect_dask", "DaskTaskRunner"), "ray": ("prefect_ray", "RayTaskRunner")}[kind]
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise MissingExtra(f"task_runner.kind = {kind!r} needs {module.replace('_', '-')}: "
                           f"pip install 'steplabel[{kind}]'") from exc


def make_task_runner(section: TaskRunnerSection) -> TaskRunner:
    if section.kind not in ("dask", "ray"):
        raise ValueError(f"no task runner to build for kind {section.kind!r}")
    runner = runner_class(section.kind)
    if section.address:
        return runner(address=section.address)
    if section.kind == "dask":
        return runner(cluster_kwargs={"n_workers": section.workers, "threads_per_worker": section.threads_per_worker,
                                      "processes": True, "dashboard_address": ":0"})
    return runner(init_kwargs={"num_cpus": section.workers, "include_dashboard": False})


class DistributedBatches:
    """Submits one ``batch`` task per batch to a started task runner."""

    def __init__(self, runner: TaskRunner, section: TaskRunnerSection, report) -> None:
        self.runner = runner
        self.in_flight = section.in_flight or 2 * section.workers
        self._report = report

    async def run_batches(self, chunks, config, run_id, bars, log, cost: dict) -> None:
        # Workers may run elsewhere in the file tree: give them the store as an absolute path.
        where = Location(config.run.store)
        if where.local:
            config = config.model_copy(update={"run": config.run.model_copy(update={"store": where.root})})
        pending: dict[asyncio.Future, int] = {}
        finished = 0
        following = iter(enumerate(chunks))
        exhausted = False
        error: BaseException | None = None
        while pending or not exhausted:
            while not exhausted and error is None and len(pending) < self.in_flight:
                nxt = next(following, None)
                if nxt is None:
                    exhausted = True
                    break
                b, problems = nxt
                # No quote() here: Dask takes the annotation (a namedtuple) apart in transit.
                future = self.runner.submit(batch_task, parameters={
                    "batch_index": b, "problems": problems, "config": config, "run_id": run_id})
                pending[asyncio.ensure_future(asyncio.to_thread(future.result))] = b
            if not pending:
                break
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for waiter in done:
                b = pending.pop(waiter)
                if waiter.exception() is not None:
                    # Submit nothing more, let the batches already out finish (their shards
                    # count on the rerun), then fail the run with the first error.
                    error = error or waiter.exception()
                    exhausted = True
                    log(f"batch {b} failed: {waiter.exception()!r}")
                    continue
                merge_cost(cost, waiter.result())
                finished += 1
                size = len(chunks[b])
                bars.advance("generate", size)
                for name in config.label.labelers:
                    per_problem = labeler_entry(name).retry == "problem"
                    bars.advance(f"label:{name}", size if per_problem else rollouts_expected(chunks[b], config, name))
                log(f"batch {b} done on a worker")
                await self._report(finished / len(chunks), f"batch {b} done ({finished}/{len(chunks)})")
        if error is not None:
            raise error
