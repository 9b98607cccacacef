"""The Prefect UI, in headless Chromium: the run and its summary artifact are there to see.

Needs Chromium (`apt-get install chromium`; `.ci/run` installs it). Screenshots are saved
under the test's output folder.
"""

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from tests.processes import free_port, stop

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def browse(url: str, profile, *, screenshot=None, budget_ms: int = 15000) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1400,900", f"--virtual-time-budget={budget_ms}"]
    if screenshot:
        subprocess.run([CHROMIUM, *flags, f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    return subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout


def wait_for(text: str, url: str, profile, tries: int = 6) -> str:
    """Load the page until ``text`` shows (the UI renders asynchronously), longer each time."""
    dom = ""
    for attempt in range(tries):
        dom = browse(url, profile, budget_ms=10000 * (attempt + 1))
        if text in dom:
            return dom
    pytest.fail(f"{text!r} never appeared on {url}")


def test_the_ui_shows_the_run_and_its_summary(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api, "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)
        done = subprocess.run([sys.executable, "-m", "steplabel.cli", "run", "--store", str(tmp_path / "store"),
                               "--limit", "8", "--samples", "2"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        (run,) = httpx.post(f"{api}/flow_runs/filter", json={"limit": 5}).json()
        summary = next(a for a in httpx.post(f"{api}/artifacts/filter", json={"limit": 20}).json()
                       if a["key"] == "steplabel-summary")
        profile = tmp_path / "chromium"
        wait_for(run["name"], f"http://127.0.0.1:{port}/runs", profile)
        browse(f"http://127.0.0.1:{port}/runs", profile, screenshot=tmp_path / "runs.png")
        artifact_url = f"http://127.0.0.1:{port}/artifacts/artifact/{summary['id']}"
        wait_for("first-error distribution", artifact_url, profile)
        browse(artifact_url, profile, screenshot=tmp_path / "summary.png")
        for shot in ("runs.png", "summary.png"):
            assert (tmp_path / shot).read_bytes().startswith(b"\x89PNG")
        print(f"screenshots: {tmp_path / 'runs.png'}, {tmp_path / 'summary.png'}")
    finally:
        stop(server)
