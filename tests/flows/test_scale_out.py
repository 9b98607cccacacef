"""Batches on a 2-worker local Dask cluster give the same store as the default runner."""

import asyncio

import cloudpickle
import pytest

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest

pytest.importorskip("prefect_dask")

TABLES = {
    "rollouts": "SELECT rollout_id, problem_id, sample_index, text, final_answer, correct FROM rollouts ORDER BY 1",
    "steps": "SELECT rollout_id, step_index, text FROM steps ORDER BY 1, 2",
    "step_labels": "SELECT rollout_id, labeler, step_index, label, score, first_error, status, evidence "
                   "FROM step_labels ORDER BY 1, 2, 3",
    "quarantine": "SELECT location, reason FROM quarantine ORDER BY 1, 2",
}


def test_dask_cluster_gives_the_labels_of_the_default_runner(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client

    from steplabel.flows.synthesize import synthesize

    over = {"problems.limit": 30, "run.batch_size": 6, "generate.samples": 2, "label.mc.k": 4,
            "label.labelers": ["mc", "judge", "consensus"]}
    on_dask = load_config(None, {**over, "run.store": str(tmp_path / "dask"), "task_runner.kind": "dask",
                                 "task_runner.workers": 2, "task_runner.in_flight": 3})
    default = load_config(None, {**over, "run.store": str(tmp_path / "default")})
    assert on_dask.run_id() == default.run_id()  # where it runs does not change what it is

    state = asyncio.run(synthesize(on_dask.model_dump(), progress=False, return_state=True))
    assert state.is_completed(), state
    summary = state.result()
    asyncio.run(run_direct(default))

    a, b = connect(tmp_path / "dask"), connect(tmp_path / "default")
    for table, sql in TABLES.items():
        rows = a.execute(sql).fetchall()
        if table != "quarantine":
            assert rows, table
        assert rows == b.execute(sql).fetchall(), table
    assert summary["rollouts"] == 60 and set(summary["labelers"]) == {"mc", "judge", "consensus"}

    manifest = read_manifest(tmp_path / "dask", on_dask.run_id())
    assert manifest.status == "completed"
    # The workers' costs came back and were summed: every batch's MC requests are counted.
    direct_cost = read_manifest(tmp_path / "default", default.run_id()).cost
    assert manifest.cost["label:mc"]["requests"] == direct_cost["label:mc"]["requests"] > 0

    async def task_runs():
        async with get_client() as client:
            flow_run = {"flow_runs": {"id": {"any_": [manifest.flow_run_id]}}, "limit": 200}
            return (await client._client.post("/task_runs/filter", json=flow_run)).json()

    runs = asyncio.run(task_runs())
    names = [t["name"].rsplit("-", 1)[0] for t in runs]
    assert names.count("batch") == 5  # one task per batch, submitted through the Dask runner
    assert {"generate", "label", "consensus", "store"} <= set(names)  # nested in the batch tasks
    assert {t["state"]["type"] for t in runs} == {"COMPLETED"}


def test_ray_runner_gives_the_labels_of_the_default_runner(prefect_server, tmp_path):
    pytest.importorskip("prefect_ray")
    from steplabel.flows.synthesize import synthesize

    over = {"problems.limit": 12, "run.batch_size": 4, "generate.samples": 2, "label.mc.k": 4}
    on_ray = load_config(None, {**over, "run.store": str(tmp_path / "ray"), "task_runner.kind": "ray",
                                "task_runner.workers": 2})
    default = load_config(None, {**over, "run.store": str(tmp_path / "default")})
    state = asyncio.run(synthesize(on_ray.model_dump(), progress=False, return_state=True))
    assert state.is_completed(), state
    asyncio.run(run_direct(default))
    a, b = connect(tmp_path / "ray"), connect(tmp_path / "default")
    sql = TABLES["step_labels"]
    assert a.execute(sql).fetchall() == b.execute(sql).fetchall() != []


def test_dask_workers_write_an_s3_store(prefect_server, s3_bucket, tmp_path):
    """The deployment a cluster needs: workers in other processes write the shards to a store
    they all reach (here a local S3 server), and DuckDB reads it back."""
    from steplabel.flows.synthesize import synthesize

    over = {"problems.limit": 12, "run.batch_size": 4, "generate.samples": 2, "label.mc.k": 4}
    remote = load_config(None, {**over, "run.store": f"s3://{s3_bucket}/store", "task_runner.kind": "dask"})
    local = load_config(None, {**over, "run.store": str(tmp_path / "local")})
    state = asyncio.run(synthesize(remote.model_dump(), progress=False, return_state=True))
    assert state.is_completed(), state
    asyncio.run(run_direct(local))
    sql = TABLES["step_labels"]
    rows = connect(f"s3://{s3_bucket}/store").execute(sql).fetchall()
    assert rows and rows == connect(tmp_path / "local").execute(sql).fetchall()
    assert read_manifest(f"s3://{s3_bucket}/store", remote.run_id()).status == "completed"


class FakeRunner:
    """Stands in for a started task runner: runs each batch in a thread, failing the ones asked."""

    def __init__(self, fail=()):
        import threading

        self.fail, self.lock = set(fail), threading.Lock()
        self.submitted, self.out, self.most_out, self.finished = [], 0, 0, []

    def submit(self, task, parameters):
        import time

        runner, b = self, parameters["batch_index"]
        assert task.name == "batch" and isinstance(parameters["problems"], list)
        # Only data goes out (engines are built in the worker), and all of it pickles.
        assert set(parameters) == {"batch_index", "problems", "config", "run_id"}
        cloudpickle.dumps(parameters)
        assert parameters["config"].run.store.startswith("/")  # "relative/store", made absolute for workers
        with self.lock:
            self.submitted.append(b)
            self.out += 1
            self.most_out = max(self.most_out, self.out)

        class Future:
            def result(self):
                time.sleep(0.05)
                with runner.lock:
                    runner.out -= 1
                    runner.finished.append(b)
                if b in runner.fail:
                    raise RuntimeError(f"batch {b} lost its worker")
                return {"generate": {"requests": 10, "engine_calls": 1}, "label:mc:counters": {"rollouts": 4}}

        return Future()


def _run(runner, n_batches, in_flight):
    from steplabel.config import TaskRunnerSection
    from steplabel.pipeline.progress import ProgressBars
    from steplabel.flows.scale_out import DistributedBatches

    reports = []

    async def report(fraction, message):
        reports.append(fraction)

    config = load_config(None, {"run.store": "relative/store"})
    executor = DistributedBatches(runner, TaskRunnerSection(kind="dask", workers=2, in_flight=in_flight), report)
    cost = {}
    chunks = [[object()] for _ in range(n_batches)]
    error = None
    try:
        asyncio.run(executor.run_batches(chunks, config, "r", ProgressBars(False), lambda m: None, cost))
    except RuntimeError as exc:
        error = exc
    return cost, reports, error


def test_distributed_executor_bounds_batches_in_flight_and_sums_their_costs():
    runner = FakeRunner()
    cost, reports, error = _run(runner, 7, in_flight=3)
    assert error is None
    assert sorted(runner.submitted) == list(range(7)) and runner.most_out == 3
    assert cost["generate"] == {**cost["generate"], "requests": 70, "engine_calls": 7}
    assert cost["label:mc:counters"] == {"rollouts": 28}
    assert reports[-1] == 1.0 and reports == sorted(reports)


def test_after_a_failed_batch_nothing_more_is_submitted_and_the_rest_finish():
    runner = FakeRunner(fail={1})
    cost, _, error = _run(runner, 8, in_flight=2)
    assert "batch 1 lost its worker" in str(error)
    assert sorted(runner.finished) == sorted(runner.submitted)  # everything sent out came back
    assert len(runner.submitted) < 8  # and the rest were never sent
    assert cost["generate"]["requests"] == 10 * (len(runner.submitted) - 1)
