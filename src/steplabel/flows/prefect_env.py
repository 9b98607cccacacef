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


class _NoTraceback:
    """A console-handler filter: Prefect's record of an expected failure ("Encountered exception
    during execution", with its traceback) is not shown on the terminal, since the command prints
    the one error line about it, the same as ``--no-prefect``; Prefect's "Finished in state
    Failed" line stays, so the terminal says the flow run failed. Prefect's API log keeps all."""

    def __init__(self, expected: tuple[type[BaseException], ...]) -> None:
        self.expected = expected

    def filter(self, record) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], self.expected))


def quiet_tracebacks(*expected: type[BaseException]) -> None:
    """No traceback on the terminal for failures that are the user's to fix (an engine that
    cannot serve the run, a store that cannot be written); call after ``import prefect``."""
    import logging

    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.addFilter(_NoTraceback(expected))
