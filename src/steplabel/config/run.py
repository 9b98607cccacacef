"""Where a run's output goes and where its batches run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from steplabel.config.base import _Section


class RunSection(_Section):
    name: str = Field("steplabel", pattern=r"^[A-Za-z0-9._-]+$")
    seed: int = 0
    store: str = Field("store", min_length=1)
    run_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]+$")
    batch_size: int = Field(100, ge=1, le=1_000_000, description="problems per Prefect task")
    max_failed_share: float = Field(
        1.0, ge=0, allow_inf_nan=True, description="the run fails when, in one stage of one batch, at least this share of engine "
        "requests failed (after the engine's retries): 1.0 only when all did, 0 at any failure, above 1 never")


class TaskRunnerSection(_Section):
    """Where batches run. Not part of the run id: the same labels come out wherever they run."""

    kind: Literal["threads", "dask", "ray"] = "threads"
    address: str | None = Field(None, description="an existing cluster: Dask scheduler or Ray address")
    workers: int = Field(2, ge=1, description="workers of the local cluster started when no address is given")
    threads_per_worker: int = Field(1, ge=1, description="keep 1 for vllm and transformers engines: one model per process")
    in_flight: int = Field(0, ge=0, description="batches submitted at once; 0 means 2 x workers")
