"""Prefect settings that must be in place before ``import prefect``.

By default a run uses Prefect's temporary local server with its state under the project's
state folder (``.steplabel/prefect``), not ``~/.prefect``; with ``PREFECT_API_URL`` set it
reports to that server instead. Telemetry is off (no network here).
"""

from __future__ import annotations

import os
from pathlib import Path


def configure(state_dir: str | os.PathLike | None = None) -> Path:
    state = Path(state_dir or os.environ.get("STEPLABEL_STATE_DIR", ".steplabel")).resolve()
    home = state / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A 2-core machine can take more than Prefect's default 20 s to start the temporary server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return home
