"""Run manifests: one JSON file per run with its config, versions, status and counts.

Written whole-or-nothing (see ``location``) each time the status changes, so a killed
run leaves a manifest that says ``running`` and the rerun picks it up.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from steplabel.schemas.arrow import SCHEMA_VERSION
from steplabel.storage.location import Location

_PACKAGES = ("steplabel", "prefect", "duckdb", "pyarrow", "math-verify", "datasets", "pydantic")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def code_revision() -> str | None:
    """The git commit of the steplabel checkout, if it runs from one."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass
class RunManifest:
    run_id: str
    name: str
    config: dict
    seed: int
    status: str = "running"  # running | completed | failed
    started_at: str = field(default_factory=now)
    finished_at: str | None = None
    attempts: int = 1
    versions: dict = field(default_factory=package_versions)
    code_revision: str | None = field(default_factory=code_revision)
    schema_version: int = SCHEMA_VERSION
    counts: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
    error: str | None = None
    flow_run_id: str | None = None
    rebuilt: list = field(default_factory=list)  # damaged batches recomputed: {attempt, batch, rebuilt, reason}


def _path(where: Location, run_id: str) -> str:
    return where.path("runs", f"run_id={run_id}", "manifest.json")


def write_manifest(store: str | os.PathLike, manifest: RunManifest) -> str:
    where = Location(store)
    path = _path(where, manifest.run_id)
    where.write_bytes(path, json.dumps(asdict(manifest), indent=2, sort_keys=True).encode())
    return path


def _parse(data: bytes, path: str) -> RunManifest | None:
    """A manifest, or None for one damaged by hand or by a disk: a run rewrites its manifest on
    the next attempt (as a first attempt), so a damaged one must not stop it."""
    try:
        fields = json.loads(data)
        known = {f for f in RunManifest.__dataclass_fields__}
        return RunManifest(**{k: v for k, v in fields.items() if k in known})
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


def read_manifest(store: str | os.PathLike, run_id: str) -> RunManifest | None:
    where = Location(store)
    path = _path(where, run_id)
    if not where.exists(path):
        return None
    return _parse(where.read_bytes(path), path)


def list_manifests(store: str | os.PathLike) -> list[RunManifest]:
    where = Location(store)
    found = [_parse(where.read_bytes(path), path) for path in where.glob(where.path("runs", "run_id=*", "manifest.json"))]
    return [m for m in found if m is not None]
