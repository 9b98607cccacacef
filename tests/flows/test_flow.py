"""The Prefect flow, on Prefect's test harness (one per session: it costs ~10 s to start)."""

import asyncio

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest


def test_flow_stores_the_same_labels_as_the_stage_functions_and_publishes_artifacts(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client

    from steplabel.flows.synthesize import synthesize

    over = {"problems.limit": 24, "run.batch_size": 8, "generate.samples": 2, "label.mc.k": 4,
            "label.labelers": ["mc", "judge", "consensus"]}
    via_flow = load_config(None, {**over, "run.store": str(tmp_path / "flow")})
    direct = load_config(None, {**over, "run.store": str(tmp_path / "direct")})
    state = asyncio.run(synthesize(via_flow.model_dump(), progress=False, return_state=True))
    assert state.is_completed()
    summary = state.result()
    asyncio.run(run_direct(direct))
    sql = "SELECT rollout_id, labeler, step_index, label, score, first_error, status FROM step_labels ORDER BY 1, 2, 3"
    assert connect(tmp_path / "flow").execute(sql).fetchall() == connect(tmp_path / "direct").execute(sql).fetchall()
    assert summary["rollouts"] == 48
    assert set(summary["labelers"]) == {"mc", "judge", "consensus"}
    kept = summary["agreement"]["consensus"]["retained"]
    assert 0 < kept < summary["agreement"]["consensus"]["rollouts"]
    heatmap = tmp_path / "flow" / "reports" / f"run_id={via_flow.run_id()}" / "agreement-judge-mc.png"
    assert heatmap.read_bytes().startswith(b"\x89PNG")

    manifest = read_manifest(tmp_path / "flow", via_flow.run_id())
    assert manifest.status == "completed" and manifest.flow_run_id == str(state.state_details.flow_run_id)

    # Read back through the REST API (this client version sends nulls its server refuses).
    async def read_back():
        async with get_client() as client:
            flow_run = {"flow_runs": {"id": {"any_": [manifest.flow_run_id]}}, "limit": 200}
            found = await client._client.post("/artifacts/filter", json=flow_run)
            runs = await client._client.post("/task_runs/filter", json=flow_run)
            return found.json(), runs.json()

    found, task_runs = asyncio.run(read_back())
    by_key = {a["key"]: a for a in found}
    assert by_key["steplabel-summary"]["type"] == "table"
    assert "first-error distribution" in str(by_key["steplabel-summary"]["data"])
    assert by_key["steplabel-progress"]["type"] == "progress"
    assert by_key["steplabel-progress"]["data"] == 100.0
    assert by_key["steplabel-agreement"]["type"] == "table"
    assert "judge vs mc" in str(by_key["steplabel-agreement"]["data"])
    names = {t["name"].rsplit("-", 1)[0] for t in task_runs}
    assert {"generate", "label", "consensus", "store"} <= names
