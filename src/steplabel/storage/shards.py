"""Immutable Parquet shards under hive partitions, written atomically.

A shard is written whole or not at all (see ``location``: a temporary file renamed over the
final name on a local disk, one PUT on an object store): a reader (DuckDB globs
``*.parquet``) sees the whole shard or nothing. Shard names are deterministic
(``part-<batch>.parquet``) so a rerun of the same run replaces a shard with identical content
instead of adding a duplicate, and it can tell which batches are already done by looking for
their shards.
"""

from __future__ import annotations

import io
import os
import re
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from steplabel.schemas.arrow import TABLES, to_arrow
from steplabel.storage.location import Location

_SAFE = re.compile(r"^[A-Za-z0-9._=-]+$")


def _check(value: str, what: str) -> str:
    if not value or not _SAFE.match(value) or value in (".", ".."):
        raise ValueError(f"unsafe {what} for a store path: {value!r}")
    return value


class Store:
    """The store's tables, at a local path or an fsspec URL."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.location = Location(root)

    def shard_path(self, table: str, partitions: dict[str, str], part: str) -> str:
        spec = TABLES[table]
        if set(partitions) != set(spec.partitions):
            raise ValueError(f"{table} is partitioned by {spec.partitions}, got {sorted(partitions)}")
        parts = [table] + [f"{key}={_check(str(partitions[key]), key)}" for key in spec.partitions]
        return self.location.path(*parts, f"part-{_check(part, 'part name')}.parquet")

    def has_shard(self, table: str, partitions: dict[str, str], part: str) -> bool:
        return self.location.exists(self.shard_path(table, partitions, part))

    def write(self, table: str, partitions: dict[str, str], part: str, records: Iterable[object]) -> str:
        return self.write_arrow(table, partitions, part, to_arrow(table, records))

    def write_arrow(self, table: str, partitions: dict[str, str], part: str, data: pa.Table) -> str:
        final = self.shard_path(table, partitions, part)
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="zstd")
        self.location.write_bytes(final, buffer.getvalue())
        return final

    def read(self, table: str, partitions: dict[str, str], part: str) -> pa.Table:
        return pq.read_table(io.BytesIO(self.location.read_bytes(self.shard_path(table, partitions, part))))
