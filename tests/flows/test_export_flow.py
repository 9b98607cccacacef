"""The export flow as a schedule runs it: the same folder every time, replaced, never doubled."""

import asyncio

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct


def test_scheduled_export_replaces_its_folder(prefect_server, tmp_path):
    from steplabel.flows.export_flow import export_dataset

    store = tmp_path / "store"
    asyncio.run(run_direct(load_config(None, {"run.store": str(store), "problems.limit": 4, "generate.samples": 2,
                                              "label.mc.k": 2, "label.labelers": ["mc"]})))
    out = tmp_path / "export"
    for _ in range(2):
        summary = asyncio.run(export_dataset(store=str(store), out=str(out), format="soft", config_name="nightly",
                                             overwrite=True))
        assert summary["exported"] > 0
    assert sorted(p.relative_to(out).as_posix() for p in (out / "data").rglob("*.parquet")) == [
        "data/nightly/train-00000-of-00001.parquet"]
    refused = asyncio.run(export_dataset(store=str(store), out=str(out), return_state=True))
    assert refused.is_failed()
