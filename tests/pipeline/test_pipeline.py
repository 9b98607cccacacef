import asyncio
import json

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest


def config(store, **over):
    base = {"run.store": str(store), "problems.limit": 30, "run.batch_size": 10, "generate.samples": 2,
            "label.mc.k": 4}
    base.update(over)
    return load_config(None, base)


def table_rows(store, sql):
    return sorted(connect(store).execute(sql).fetchall())


LABELS = "SELECT rollout_id, step_index, labeler, label, score, first_error, status FROM step_labels"


def test_end_to_end_store_contents(tmp_path):
    cfg = config(tmp_path)
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path)
    assert summary["problems"] == 30 and summary["rollouts"] == 60
    assert con.execute("SELECT count(*) FROM rollouts").fetchone()[0] == 60
    # every step of every labeled rollout has exactly one mc label
    assert con.execute(
        "SELECT count(*) FROM steps s JOIN rollouts r USING (rollout_id) WHERE r.correct IS NOT NULL"
    ).fetchone()[0] == con.execute("SELECT count(*) FROM step_labels").fetchone()[0]
    assert con.execute(
        "SELECT count(*) FROM (SELECT rollout_id, step_index, count(*) c FROM step_labels GROUP BY 1, 2) WHERE c > 1"
    ).fetchone()[0] == 0
    # the ground truth is stored beside each synthetic rollout
    assert con.execute("SELECT count(*) FROM rollouts WHERE truth_first_error IS NULL").fetchone()[0] == 0
    m = read_manifest(tmp_path, cfg.run_id())
    assert m.status == "completed" and m.counts["rollouts"] == 60 and m.cost["generate"]["requests"] == 30
    assert m.cost["label:mc"]["mean_batch_size"] > 5  # the batching layer merged requests


def test_rerun_resumes_and_writes_no_duplicates(tmp_path):
    cfg = config(tmp_path)
    asyncio.run(run_direct(cfg))
    before = table_rows(tmp_path, LABELS)
    shards = sorted(p.name for p in tmp_path.rglob("*.parquet"))
    asyncio.run(run_direct(cfg))
    assert table_rows(tmp_path, LABELS) == before
    assert sorted(p.name for p in tmp_path.rglob("*.parquet")) == shards
    m = read_manifest(tmp_path, cfg.run_id())
    assert m.attempts == 2 and m.status == "completed"
    assert "generate" not in m.cost and "label:mc" not in m.cost  # nothing was generated again


def test_interrupted_run_finishes_with_the_same_rows(tmp_path):
    """Losing the last shards (as a kill would) costs only their batches on the rerun."""
    full = tmp_path / "full"
    asyncio.run(run_direct(config(full)))
    cut = tmp_path / "cut"
    cfg = config(cut)
    asyncio.run(run_direct(cfg))
    run_id = cfg.run_id()
    (cut / "step_labels" / f"run_id={run_id}" / "labeler=mc" / "part-00002.parquet").unlink()
    (cut / "rollouts" / f"run_id={run_id}" / "part-00002.parquet").unlink()
    (cut / "step_labels" / f"run_id={run_id}" / "labeler=mc" / "part-00001.parquet").unlink()
    asyncio.run(run_direct(cfg))
    for sql in (LABELS, "SELECT rollout_id, text, correct FROM rollouts", "SELECT * FROM steps"):
        assert table_rows(cut, sql) == table_rows(full, sql)
    m = read_manifest(cut, run_id)
    assert m.cost["generate"]["requests"] == 10  # only batch 2 was generated again


def test_bad_rows_are_quarantined_and_the_run_goes_on(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text("\n".join([
        json.dumps({"question": "Ava has 3 apples.", "answer": "#### 3", "id": "x"}),
        "{broken",
        json.dumps({"question": "dup", "answer": "1", "id": "x"}),
    ]) + "\n")
    cfg = config(tmp_path / "store", **{"problems.source": str(data)})
    summary = asyncio.run(run_direct(cfg))
    assert summary["problems"] == 1
    reasons = table_rows(tmp_path / "store", "SELECT stage, reason FROM quarantine")
    stages = [r[0] for r in reasons]
    # 2 bad rows at load; the one good problem is outside the sandbox world, so its 2 rollouts
    # have no final answer and are quarantined at generation
    assert stages.count("load") == 2 and stages.count("generate") == 2
    assert any("invalid JSON" in r for _, r in reasons) and any("duplicate" in r for _, r in reasons)
    assert summary["labelers"] == {}


def test_labels_do_not_depend_on_batch_size(tmp_path):
    """Math-Shepherd's rule labels each rollout on its own."""
    a = config(tmp_path / "a", **{"run.batch_size": 7, "label.mc.estimator": "any"})
    b = config(tmp_path / "b", **{"run.batch_size": 30, "label.mc.estimator": "any"})
    asyncio.run(run_direct(a))
    asyncio.run(run_direct(b))
    assert table_rows(tmp_path / "a", LABELS) == table_rows(tmp_path / "b", LABELS)


def test_noise_aware_labels_are_fitted_per_batch_and_reproducible(tmp_path):
    """Noise-aware MC fits its rates to the counts of one batch, so another batching may
    change a few labels; the same batching always gives the same labels (resume, retry)."""
    a = config(tmp_path / "a", **{"run.batch_size": 15})
    again = config(tmp_path / "again", **{"run.batch_size": 15})
    b = config(tmp_path / "b", **{"run.batch_size": 30})
    for cfg in (a, again, b):
        asyncio.run(run_direct(cfg))
    assert table_rows(tmp_path / "a", LABELS) == table_rows(tmp_path / "again", LABELS)
    firsts = "SELECT rollout_id, any_value(first_error) FROM step_labels GROUP BY 1"
    fa, fb = dict(table_rows(tmp_path / "a", firsts)), dict(table_rows(tmp_path / "b", firsts))
    assert fa.keys() == fb.keys()
    assert sum(fa[k] == fb[k] for k in fa) >= 0.9 * len(fa)


def test_omegaprm_through_the_pipeline_stores_its_tree_and_solutions(tmp_path):
    cfg = config(tmp_path, **{"problems.limit": 12, "label.labelers": ["mc", "omegaprm"],
                              "label.omegaprm.rollout_budget": 80, "label.omegaprm.k": 4})
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path)
    origins = dict(con.execute("SELECT origin, count(*) FROM rollouts GROUP BY 1").fetchall())
    assert origins["generate"] == 24 and origins["omegaprm"] > 24
    # every label points at a stored rollout and a stored step
    assert con.execute(
        "SELECT count(*) FROM step_labels l ANTI JOIN steps s USING (rollout_id, step_index)"
    ).fetchone()[0] == 0
    # the tree: one root per problem that was not set aside, parents exist, budget respected
    per_problem = con.execute(
        "SELECT problem_id, sum(rollouts_spent) FROM trees GROUP BY 1").fetchall()
    assert per_problem and all(spent <= 80 for _, spent in per_problem)
    assert con.execute(
        "SELECT count(*) FROM trees t WHERE parent_id IS NOT NULL AND parent_id NOT IN "
        "(SELECT node_id FROM trees WHERE problem_id = t.problem_id)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM rollouts WHERE origin = 'omegaprm' AND truth_first_error IS NULL"
                       ).fetchone()[0] == 0
    assert summary["labelers"]["omegaprm"]["cost"]["rollouts"] > 0
    before = table_rows(tmp_path, LABELS)
    asyncio.run(run_direct(cfg))
    assert table_rows(tmp_path, LABELS) == before


