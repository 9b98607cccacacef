"""The shipped prefect.yaml on a real server: `prefect deploy --all` creates both deployments,
the server's scheduler creates their runs, and a scheduled run executes on a worker and completes.

The nightly schedule's next run is hours away: the test moves that run (created by the
scheduler, not by hand) to now through Prefect's state API, as an operator would to run
tonight's job early, then a process worker of the shipped pool picks it up.
"""

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.flows.test_server import _wait
from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]


def _poll(predicate, seconds: float, every: float = 1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


def test_prefect_deploy_all_then_a_scheduled_run_completes_on_a_worker(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "home"  # STEPLABEL_HOME: the project as the pull step sees it, its store inside
    home.mkdir()
    (home / "src").symlink_to(ROOT / "src")
    shutil.copy(ROOT / "prefect.yaml", home / "prefect.yaml")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, "STEPLABEL_HOME": str(home), "STEPLABEL_STATE_DIR": str(tmp_path / "state"),
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2", "PREFECT_WORKER_QUERY_SECONDS": "2"}
    server = subprocess.Popen([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    worker = None
    try:
        _wait(f"{api}/health", server)
        subprocess.run([*PREFECT, "work-pool", "create", "steplabel-process", "--type", "process"], env=env,
                       check=True, capture_output=True, timeout=120)
        deploy = subprocess.run([*PREFECT, "--no-prompt", "deploy", "--all"], cwd=home, env=env,
                                capture_output=True, text=True, timeout=300)
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        found = {d["name"]: d for d in httpx.post(f"{api}/deployments/filter", json={}).json()}
        assert set(found) == {"nightly-synthesize", "nightly-export"}
        nightly = found["nightly-synthesize"]
        assert nightly["schedules"][0]["schedule"]["cron"] == "0 2 * * *"

        def scheduled():
            runs = httpx.post(f"{api}/flow_runs/filter", json={
                "deployments": {"id": {"any_": [nightly["id"]]}}, "flow_runs": {"tags": {"all_": ["auto-scheduled"]}},
                "sort": "EXPECTED_START_TIME_ASC", "limit": 3}).json()
            return runs
        runs = _poll(scheduled, 60)
        assert runs, "the scheduler created no run of nightly-synthesize"
        run = runs[0]
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        moved = httpx.post(f"{api}/flow_runs/{run['id']}/set_state", json={
            "state": {"type": "SCHEDULED", "name": "Scheduled", "state_details": {"scheduled_time": now}},
            "force": True})
        assert moved.status_code in (200, 201), moved.text
        worker = subprocess.Popen([*PREFECT, "worker", "start", "--pool", "steplabel-process", "--type", "process"],
                                  cwd=home, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "worker.log", "wb"), start_new_session=True)

        def finished():
            state = httpx.get(f"{api}/flow_runs/{run['id']}").json()["state"]["type"]
            return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
        state = _poll(finished, 420, every=2)
        assert state == "COMPLETED", (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        assert (home / "store" / "step_labels").is_dir()  # the shipped config's relative store, under STEPLABEL_HOME
    finally:
        stop(worker)
        stop(server)
