"""The ``synthesize`` Prefect flow: generate → label → store, one task per stage per batch.

With the default task runner the batches run one after another in the flow's process; with
Dask or Ray (``[task_runner]``) each batch is a task on a worker (see ``scale_out``). The flow
publishes a progress artifact while it runs and a table artifact with the run summary. The
flow run is named after the run id; a run that fails (an engine that cannot serve it, too many
failed requests) raises, so its flow run is Failed.
"""


from contextlib import nullcontext

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact
from prefect.context import get_run_context

from steplabel.config import Config
from steplabel.flows.scale_out import DistributedBatches, make_task_runner
from steplabel.flows.tasks import PrefectStages
from steplabel.pipeline.run import run_pipeline
from steplabel.reports.agreement import agreement, agreement_rows, write_heatmaps
from steplabel.reports.summary import summary_rows
from steplabel.storage.shards import Store


def run_name() -> str:
    """The flow run is named after the run id (not at random), so the UI and the store agree."""
    from prefect.runtime import flow_run

    config = flow_run.parameters.get("config")
    try:
        return (config if isinstance(config, Config) else Config.model_validate(config)).run_id()
    except Exception:  # an invalid config fails the run itself, with its own message
        return "steplabel"


@flow(name="synthesize", log_prints=False, flow_run_name=run_name)
async def synthesize(config: Config, progress: bool | None = None) -> dict:
    """Problems → rollouts → step labels → Parquet store, for one run configuration."""
    cfg = config
    run_id = cfg.run_id()
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)
    artifact = await acreate_progress_artifact(
        progress=0.0, key="steplabel-progress", description=f"steplabel run {run_id}"
    )
    store = Store(cfg.run.store)
    executor = PrefectStages(store, artifact)
    runner = nullcontext()
    if cfg.task_runner.kind != "threads":
        # Started here rather than on the decorator, so a deployment's config can choose it too.
        runner = make_task_runner(cfg.task_runner)
        executor = DistributedBatches(runner, cfg.task_runner, executor.report)
        logger.info("batches go to a %s task runner", cfg.task_runner.kind)
    with runner:
        summary = await run_pipeline(cfg, executor, store, progress=progress, flow_run_id=flow_run_id,
                                     log=logger.info)
    await acreate_table_artifact(
        table=summary_rows(summary), key="steplabel-summary", description=f"steplabel run {run_id}"
    )
    if len(summary["labelers"]) > 1:
        report = agreement(cfg.run.store, run_id)
        images = write_heatmaps(cfg.run.store, run_id, report)
        await acreate_table_artifact(
            table=agreement_rows(report), key="steplabel-agreement",
            description="first-error agreement between label sources; heat maps: "
                        + ", ".join(str(p) for p in images),
        )
        summary["agreement"] = report
    return summary
