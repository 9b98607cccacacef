"""The ``synthesize`` Prefect flow: generate → label → store, one task per stage per batch.

Tasks take a batch of problems (never one step), carry no result cache (their inputs are
large and their outputs go to the store), and retry once on an unexpected error. The flow
publishes a progress artifact while it runs and a table artifact with the run summary.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact, aupdate_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.utilities.annotations import quote

from steplabel.flows import stages
from steplabel.flows.agreement import agreement, agreement_rows, write_heatmaps
from steplabel.flows.config import Config
from steplabel.flows.engines import make_engine
from steplabel.flows.pipeline import run_pipeline
from steplabel.flows.summary import summary_rows


@task(name="generate", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
async def generate_task(batch_index: int, problems: list, config: Config, run_id: str, on_done=None):
    get_run_logger().info("batch %d: generating for %d problems", batch_index, len(problems))
    gen = await stages.generate_stage(problems, make_engine(config.engine), config, run_id, on_done)
    get_run_logger().info("batch %d: %d rollouts, %d quarantined, cost %s",
                          batch_index, len(gen.rollouts), len(gen.quarantine), gen.cost)
    return gen


@task(name="label", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
async def label_task(batch_index: int, tasks: list, labeler: str, config: Config, run_id: str, on_done=None,
                     problems: list | None = None):
    labeled = await stages.label_stage(tasks, labeler, config, on_done, problems)
    get_run_logger().info("batch %d: %s labeled %d steps of %d rollouts, cost %s",
                          batch_index, labeler, len(labeled.labels), len(tasks), labeled.cost)
    return labeled


@task(name="consensus", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def consensus_task(batch_index: int, config: Config, run_id: str):
    labeled = stages.consensus_stage(stages.Store(config.run.store), run_id, batch_index, config)
    get_run_logger().info("batch %d: consensus kept %d of %d rollouts", batch_index,
                          labeled.counters["retained"], labeled.counters["rollouts"])
    return labeled


@task(name="store", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def store_task(config: Config, run_id: str, batch_index: int, what: str, payload, problems=None):
    store = stages.Store(config.run.store)
    if what == "generated":
        stages.store_generated(store, run_id, batch_index, problems, payload)
    else:
        stages.store_labels(store, run_id, batch_index, what, payload)


class PrefectExecutor:
    def __init__(self, artifact_id) -> None:
        self.artifact = artifact_id

    async def generate(self, batch_index, problems, config, run_id, bars):
        # quote(): Prefect would otherwise walk every record of a batch looking for futures.
        return await generate_task(batch_index, quote(problems), config, run_id, bars.callback("generate"))

    async def label(self, batch_index, tasks, labeler, config, run_id, bars, problems):
        if labeler == "consensus":
            return consensus_task(batch_index, config, run_id)
        return await label_task(batch_index, quote(tasks), labeler, config, run_id,
                                bars.callback(f"label:{labeler}"), quote(problems))

    def store_generated(self, config, run_id, batch_index, problems, gen):
        store_task(config, run_id, batch_index, "generated", quote(gen), quote(problems))

    def store_labels(self, config, run_id, batch_index, labeler, labeled):
        store_task(config, run_id, batch_index, labeler, quote(labeled))

    async def report(self, fraction, message):
        await aupdate_progress_artifact(self.artifact, progress=round(100 * fraction, 1))
        get_run_logger().info("progress %.0f%%: %s", 100 * fraction, message)


@flow(name="synthesize", log_prints=False)
async def synthesize(config: dict, progress: bool | None = None) -> dict:
    """Problems → rollouts → step labels → Parquet store, for one run configuration."""
    cfg = Config.model_validate(config)
    run_id = cfg.run_id()
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)
    artifact = await acreate_progress_artifact(
        progress=0.0, key="steplabel-progress", description=f"steplabel run {run_id}"
    )
    summary = await run_pipeline(cfg, PrefectExecutor(artifact), progress=progress,
                                 flow_run_id=flow_run_id, log=logger.info)
    await acreate_table_artifact(
        table=summary_rows(summary), key="steplabel-summary", description=f"steplabel run {run_id}"
    )
    if len(summary["labelers"]) > 1:
        report = agreement(cfg.run.store, run_id)
        images = write_heatmaps(cfg.run.store, run_id, report)
        await acreate_table_artifact(
            table=agreement_rows(report), key="steplabel-agreement",
            description=f"first-error agreement between label sources; heat maps: "
                        + ", ".join(str(p) for p in images),
        )
        summary["agreement"] = report
    return summary
