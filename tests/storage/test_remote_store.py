"""A store at an s3:// URL, against a local S3 server (moto): the pipeline writes it through
fsspec, resumes from it, and DuckDB reads it. Real s3fs and botocore code paths; no network."""

import asyncio
import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest
from steplabel.storage.catalog import StoreReadError

s3fs = pytest.importorskip("s3fs")

SMALL = {"problems.limit": 12, "run.batch_size": 4, "generate.samples": 2, "label.mc.k": 4}
LABELS = "SELECT rollout_id, labeler, step_index, label, score, first_error, status FROM step_labels ORDER BY 1, 2, 3"


def test_pipeline_writes_resumes_and_queries_an_s3_store(s3_bucket, tmp_path):
    remote = load_config(None, {**SMALL, "run.store": f"s3://{s3_bucket}/store"})
    local = load_config(None, {**SMALL, "run.store": str(tmp_path / "local")})
    summary = asyncio.run(run_direct(remote))
    asyncio.run(run_direct(local))
    assert summary["rollouts"] == 24

    fs = s3fs.S3FileSystem()
    keys = fs.find(f"{s3_bucket}/store")
    assert keys and all(".tmp" not in k for k in keys)  # one PUT per shard: no temporary objects
    assert f"{s3_bucket}/store/runs/run_id={remote.run_id()}/manifest.json" in keys

    con = connect(f"s3://{s3_bucket}/store", reader="fsspec")
    rows = con.execute(LABELS).fetchall()
    assert rows and rows == connect(tmp_path / "local").execute(LABELS).fetchall()
    assert con.execute("SELECT status, attempts FROM runs").fetchall() == [("completed", 1)]

    # The same command again finds every shard and sends nothing to the engine.
    asyncio.run(run_direct(remote))
    manifest = read_manifest(f"s3://{s3_bucket}/store", remote.run_id())
    assert manifest.attempts == 2 and manifest.status == "completed"
    assert not any(stage.startswith(("generate", "label")) for stage in manifest.cost)
    assert sorted(fs.find(f"{s3_bucket}/store")) == sorted(keys)


def test_cli_queries_and_exports_an_s3_store_and_fails_cleanly_on_a_missing_one(s3_bucket, tmp_path):
    asyncio.run(run_direct(load_config(None, {**SMALL, "run.store": f"s3://{s3_bucket}/store"})))
    runner = CliRunner()
    out = runner.invoke(app, ["query", "SELECT count(DISTINCT rollout_id) AS n FROM step_labels",
                              "--store", f"s3://{s3_bucket}/store", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == [{"n": 24}]
    exported = runner.invoke(app, ["export", "--store", f"s3://{s3_bucket}/store", "--format", "trl",
                                   "--out", str(tmp_path / "export")])
    assert exported.exit_code == 0, exported.output
    assert list((tmp_path / "export" / "data" / "default").glob("train-*.parquet"))
    assert "steplabel" in (tmp_path / "export" / "README.md").read_text()
    missing = runner.invoke(app, ["stats", "--store", f"s3://{s3_bucket}/nothing-here"])
    assert missing.exit_code == 2 and "no such store" in missing.output


def test_forcing_httpfs_where_it_cannot_load_is_a_clear_error(s3_bucket):
    import duckdb

    try:
        duckdb.connect().execute("LOAD httpfs")
        pytest.skip("httpfs is installed here; this checks the error when it is not")
    except duckdb.Error:
        pass
    with pytest.raises(StoreReadError, match="STEPLABEL_DUCKDB_READER=fsspec"):
        connect(f"s3://{s3_bucket}/store", reader="httpfs")
    # auto falls back to fsspec and works.
    assert connect(f"s3://{s3_bucket}/store").execute("SELECT count(*) FROM step_labels").fetchone() == (0,)
