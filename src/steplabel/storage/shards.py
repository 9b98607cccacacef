"""Immutable Parquet shards under hive partitions, written atomically.

A shard is written to a hidden temporary name in its final folder, flushed to disk, then
renamed over its final name: a reader (DuckDB globs ``*.parquet``) sees the whole shard or
nothing. Shard names are deterministic (``part-<batch>.parquet``) so a rerun of the same run
replaces a shard with identical content instead of adding a duplicate, and it can tell which
batches are already done by looking for their shards.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from steplabel.schemas.arrow import TABLES, to_arrow

_SAFE = re.compile(r"^[A-Za-z0-9._=-]+$")


def _check(value: str, what: str) -> str:
    if not value or not _SAFE.match(value) or value in (".", ".."):
        raise ValueError(f"unsafe {what} for a store path: {value!r}")
    return value


class Store:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def shard_path(self, table: str, partitions: dict[str, str], part: str) -> Path:
        spec = TABLES[table]
        if set(partitions) != set(spec.partitions):
            raise ValueError(f"{table} is partitioned by {spec.partitions}, got {sorted(partitions)}")
        folder = self.table_dir(table)
        for key in spec.partitions:
            folder = folder / f"{key}={_check(str(partitions[key]), key)}"
        return folder / f"part-{_check(part, 'part name')}.parquet"

    def has_shard(self, table: str, partitions: dict[str, str], part: str) -> bool:
        return self.shard_path(table, partitions, part).exists()

    def write(self, table: str, partitions: dict[str, str], part: str, records: Iterable[object]) -> Path:
        return self.write_arrow(table, partitions, part, to_arrow(table, records))

    def write_arrow(self, table: str, partitions: dict[str, str], part: str, data: pa.Table) -> Path:
        final = self.shard_path(table, partitions, part)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(data, fh, compression="zstd")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final

    def read(self, table: str, partitions: dict[str, str], part: str) -> pa.Table:
        return pq.read_table(self.shard_path(table, partitions, part))

    def shards(self, table: str) -> list[Path]:
        return sorted(self.table_dir(table).rglob("part-*.parquet"))
