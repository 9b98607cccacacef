"""A run that can only produce nothing fails, loudly: an engine that cannot serve the run stops
it before the first batch (exit 2), an engine that breaks mid-run stops it after the batch
(exit 1, manifest failed), and the rerun resumes to the store an uninterrupted run writes."""

import asyncio

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest
from tests.engines.fake_server import FakeOpenAIServer

runner = CliRunner()
SQL = {
    "rollouts": "SELECT rollout_id, text, correct FROM rollouts",
    "labels": "SELECT rollout_id, step_index, labeler, label, score, first_error, status FROM step_labels",
    "quarantine": "SELECT location, reason FROM quarantine",
}


def openai_args(store, base_url, model="sandbox", *extra):
    return ["run", "--no-prefect", "--store", str(store), "--run-id", "ff", "--limit", "8", "--samples", "2",
            "--engine", "openai", "--model", model, "--labelers", "mc,judge,consensus", "--json", *extra]


def write_config(path, base_url, judge_url=None, batch_size=100):
    """Policy and judge on the given servers, no retries (a failure is a failure at once)."""
    path.write_text(f"""
[run]
batch_size = {batch_size}
[engine.openai]
base_url = "{base_url}"
max_retries = 0
backoff_base_s = 0.01
[label.mc]
k = 2
[label.judge.engine]
kind = "openai"
model = "sandbox"
[label.judge.engine.openai]
base_url = "{judge_url or base_url}"
max_retries = 0
""")
    return path


def snapshot(store):
    con = connect(store)
    return {k: sorted(con.execute(q).fetchall()) for k, q in SQL.items()}


