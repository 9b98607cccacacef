"""A rerun retries only what failed: problems whose generation failed and labels that
abstained because a request failed; everything else is kept as it is."""

import asyncio

import pytest

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage import connect, read_manifest
from tests.engines.fake_server import FakeOpenAIServer

SQL = {
    "rollouts": "SELECT rollout_id, text, correct FROM rollouts",
    "labels": "SELECT rollout_id, step_index, labeler, label, score, first_error, status FROM step_labels",
}


def config(store, server, **over):
    return load_config(None, {"run.store": str(store), "run.run_id": "retry", "problems.limit": 8,
                              "generate.samples": 2, "label.mc.k": 2, "engine.kind": "openai",
                              "engine.model": "sandbox", "engine.openai.base_url": server.base_url,
                              "engine.openai.max_retries": 0, "engine.openai.backoff_base_s": 0.01,
                              "label.labelers": ["mc", "judge", "consensus"],
                              "label.judge.engine.kind": "openai", "label.judge.engine.model": "sandbox",
                              "label.judge.engine.openai.base_url": server.base_url,
                              "label.judge.engine.openai.max_retries": 0,
                              # Every stage's first try fails whole here, by design: keep going.
                              "run.max_failed_share": 2.0, **over})


def snapshot(store):
    con = connect(store)
    return {k: sorted(con.execute(q).fetchall()) for k, q in SQL.items()}


def test_reruns_retry_only_failures_until_the_store_matches_a_clean_run(tmp_path):
    with FakeOpenAIServer() as healthy:
        asyncio.run(run_direct(config(tmp_path / "clean", healthy)))
    reference = snapshot(tmp_path / "clean")

    store = tmp_path / "faulty"
    with FakeOpenAIServer({"500": 1}) as flaky:  # every distinct prompt fails once
        asyncio.run(run_direct(config(store, flaky)))
        first = connect(store).execute("SELECT count(*) FROM quarantine WHERE reason LIKE 'engine error%'").fetchone()[0]
        assert first == 8  # no retries in the engine: every problem's generation failed
        requests_before = flaky.requests
        counted = []  # what the run summary (and `steplabel stats`) reports as left to retry
        for attempt in range(20):
            summary = asyncio.run(run_direct(config(store, flaky)))
            counted.append(sum(l["engine_failed_rollouts"] for l in summary["labelers"].values()))
            con = connect(store)
            failures = con.execute("SELECT count(*) FROM step_labels WHERE status = 'abstained' "
                                   "AND evidence LIKE '%error%'").fetchone()[0]
            failures += con.execute("SELECT count(*) FROM quarantine WHERE reason LIKE 'engine error%'").fetchone()[0]
            if not failures:
                break
        assert failures == 0, "reruns did not converge"
        assert counted[0] > 0 and counted[-1] == 0
        again = flaky.requests
        asyncio.run(run_direct(config(store, flaky)))  # nothing failed: a rerun asks nothing
        assert flaky.requests == again
    assert snapshot(store) == reference
    assert read_manifest(store, "retry").attempts == attempt + 3
    assert requests_before < again


