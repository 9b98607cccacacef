"""Prefect's own authentication, as docker-compose switches it on: a real server started with
an auth string refuses every request without it (401); `steplabel serve` and a flow run with
the right credentials succeed; a client without them gets one line and exit 2.

One server for the module (it takes seconds to start on 2 cores).
"""

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.flows.authed_server import authed_prefect_server
from tests.processes import stop

AUTH = "admin:tEst-auth-6b1f"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with authed_prefect_server(tmp_path_factory.mktemp("authed"), AUTH) as server:
        yield server


def _config(folder, name: str) -> str:
    path = folder / f"{name}.toml"
    path.write_text(f'[run]\nname = "{name}"\nstore = "{folder / "store"}"\n[problems]\nlimit = 4\n'
                    '[generate]\nsamples = 2\n[label.mc]\nk = 2\n')
    return str(path)


@pytest.mark.parametrize("auth", [None, ("admin", "wrong"), ("someone", AUTH.partition(":")[2]), AUTH])
def test_the_api_refuses_a_request_without_the_auth_string(server, auth):
    user_password = tuple(auth.split(":", 1)) if isinstance(auth, str) else auth
    response = httpx.post(f"{server.api}/flows/filter", json={}, auth=user_password, timeout=30)
    assert response.status_code == (200 if auth == AUTH else 401)
    # A bearer token is not the auth string either.
    assert httpx.post(f"{server.api}/flows/filter", json={}, timeout=30,
                      headers={"Authorization": f"Bearer {AUTH}"}).status_code == 401
    # Probes stay open; the UI's settings say it must ask for the auth string (its login page).
    assert httpx.get(f"{server.api}/health", timeout=30).status_code == 200
    assert httpx.get(server.api.removesuffix("/api") + "/ui-settings", timeout=30).json()["auth"] == "BASIC"


@pytest.mark.parametrize("command, auth", [("serve", None), ("run", "admin:wrong")])
def test_a_client_without_the_credentials_gets_one_line_and_exit_2(server, tmp_path, command, auth):
    env = server.env(PREFECT_HOME=str(tmp_path / "prefect"), STEPLABEL_STATE_DIR=str(tmp_path / "state"))
    env.pop("PREFECT_API_AUTH_STRING")
    if auth:
        env["PREFECT_API_AUTH_STRING"] = auth
    done = subprocess.run([sys.executable, "-m", "steplabel.cli", command, _config(tmp_path, command)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refused the credentials (HTTP 401)" in done.stderr and "PREFECT_API_AUTH_STRING" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 3
    assert not (tmp_path / "store").exists()  # nothing started


def test_serve_and_a_flow_run_with_the_credentials_complete(server, tmp_path):
    env = server.env(PREFECT_HOME=str(tmp_path / "prefect"), STEPLABEL_STATE_DIR=str(tmp_path / "state"))
    runner = subprocess.Popen([sys.executable, "-m", "steplabel.cli", "serve", _config(tmp_path, "authed"),
                               "--name", "authed-serve", "--cron", "0 3 * * *"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "runner.log", "wb"),
                              start_new_session=True)
    try:
        with server.client() as api:
            deadline = time.monotonic() + 90
            deployment = None
            while deployment is None and time.monotonic() < deadline:
                assert runner.poll() is None, (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
                found = api.post("/deployments/filter", json={"limit": 10}).json()
                deployment = next((d for d in found if d["name"] == "authed-serve"), None)
                time.sleep(0.5)
            assert deployment, "the served deployment never registered"
            run = api.post(f"/deployments/{deployment['id']}/create_flow_run", json={}).json()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
                if state in ("COMPLETED", "FAILED", "CRASHED"):
                    break
                time.sleep(1)
            assert state == "COMPLETED", (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
            # The run reported through the authenticated API: its artifacts and (sent in the
            # background, so awaited) its logs are on the server.
            artifacts = api.post("/artifacts/filter",
                                 json={"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 50}).json()
            assert {"steplabel-summary", "steplabel-progress"} <= {a["key"] for a in artifacts}
            deadline = time.monotonic() + 30
            while not (logs := api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"]]}},
                                                               "limit": 10}).json()) and time.monotonic() < deadline:
                time.sleep(1)
            assert logs, (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
        assert (tmp_path / "store" / "step_labels").exists()
    finally:
        stop(runner)


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path):
    from tests.processes import free_port

    api = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "prefect"),
           "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-m", "steplabel.cli", "serve", _config(tmp_path, "down")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"cannot reach the Prefect API at {api}" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
