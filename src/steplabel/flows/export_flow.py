"""The ``export_dataset`` Prefect flow: the store's labels as a Hub dataset, on a schedule.

A scheduled run exports into the same folder and pushes to the same repository every time: its
deployment passes ``overwrite: true`` (the folder is replaced whole), and the push replaces its
config/split on the Hub (``storage.hub``), so a nightly run leaves one copy of the dataset, not
one more."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from steplabel.registry import export_format
from steplabel.storage.export import export
from steplabel.storage.hub import push


@flow(name="export-dataset")
async def export_dataset(store: str = "store", out: str = "export", format: str = "trl",
                         runs: list[str] | None = None, only_retained: bool = True,
                         exclude: str | None = None, push_to: str | None = None, config_name: str = "default",
                         split: str = "train", tree_rows: str = "prefix", overwrite: bool = False) -> dict:
    result = export(store, out, export_format(format), runs, None, only_retained, exclude, split,
                    config_name=config_name, tree_rows=tree_rows, overwrite=overwrite)
    get_run_logger().info("exported %d rows (%s labels) to %s as %s/%s: %s", result.rows, result.labeler, out,
                          config_name, split, result.counts)
    if push_to:
        pushed = push(out, push_to)
        get_run_logger().info("pushed %d files to %s, removing %d", len(pushed.added), push_to, len(pushed.deleted))
    await acreate_markdown_artifact(
        key="steplabel-export",
        markdown=f"**{result.rows}** rows exported to `{out}` (form `{format}`, labels `{result.labeler}`, "
                 f"config `{config_name}`, split `{split}`)\n\n"
                 + "\n".join(f"- {k}: {v}" for k, v in result.counts.items()),
    )
    return {"rows": result.rows, "labeler": result.labeler, **result.counts}
