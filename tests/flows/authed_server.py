"""A real `prefect server start` on 127.0.0.1 that asks for an auth string, as docker-compose
starts it: for test modules that share one (a module-scoped fixture each)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.flows.test_server import _wait
from tests.processes import free_port, stop


@dataclass
class AuthedServer:
    api: str
    auth: str  # user:password
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A client's environment: this server and its credentials (no PREFECT_HOME: the caller's)."""
        return {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": self.api,
                "PREFECT_API_AUTH_STRING": self.auth, **extra}

    def client(self) -> httpx.Client:
        user, _, password = self.auth.partition(":")
        return httpx.Client(base_url=self.api, auth=(user, password), timeout=30)


@contextmanager
def authed_prefect_server(folder: Path, auth: str, **settings: str):
    """The server's own setting is PREFECT_SERVER_API_AUTH_STRING; nothing in its environment
    gives a client's credentials, so every client must bring its own."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(folder / "server-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_API_AUTH_STRING=auth, **settings)
    log = folder / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(log, "wb"), start_new_session=True)
    try:
        api = f"http://127.0.0.1:{port}/api"
        _wait(f"{api}/health", server)  # open to all, by design (probes)
        yield AuthedServer(api, auth, log)
    finally:
        stop(server)