def test_logic_world_with_tool_verification_and_an_overriding_refutation(tmp_path):
    cfg = config(tmp_path, **{"problems.source": "synthetic:logic", "problems.limit": 20,
                              "label.labelers": ["mc", "verify", "consensus"],
                              "label.consensus.policy": "override", "label.consensus.override": "verify"})
    summary = asyncio.run(run_direct(cfg))
    assert summary["problems"] == 20 and summary["has_truth"]
    verify = summary["labelers"]["verify"]
    assert verify["truth_agreement"] == 1.0  # Z3 decides exactly what makes a deduction wrong
    con = connect(tmp_path)
    # where verify refutes a step, the consensus follows it even when MC saw no error
    overridden = con.execute(
        "SELECT count(*) FROM (SELECT rollout_id, any_value(first_error) fe FROM step_labels "
        "WHERE labeler = 'verify' GROUP BY 1) v JOIN (SELECT rollout_id, any_value(first_error) fe, "
        "any_value(evidence) ev FROM step_labels WHERE labeler = 'consensus' GROUP BY 1) c USING (rollout_id) "
        "WHERE v.fe >= 0 AND c.fe = v.fe AND c.ev LIKE '%verify overrides%'").fetchone()[0]
    assert overridden > 0


def test_transformers_engine_end_to_end_with_token_id_continuations(tmp_path, tiny_model):
    cfg = config(tmp_path, **{"problems.limit": 6, "generate.samples": 2, "generate.max_tokens": 160,
                              "label.mc.k": 2, "label.mc.max_tokens": 120, "engine.kind": "transformers",
                              "engine.model": tiny_model, "problems.synthetic.max_steps": 4})
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path)
    assert con.execute("SELECT DISTINCT engine, model FROM rollouts").fetchall() == [("transformers", tiny_model)]
    assert summary["rollouts"] == 12
    # the store keeps the model's own token ids and where each step ends in them
    with_tokens = con.execute(
        "SELECT count(*) FROM steps s JOIN rollouts r USING (rollout_id) WHERE s.token_end IS NOT NULL "
        "AND r.token_ids IS NOT NULL").fetchone()[0]
    assert with_tokens > 0
    labeled = summary["labelers"].get("mc", {}).get("labeled_rollouts", 0)
    quarantined = con.execute("SELECT count(*) FROM quarantine WHERE stage = 'generate'").fetchone()[0]
    assert labeled + quarantined == 12 and labeled > 0
    assert con.execute("SELECT sum(rollouts) FROM step_labels").fetchone()[0] > 0
    # MC continued from the model's own token ids, not from re-tokenized text
    assert con.execute("SELECT count(*) FROM step_labels WHERE evidence LIKE '%\"token_prompt\": true%'"
                       ).fetchone()[0] > 0


def test_questions_the_policy_never_solves_are_counted_as_unsolved_not_refuted(tmp_path):
    """A policy that never gets a step right: MC's counts are all zero, so step 1 would look
    wrong; the run abstains on every such rollout instead and its summary says how many."""
    cfg = config(tmp_path, **{"problems.limit": 6, "run.batch_size": 6, "engine.sandbox.skill": 0.0,
                              "engine.sandbox.recovery": 0.0})
    summary = asyncio.run(run_direct(cfg))
    mc = summary["labelers"]["mc"]
    assert mc["unsolved_rollouts"] == summary["rollouts"] == 12
    assert mc["negative"] == 0 and mc["positive"] == 0  # no step claimed either way
    reasons = connect(tmp_path).execute(
        "SELECT DISTINCT json_extract_string(evidence, '$.reason') LIKE 'unsolved:%' FROM step_labels").fetchall()
    assert reasons == [(True,)]
    healthy = asyncio.run(run_direct(config(tmp_path / "healthy", **{"problems.limit": 6, "run.batch_size": 6})))
    assert healthy["labelers"]["mc"]["unsolved_rollouts"] == 0
