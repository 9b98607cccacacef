"""A real `prefect server start` on 127.0.0.1: serve a deployment, run it, read it back."""

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.processes import free_port, stop


def _wait(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the process exited early"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer in {seconds} s")


def test_deployment_runs_on_a_real_server_and_its_artifacts_read_back(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
    config = tmp_path / "c.toml"
    config.write_text(f'[run]\nname = "served"\nstore = "{tmp_path / "store"}"\n[problems]\nlimit = 10\n'
                      '[generate]\nsamples = 2\n[label.mc]\nk = 4\n')
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    runner = None
    try:
        _wait(f"{api}/health", server)
        runner = subprocess.Popen([sys.executable, "-m", "steplabel.cli", "serve", str(config), "--name",
                                   "test-serve", "--cron", "0 3 * * *"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        deployment = None
        while deployment is None and time.monotonic() < deadline:
            found = httpx.post(f"{api}/deployments/filter", json={"limit": 10}).json()
            deployment = next((d for d in found if d["name"] == "test-serve"), None)
            time.sleep(0.5)
        assert deployment, "the served deployment never registered"
        assert deployment["schedules"][0]["schedule"]["cron"] == "0 3 * * *"
        run = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", json={}).json()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = httpx.get(f"{api}/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(1)
        assert state == "COMPLETED"
        artifacts = httpx.post(f"{api}/artifacts/filter",
                               json={"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 50}).json()
        keys = {a["key"]: a for a in artifacts}
        assert keys["steplabel-summary"]["type"] == "table" and keys["steplabel-progress"]["data"] == 100.0
        assert (tmp_path / "store" / "step_labels").exists()
    finally:
        stop(runner)
        stop(server)
