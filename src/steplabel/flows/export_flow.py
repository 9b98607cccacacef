"""The ``export_dataset`` Prefect flow: the store's labels as a Hub dataset, on a schedule."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from steplabel.registry import export_format
from steplabel.storage.export import export, push


@flow(name="export-dataset")
async def export_dataset(store: str = "store", out: str = "export", format: str = "trl",
                         runs: list[str] | None = None, only_retained: bool = True,
                         exclude: str | None = None, push_to: str | None = None) -> dict:
    result = export(store, out, export_format(format), runs, None, only_retained, exclude)
    get_run_logger().info("exported %d solutions (%s labels) to %s: %s", result.rows, result.labeler, out,
                          result.counts)
    if push_to:
        uploaded = push(out, push_to)
        get_run_logger().info("pushed %d files to %s", len(uploaded), push_to)
    await acreate_markdown_artifact(
        key="steplabel-export",
        markdown=f"**{result.rows}** solutions exported to `{out}` (form `{format}`, labels `{result.labeler}`)\n\n"
                 + "\n".join(f"- {k}: {v}" for k, v in result.counts.items()),
    )
    return {"rows": result.rows, "labeler": result.labeler, **result.counts}
