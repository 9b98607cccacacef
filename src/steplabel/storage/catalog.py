"""DuckDB views over the store: ``problems``, ``rollouts``, ``steps``, ``step_labels``,
``quarantine`` (Parquet shards) and ``runs`` (manifests).

Views glob the shard folders at query time, so a long-lived connection sees shards written
after it was opened. A table with no shard yet is an empty view with the right columns, so
queries work on an empty store too.

A remote store (``s3://…``, ``gs://…``) is read through DuckDB's httpfs extension where it
loads (credentials from the AWS credential chain, never written into SQL), else (or with a
custom S3 endpoint in ``AWS_ENDPOINT_URL``) through the same fsspec filesystem that wrote it,
registered with DuckDB. ``STEPLABEL_DUCKDB_READER``
(``auto``, ``httpfs`` or ``fsspec``) forces one.
"""

from __future__ import annotations

import os

import duckdb

from steplabel.schemas.arrow import TABLES
from steplabel.storage.location import Location

_RUN_COLUMNS = {
    "run_id": "VARCHAR",
    "name": "VARCHAR",
    "status": "VARCHAR",
    "seed": "BIGINT",
    "started_at": "TIMESTAMPTZ",
    "finished_at": "TIMESTAMPTZ",
    "attempts": "INTEGER",
    "schema_version": "INTEGER",
    "code_revision": "VARCHAR",
    "error": "VARCHAR",
    "flow_run_id": "VARCHAR",
    "config": "JSON",
    "versions": "JSON",
    "counts": "JSON",
    "cost": "JSON",
}

READERS = ("auto", "httpfs", "fsspec")


class StoreReadError(RuntimeError):
    """DuckDB cannot be given access to a remote store; the message says why."""


def _quote(path: str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _use_httpfs(con: duckdb.DuckDBPyConnection, where: Location) -> None:
    con.execute("LOAD httpfs")
    if where.protocol in ("s3", "s3a"):
        con.execute("LOAD aws")
        con.execute("CREATE OR REPLACE SECRET steplabel_store (TYPE s3, PROVIDER credential_chain)")


def _httpfs_usable(where: Location) -> str | None:
    """None if httpfs (and aws for S3) load, else why not; tried on a scratch connection so a
    half-configured one never shadows the fsspec fallback."""
    try:
        _use_httpfs(duckdb.connect(), where)
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def open_remote(con: duckdb.DuckDBPyConnection, where: Location, reader: str) -> str:
    """Give DuckDB access to a remote store; returns the reader used."""
    if reader not in READERS:
        raise StoreReadError(f"unknown DuckDB reader {reader!r} (one of {', '.join(READERS)})")
    if reader == "httpfs" and where.protocol not in ("s3", "s3a", "gs", "gcs"):
        raise StoreReadError(f"httpfs cannot read {where.protocol}:// stores; set STEPLABEL_DUCKDB_READER=fsspec")
    # A custom S3 endpoint (MinIO, a local server) is known to fsspec's botocore, not to the
    # credential chain: auto mode reads such stores through fsspec.
    custom_endpoint = where.protocol in ("s3", "s3a") and os.environ.get("AWS_ENDPOINT_URL")
    if reader == "httpfs" or (reader == "auto" and where.protocol in ("s3", "s3a", "gs", "gcs")
                              and not custom_endpoint):
        why = _httpfs_usable(where)
        if why is None:
            _use_httpfs(con, where)
            return "httpfs"
        if reader == "httpfs":
            raise StoreReadError(f"DuckDB's httpfs extension is not usable here ({why}); "
                                 "install it (INSTALL httpfs) or set STEPLABEL_DUCKDB_READER=fsspec")
    con.register_filesystem(where.fs)
    return "fsspec"


def connect(store: str | os.PathLike, database: str = ":memory:", reader: str | None = None) -> duckdb.DuckDBPyConnection:
    where = Location(store)
    con = duckdb.connect(database)
    if not where.local:
        open_remote(con, where, reader or os.environ.get("STEPLABEL_DUCKDB_READER", "auto"))
    for name, spec in TABLES.items():
        if where.glob(where.path(name, "**", "part-*.parquet")):
            glob = _quote(where.uri(where.path(name, "**", "*.parquet")))
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({glob}, "
                "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
            )
        else:
            con.register(f"_empty_{name}", spec.schema.empty_table())
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _empty_{name}")
    cols = ", ".join(f"'{k}': '{v}'" for k, v in _RUN_COLUMNS.items())
    manifests = where.path("runs", "run_id=*", "manifest.json")
    if where.glob(manifests):
        con.execute(
            f"CREATE OR REPLACE VIEW runs AS SELECT * FROM read_json({_quote(where.uri(manifests))}, "
            f"format = 'auto', columns = {{{cols}}})"
        )
    else:
        select = ", ".join(f"CAST(NULL AS {v}) AS {k}" for k, v in _RUN_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE VIEW runs AS SELECT {select} WHERE false")
    return con
