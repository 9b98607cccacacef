"""Prefect tasks over one batch of problems, and the stage runner that calls them.

Tasks take a batch of problems (never one step), carry no result cache (their inputs are
large and their outputs go to the store), and retry once on an unexpected error. Everything
they are given pickles (problems, label tasks, the pydantic config, the store), and engines
are built inside the task, so a task runs the same in a thread, a Dask worker or a Ray worker.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import aupdate_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from steplabel.config import Config
from steplabel.pipeline import stages
from steplabel.pipeline.batch import SequentialBatches, process_batch
from steplabel.pipeline.progress import ProgressBars
from steplabel.registry import labeler_entry
from steplabel.storage import batches as shards
from steplabel.storage.shards import Store


@task(name="generate", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
async def generate_task(batch_index: int, problems: list, config: Config, run_id: str, on_done=None):
    get_run_logger().info("batch %d: generating for %d problems", batch_index, len(problems))
    gen = await stages.generate_stage(problems, stages.policy_engine(config), config, run_id, on_done)
    get_run_logger().info("batch %d: %d rollouts, %d quarantined, cost %s",
                          batch_index, len(gen.rollouts), len(gen.quarantine), gen.cost)
    return gen


@task(name="label", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
async def label_task(batch_index: int, tasks: list, labeler: str, config: Config, run_id: str, on_done=None,
                     problems: list | None = None, context: tuple | None = None):
    labeled = await stages.label_stage(tasks, labeler, config, on_done, problems, context)
    get_run_logger().info("batch %d: %s labeled %d steps of %d rollouts, cost %s",
                          batch_index, labeler, len(labeled.labels), len(tasks), labeled.cost)
    return labeled


@task(name="consensus", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def stored_task(store: Store, batch_index: int, labeler: str, config: Config, run_id: str):
    labeled = stages.stored_stage(store, run_id, batch_index, labeler, config)
    get_run_logger().info("batch %d: %s kept %d of %d rollouts", batch_index, labeler,
                          labeled.counters["retained"], labeled.counters["rollouts"])
    return labeled


@task(name="store", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def store_task(store: Store, run_id: str, batch_index: int, what: str, payload, problems=None):
    if what == "generated":
        shards.store_generated(store, run_id, batch_index, problems, payload)
    else:
        shards.store_labels(store, run_id, batch_index, what, payload)


class PrefectStages(SequentialBatches):
    """Runs each stage of a batch as a Prefect task in the current process."""

    def __init__(self, store: Store, artifact_id=None) -> None:
        self.store = store
        self.artifact = artifact_id

    async def generate(self, batch_index, problems, config, run_id, bars):
        # quote(): Prefect would otherwise walk every record of a batch looking for futures.
        return await generate_task(batch_index, quote(problems), config, run_id, bars.callback("generate"))

    async def label(self, batch_index, tasks, labeler, config, run_id, bars, problems, context=None):
        if labeler_entry(labeler).reads_stored:
            return stored_task(quote(self.store), batch_index, labeler, config, run_id)
        return await label_task(batch_index, quote(tasks), labeler, config, run_id,
                                bars.callback(f"label:{labeler}"), quote(problems), quote(context))

    def store_generated(self, run_id, batch_index, problems, gen):
        store_task(quote(self.store), run_id, batch_index, "generated", quote(gen), quote(problems))

    def store_labels(self, run_id, batch_index, labeler, labeled):
        store_task(quote(self.store), run_id, batch_index, labeler, quote(labeled))

    async def report(self, fraction, message):
        if self.artifact is not None:
            await aupdate_progress_artifact(self.artifact, progress=round(100 * fraction, 1))
        get_run_logger().info("progress %.0f%%: %s", 100 * fraction, message)


@task(name="batch", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
async def batch_task(batch_index: int, problems: list, config: Config, run_id: str) -> dict:
    """One whole batch (generate, every labeler, store) on a task runner's worker.

    The worker opens the store itself (one ``Store`` per worker task), so only the problems go
    out and only the batch's cost comes back. Its stages run as nested tasks, visible in the UI.
    """
    logger = get_run_logger()
    return await process_batch(batch_index, problems, config, run_id, PrefectStages(Store(config.run.store)),
                               ProgressBars(False), log=logger.info)
