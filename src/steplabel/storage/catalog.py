"""DuckDB views over the store: ``problems``, ``rollouts``, ``steps``, ``step_labels``,
``quarantine`` (Parquet shards) and ``runs`` (manifests).

Views glob the shard folders at query time, so a long-lived connection sees shards written
after it was opened. A table with no shard yet is an empty view with the right columns, so
queries work on an empty store too.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from steplabel.schemas.arrow import TABLES

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


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(store: str | os.PathLike, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    root = Path(store)
    con = duckdb.connect(database)
    for name, spec in TABLES.items():
        folder = root / name
        if any(folder.rglob("part-*.parquet")) if folder.exists() else False:
            glob = _quote(folder / "**" / "*.parquet")
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({glob}, "
                "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
            )
        else:
            con.register(f"_empty_{name}", spec.schema.empty_table())
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _empty_{name}")
    manifests = root / "runs"
    cols = ", ".join(f"'{k}': '{v}'" for k, v in _RUN_COLUMNS.items())
    if manifests.exists() and any(manifests.glob("run_id=*/manifest.json")):
        glob = _quote(manifests / "run_id=*" / "manifest.json")
        con.execute(
            f"CREATE OR REPLACE VIEW runs AS SELECT * FROM read_json({glob}, "
            f"format = 'auto', columns = {{{cols}}})"
        )
    else:
        select = ", ".join(f"CAST(NULL AS {v}) AS {k}" for k, v in _RUN_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE VIEW runs AS SELECT {select} WHERE false")
    return con
