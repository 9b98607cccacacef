"""The Parquet store: atomic append-only shards, run manifests, DuckDB views."""

from steplabel.storage.catalog import connect
from steplabel.storage.manifest import RunManifest, list_manifests, read_manifest, write_manifest
from steplabel.storage.shards import Store

__all__ = ["RunManifest", "Store", "connect", "list_manifests", "read_manifest", "write_manifest"]
