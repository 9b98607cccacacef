"""A schedule that fires: `steplabel serve --cron` on a real Prefect server, and the scheduler
itself (not a manual trigger) creates a flow run that completes.

The scheduler loop and the runner's poll are shortened so the test waits for the next minute
boundary at most, not for Prefect's default 60 s loops on top.
"""

import os
import subprocess
import sys
import time

import httpx

from tests.flows.test_server import _wait
from tests.processes import free_port, stop


def test_a_served_cron_schedule_creates_a_run_that_completes(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, "STEPLABEL_STATE_DIR": str(tmp_path / "state"),
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2", "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    config = tmp_path / "c.toml"
    config.write_text(f'[run]\nname = "cron"\nstore = "{tmp_path / "store"}"\n[problems]\nlimit = 4\n'
                      '[generate]\nsamples = 2\n[label.mc]\nk = 2\n')
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "server.log", "wb"), start_new_session=True)
    runner = None
    try:
        _wait(f"{api}/health", server)
        runner = subprocess.Popen([sys.executable, "-m", "steplabel.cli", "serve", str(config), "--name",
                                   "every-minute", "--cron", "* * * * *"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "runner.log", "wb"), start_new_session=True)
        deadline = time.monotonic() + 150
        states: list[str] = []
        while time.monotonic() < deadline:
            runs = httpx.post(f"{api}/flow_runs/filter", json={
                "flow_runs": {"tags": {"all_": ["auto-scheduled"]}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 5}).json()
            states = [r["state"]["type"] for r in runs if r.get("deployment_id")]
            if "COMPLETED" in states or {"FAILED", "CRASHED"} & set(states):
                break
            if "Can't evaluate bulk DML" in (tmp_path / "server.log").read_text(errors="replace"):
                break
            time.sleep(2)
        log = (tmp_path / "server.log").read_text(errors="replace")
        assert "Can't evaluate bulk DML" not in log, "the server's scheduler fails (SQLAlchemy too new)"
        assert states, "the schedule created no flow run"
        assert "COMPLETED" in states, (f"no scheduled run completed: {states}\n"
                                       + (tmp_path / "runner.log").read_text(errors="replace")[-3000:])
        assert (tmp_path / "store" / "step_labels").exists()
    finally:
        stop(runner)
        stop(server)