@pytest.mark.parametrize("estimator", ["any", "noise_aware"])
def test_reruns_redo_omegaprm_trees_an_engine_error_left_incomplete(tmp_path, estimator):
    """With "any" the reruns end with exactly the uninterrupted store. Noise-aware labels are
    fitted on the problems labeled together: a rerun that redoes only the problems an engine
    error broke fits them with the kept problems' stored counts, but its searches draw other
    samples, so its labels may differ from an uninterrupted run's; it must still converge,
    redo every broken tree and duplicate nothing."""
    over = {"label.labelers": ["omegaprm"], "label.omegaprm.k": 4, "label.omegaprm.screen": 6,
            "label.omegaprm.rollout_budget": 40, "label.omegaprm.search_scope": "targets",
            "label.omegaprm.estimator": estimator}
    sql = {"labels": "SELECT rollout_id, step_index, label, score, first_error, status FROM step_labels",
           "sampled": "SELECT rollout_id, text, correct FROM rollouts WHERE origin = 'omegaprm'",
           "trees": "SELECT problem_id, node_id, depth, correct, total FROM trees"}

    def omega_snapshot(store):
        con = connect(store)
        return {k: sorted(con.execute(q).fetchall()) for k, q in sql.items()}

    with FakeOpenAIServer() as healthy:
        asyncio.run(run_direct(config(tmp_path / "clean", healthy, **over)))
    reference = omega_snapshot(tmp_path / "clean")
    assert reference["trees"] and reference["sampled"]

    store = tmp_path / "faulty"
    incomplete = "SELECT count(DISTINCT problem_id) FROM step_labels WHERE evidence LIKE '%tree_error%'"
    seen = []
    with FakeOpenAIServer({"500": 1}) as flaky:
        counted = []
        for attempt in range(30):
            summary = asyncio.run(run_direct(config(store, flaky, **over)))
            counted.append(summary["labelers"].get("omegaprm", {}).get("engine_failed_rollouts", 0))
            con = connect(store)
            seen.append(con.execute(incomplete).fetchone()[0])
            failed_generation = con.execute(
                "SELECT count(*) FROM quarantine WHERE reason LIKE 'engine error%'").fetchone()[0]
            if attempt and not seen[-1] and not failed_generation:
                break
        assert seen[-1] == 0, f"reruns did not converge: {seen}"
        assert max(seen) > 0  # the faults did leave trees incomplete, and reruns redid them
        assert max(counted) > 0 and counted[-1] == 0  # the summary counts what is left to retry
        again = flaky.requests
        asyncio.run(run_direct(config(store, flaky, **over)))
        assert flaky.requests == again  # every tree complete: a rerun asks nothing
    if estimator == "any":
        assert omega_snapshot(store) == reference
    # No duplicates: each label row once.
    con = connect(store)
    assert con.execute("SELECT count(*) - count(DISTINCT (rollout_id, step_index)) FROM step_labels").fetchone() == (0,)



@pytest.mark.parametrize("labeler,runner", [("mc", "direct"), ("omegaprm", "direct"), ("mc", "prefect")])
def test_a_rerun_fits_what_it_redoes_together_with_what_it_keeps(tmp_path, monkeypatch, request, labeler, runner):
    """Noise-aware labels come from a fit to the batch's counts. A rerun redoes only the
    rollouts (MC) or problems (OmegaPRM) left unlabeled; fitted alone, those few would rest on
    the prior. The kept ones join the fit with their stored counts (labelers/context.py)."""
    import steplabel.labelers.adaptive as adaptive
    import steplabel.labelers.pooling as pooling
    from steplabel.storage import batches as shards
    from steplabel.storage.shards import Store

    module = adaptive if labeler == "mc" else pooling
    real_fit, pools = module.fit, []
    monkeypatch.setattr(module, "fit", lambda pool, start: pools.append(list(pool)) or real_fit(pool, start=start))
    cfg = load_config(None, {"run.store": str(tmp_path), "run.run_id": "ctx", "problems.limit": 8,
                             "generate.samples": 2, "label.labelers": [labeler], "label.omegaprm.k": 4,
                             "label.omegaprm.rollout_budget": 40, "label.omegaprm.search_scope": "targets"})
    if runner == "prefect":  # the kept rollouts also reach the fit through the Prefect task
        request.getfixturevalue("prefect_server")
        from steplabel.flows.synthesize import synthesize

        def run():
            asyncio.run(synthesize(cfg.model_dump(), progress=False))
    else:
        def run():
            asyncio.run(run_direct(cfg))
    run()
    store = Store(tmp_path)
    labeled = shards.read_labeled(store, "ctx", 0, labeler)
    given = connect(tmp_path).execute("SELECT rollout_id FROM rollouts WHERE origin = 'generate'").fetchall()
    assert len(given) == 16
    problems = sorted({r.problem_id for r in labeled.labels})
    # Forget the labels of a quarter of the problems, as if their labeling had never finished.
    dropped = set(problems[: len(problems) // 4])
    labeled.labels = [r for r in labeled.labels if r.problem_id not in dropped]
    labeled.rollouts = [r for r in labeled.rollouts if r.problem_id not in dropped]
    labeled.steps = [r for r in labeled.steps if r.problem_id not in dropped]
    labeled.trees = [r for r in labeled.trees if r["problem_id"] not in dropped]
    shards.store_labels(store, "ctx", 0, labeler, labeled)
    pools.clear()
    run()
    assert pools, "the rerun labeled nothing"
    final = {tuple(o.total) for o in pools[-1]}
    # every rollout of the batch is in the rerun's last fit, the redone ones and the kept ones
    assert len(pools[-1]) >= len(given), (len(pools[-1]), len(given))
    assert any(sum(t) for t in final)
    relabeled = shards.read_labels(store, "ctx", 0, labeler)
    assert {r.problem_id for r in relabeled} == set(problems)
