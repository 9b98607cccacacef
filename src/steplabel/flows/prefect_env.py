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


class PrefectAPIError(Exception):
    """The Prefect server named by ``PREFECT_API_URL`` cannot be used: it cannot be reached,
    or it refuses this client's credentials."""


def check_api() -> None:
    """With a server configured, one authenticated request before anything starts. A server
    started with an auth string (``PREFECT_SERVER_API_AUTH_STRING``) answers 401 to a client
    without the matching ``PREFECT_API_AUTH_STRING``; Prefect would fail later, deep inside,
    with a traceback. ``/api/health`` is open to all, so this asks ``/api/admin/version``.
    Call after ``configure``; the temporary local server needs no check."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        return
    try:
        with get_client(sync_client=True) as client:
            client.api_version()
    except PrefectHTTPStatusError as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise PrefectAPIError(
                f"the Prefect API at {url} refused the credentials (HTTP {status}): set PREFECT_API_AUTH_STRING "
                "to the server's auth string (user:password, the server's PREFECT_SERVER_API_AUTH_STRING)") from None
        raise PrefectAPIError(f"the Prefect API at {url} answered HTTP {status}: is PREFECT_API_URL the "
                              "server's API address (http://host:4200/api)?") from None
    except httpx.HTTPError as exc:
        raise PrefectAPIError(f"cannot reach the Prefect API at {url} ({type(exc).__name__}): start the server "
                              "or fix PREFECT_API_URL") from None