def test_unreachable_server_exits_2_before_anything_is_generated(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    result = runner.invoke(app, [*openai_args(tmp_path / "s", "http://127.0.0.1:9"), str(cfg)])
    assert result.exit_code == 2, result.output
    assert "cannot reach the OpenAI-compatible server at http://127.0.0.1:9" in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    manifest = read_manifest(tmp_path / "s", "ff")
    assert manifest.status == "failed" and "cannot reach" in manifest.error
    assert not (tmp_path / "s" / "rollouts").exists()


def test_a_model_the_server_does_not_serve_exits_2(tmp_path):
    with FakeOpenAIServer() as server:
        cfg = write_config(tmp_path / "c.toml", server.base_url)
        result = runner.invoke(app, [*openai_args(tmp_path / "s", server.base_url, "Qwen/Qwen2.5-Math-7B"), str(cfg)])
    assert result.exit_code == 2, result.output
    assert "does not serve model 'Qwen/Qwen2.5-Math-7B' (it serves: 'sandbox')" in result.output.replace("\n", " ")
    assert server.requests == 0  # no completion was asked for
    assert read_manifest(tmp_path / "s", "ff").status == "failed"


def test_the_judges_own_engine_is_checked_too(tmp_path):
    with FakeOpenAIServer() as server:
        cfg = write_config(tmp_path / "c.toml", server.base_url, judge_url="http://127.0.0.1:9")
        result = runner.invoke(app, [*openai_args(tmp_path / "s", server.base_url), str(cfg)])
    assert result.exit_code == 2 and "http://127.0.0.1:9" in result.output
    assert server.requests == 0


def test_base_url_ending_in_v1_runs(tmp_path):
    with FakeOpenAIServer() as server:
        cfg = write_config(tmp_path / "c.toml", server.base_url + "/v1")
        result = runner.invoke(app, [*openai_args(tmp_path / "s", server.base_url), str(cfg)])
    assert result.exit_code == 0, result.output
    assert read_manifest(tmp_path / "s", "ff").status == "completed"
    assert connect(tmp_path / "s").execute("SELECT count(*) FROM rollouts").fetchone()[0] == 16
    assert all(path.split()[1].startswith("/v1/") and "/v1/v1" not in path for path in server.paths)


def test_a_server_that_breaks_mid_run_fails_the_run_and_the_rerun_completes_it(tmp_path):
    with FakeOpenAIServer() as healthy:
        clean = write_config(tmp_path / "clean.toml", healthy.base_url, batch_size=4)
        assert runner.invoke(app, [*openai_args(tmp_path / "clean", healthy.base_url), str(clean)]).exit_code == 0
    reference = snapshot(tmp_path / "clean")

    from steplabel.pipeline.stages import source_spec
    from steplabel.problems.sources import load_problems

    second_batch = [p.question for p in load_problems(source_spec(load_config(None, {"problems.limit": 8}))).problems[4:]]
    assert len(second_batch) == 4
    # The server goes down at the first request about a problem of the second batch.
    breaks = lambda payload: any(q in str(payload.get("prompt") or payload.get("messages")) for q in second_batch)  # noqa: E731
    store = tmp_path / "store"
    with FakeOpenAIServer(break_when=breaks) as server:
        cfg = write_config(tmp_path / "c.toml", server.base_url, batch_size=4)
        failed = runner.invoke(app, [*openai_args(store, server.base_url), str(cfg)])
        assert failed.exit_code == 1, failed.output
        message = failed.output.replace("\n", " ")
        assert "run failed: batch 1, generate: 4 of 4 engine requests failed" in message
        assert "cannot write to the store" not in message
        manifest = read_manifest(store, "ff")
        assert manifest.status == "failed" and "max_failed_share" in manifest.error
        # The first batch is stored whole and stays.
        con = connect(store)
        assert con.execute("SELECT count(DISTINCT problem_id) FROM rollouts").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM step_labels WHERE labeler = 'consensus'").fetchone()[0] > 0

        server.broken = False  # the server is back
        done = runner.invoke(app, [*openai_args(store, server.base_url), str(cfg)])
    assert done.exit_code == 0, done.output
    manifest = read_manifest(store, "ff")
    assert manifest.status == "completed" and manifest.attempts == 2
    assert snapshot(store) == reference


def test_max_failed_share_above_1_lets_a_failing_run_complete(tmp_path):
    with FakeOpenAIServer({"500": 1}) as flaky:  # every prompt fails once: every request of the run's first try
        cfg = load_config(None, {"run.store": str(tmp_path / "s"), "problems.limit": 4, "generate.samples": 2,
                                 "engine.kind": "openai", "engine.model": "sandbox",
                                 "engine.openai.base_url": flaky.base_url, "engine.openai.max_retries": 0,
                                 "run.max_failed_share": 2.0})
        summary = asyncio.run(run_direct(cfg))
        assert summary["quarantined"] == 4
        assert read_manifest(tmp_path / "s", cfg.run_id()).status == "completed"
        strict = cfg.model_copy(update={"run": cfg.run.model_copy(update={"max_failed_share": 0.5})})
        assert strict.run_id() == cfg.run_id()  # the threshold does not change what a run makes


def test_a_model_that_does_not_load_exits_2_and_does_not_blame_the_store(tmp_path):
    pytest.importorskip("transformers")
    result = runner.invoke(app, ["run", "--no-prefect", "--store", str(tmp_path / "s"), "--engine", "transformers",
                                 "--model", str(tmp_path / "no-such-model"), "--limit", "2"])
    assert result.exit_code == 2, result.output
    message = result.output.replace("\n", " ")
    assert "cannot load the transformers model" in message and "no-such-model" in message
    assert "store" not in message.split("error:", 1)[1]


def test_an_oserror_that_is_not_the_stores_is_not_reported_as_the_stores(tmp_path, monkeypatch):
    from steplabel.pipeline import stages

    async def broken(*args, **kwargs):
        raise OSError(28, "No space left on device", "/tmp/model-cache/weights.bin")

    monkeypatch.setattr(stages, "generate_stage", broken)
    result = runner.invoke(app, ["run", "--no-prefect", "--store", str(tmp_path / "s"), "--limit", "2"])
    assert result.exit_code == 1
    message = result.output.replace("\n", " ")
    assert "run failed: OSError" in message and "model-cache" in message
    assert "cannot write to the store" not in message


def test_prefect_flow_runs_of_failing_runs_end_failed_named_after_the_run(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client

    from steplabel.flows.synthesize import synthesize

    def config(store, base_url, **over):
        return load_config(None, {"run.store": str(store), "problems.limit": 8, "run.batch_size": 4,
                                  "generate.samples": 2, "label.mc.k": 2, "engine.kind": "openai",
                                  "engine.model": "sandbox", "engine.openai.base_url": base_url,
                                  "engine.openai.max_retries": 0, **over})

    unreachable = config(tmp_path / "a", "http://127.0.0.1:9", **{"engine.openai.backoff_base_s": 0.01})
    state = asyncio.run(synthesize(unreachable.model_dump(), progress=False, return_state=True))
    assert state.is_failed()
    with pytest.raises(Exception, match="cannot reach"):
        state.result()

    async def name_of(flow_run_id):
        async with get_client() as client:
            return (await client.read_flow_run(flow_run_id)).name

    assert asyncio.run(name_of(state.state_details.flow_run_id)) == unreachable.run_id()
    assert read_manifest(tmp_path / "a", unreachable.run_id()).status == "failed"

    with FakeOpenAIServer(break_when=lambda payload: True) as server:  # down from its first completion
        broken = config(tmp_path / "b", server.base_url)
        state = asyncio.run(synthesize(broken.model_dump(), progress=False, return_state=True))
    assert state.is_failed()
    manifest = read_manifest(tmp_path / "b", broken.run_id())
    assert manifest.status == "failed" and "batch 0, generate: 4 of 4 engine requests failed" in manifest.error
    assert manifest.flow_run_id == str(state.state_details.flow_run_id)


def test_the_prefect_cli_path_exits_2_with_one_paragraph_and_no_traceback(tmp_path):
    import os
    import subprocess
    import sys

    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9/v1")
    env = {**os.environ, "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-m", "steplabel.cli", "run", str(cfg), "--engine", "openai", "--model",
                           "sandbox", "--store", str(tmp_path / "s"), "--limit", "2", "--run-id", "ff"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "error: cannot reach the OpenAI-compatible server at http://127.0.0.1:9 " in done.stderr
    assert "Traceback" not in done.stderr
    assert "Flow run 'ff'" in done.stderr and "Finished in state Failed" in done.stderr
    assert read_manifest(tmp_path / "s", "ff").status == "failed"


@pytest.mark.parametrize("failed, requests, share, stops", [
    (4, 4, 1.0, True), (3, 4, 1.0, False), (2, 4, 0.5, True), (1, 4, 0.5, False),
    (1, 100, 0.0, True), (0, 4, 0.0, False), (4, 4, 2.0, False), (0, 0, 1.0, False),
])
def test_the_failed_share_threshold(failed, requests, share, stops):
    from steplabel.pipeline.health import TooManyFailedRequests, check_failures

    cost = {"requests": requests, "failed_requests": failed}
    if stops:
        with pytest.raises(TooManyFailedRequests, match=f"{failed} of {requests} engine requests failed"):
            check_failures("batch 0, generate", cost, share)
    else:
        check_failures("batch 0, generate", cost, share)


def test_local_models_are_loaded_by_the_check_only_where_the_batches_run(tmp_path):
    pytest.importorskip("transformers")
    from steplabel.engines import EngineUnavailable
    from steplabel.pipeline.health import check_engines

    over = {"engine.kind": "transformers", "engine.model": str(tmp_path / "missing")}
    with pytest.raises(EngineUnavailable, match="cannot load the transformers model"):
        asyncio.run(check_engines(load_config(None, over)))
    # On Dask workers: each worker loads it (and fails its batch); the flow's process does not.
    asyncio.run(check_engines(load_config(None, {**over, "task_runner.kind": "dask"})))
