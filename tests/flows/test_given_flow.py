"""Given solutions through the Prefect flow: the same store as the stage functions give."""

import asyncio

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect
from tests.pipeline.test_given import rows_of, write


def test_flow_stores_given_solutions_and_top_ups_like_the_direct_path(prefect_server, tmp_path):
    from steplabel.flows.synthesize import synthesize

    data = write(tmp_path / "given.jsonl", rows_of("steps", n=4))
    over = {"problems.solutions": str(data), "run.batch_size": 2, "generate.samples": 3, "generate.top_up": True,
            "label.mc.k": 4, "label.labelers": ["mc", "verify"]}
    via_flow = load_config(None, {**over, "run.store": str(tmp_path / "flow")})
    state = asyncio.run(synthesize(via_flow.model_dump(), progress=False, return_state=True))
    assert state.is_completed()
    asyncio.run(run_direct(load_config(None, {**over, "run.store": str(tmp_path / "direct")})))
    for sql in ("SELECT rollout_id, origin, sample_index, text FROM rollouts ORDER BY 1",
                "SELECT rollout_id, labeler, step_index, label, first_error, status FROM step_labels ORDER BY 1, 2, 3"):
        flow_rows = connect(tmp_path / "flow").execute(sql).fetchall()
        assert flow_rows == connect(tmp_path / "direct").execute(sql).fetchall()
    origins = connect(tmp_path / "flow").execute("SELECT origin, count(*) FROM rollouts GROUP BY 1 ORDER BY 1")
    assert origins.fetchall() == [("generate", 4), ("given", 8)]
