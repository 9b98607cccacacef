"""``run --solutions``: given solutions stored with origin 'given', labeled, exported, resumed;
the same labels as ``eval``; rows that cannot be used quarantined with their file and line."""

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.evaluation.evaluate import evaluate, load_records
from steplabel.pipeline.run import run_direct
from steplabel.problems.worlds import arith
from steplabel.registry import LABELERS, export_format
from steplabel.storage import connect, read_manifest
from steplabel.storage.export import export

runner = CliRunner()
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-steps"
BBM = REAL / "bbm-multistep_arithmetic.dev.jsonl"
needs_shared = pytest.mark.skipif(not BBM.is_file(), reason="../shared/data/real-steps is not here")


def world_solutions(n=4, seed=9):
    """(question, answer, right steps, steps with a slip in the last one) of arithmetic problems."""
    out = []
    for p in arith.generate_problems(n, seed=seed):
        steps = p.reference_solution().split("\n\n")
        bad = list(steps)
        y = arith.stated_result(bad[-1])
        bad[-1] = bad[-1].replace(arith.fmt(y), arith.fmt(y + 1))
        out.append((p.question(), p.answer, steps, bad))
    return out


def ms_row(question, steps, marks):
    pieces = f"{question} " + "\n".join(f"Step {i + 1}: {s} ки" for i, s in enumerate(steps))
    parts = pieces.split("ки")
    return {"input": pieces, "label": "".join(p + m for p, m in zip(parts, marks)) + parts[-1]}


def rows_of(shape, n=4):
    rows = []
    for i, (q, answer, good, bad) in enumerate(world_solutions(n)):
        for kind, steps, label in (("good", good, -1), ("bad", bad, len(bad) - 1)):
            if shape == "steps":
                rows.append({"id": f"{kind}-{i}", "problem": q, "steps": steps, "answer": answer, "label": label})
            elif shape == "text":
                rows.append({"id": f"{kind}-{i}", "question": q, "response": "\n\n".join(steps), "answer": answer})
            else:
                rows.append(ms_row(q, steps, "+" * (len(steps) - 1) + ("+" if label < 0 else "-")))
    return rows


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def config(store, solutions, **over):
    return load_config(None, {"run.store": str(store), "problems.solutions": str(solutions), "run.batch_size": 3,
                              "label.labelers": ["verify"], **over})


def given_ids(store):
    """rollout id -> the row's own id (or its content id)."""
    return dict(connect(store).execute(
        "SELECT rollout_id, json_extract_string(sampling, '$.id') FROM rollouts WHERE origin = 'given'").fetchall())


@pytest.mark.parametrize("shape", ["steps", "text", "math-shepherd"])
def test_each_shape_goes_through_the_store_and_the_trl_export(tmp_path, shape):
    rows = rows_of(shape)
    data = write(tmp_path / "given.jsonl", rows)
    summary = asyncio.run(run_direct(config(tmp_path / "store", data)))
    assert summary["problems"] == 4 and summary["rollouts"] == 8 and summary["quarantined"] == 0
    con = connect(tmp_path / "store")
    assert con.execute("SELECT DISTINCT origin, engine FROM rollouts").fetchall() == [("given", "given")]
    # Every given step is stored as written and labeled once.
    stored = con.execute("SELECT r.rollout_id, list(s.text ORDER BY s.step_index) FROM rollouts r "
                         "JOIN steps s USING (rollout_id) GROUP BY 1").fetchall()
    written = sorted(tuple(steps) for _, _, good, bad in world_solutions() for steps in (good, bad))
    assert sorted(tuple(steps) for _, steps in stored) == written
    assert con.execute("SELECT count(*) FROM step_labels").fetchone()[0] == sum(map(len, written))
    # The right solutions are verified throughout, the slipped ones refuted at their last step.
    result = export(tmp_path / "store", tmp_path / "trl", export_format("trl"))
    assert result.rows == 8
    ds = [json.loads(line) for line in
          con.execute("SELECT to_json(t) FROM read_parquet(?) t", [str(tmp_path / "trl/data/default/*.parquet")])
          .fetchall() for line in line]
    questions = {q for q, *_ in world_solutions()}
    for row in ds:
        assert row["prompt"] in questions
        assert row["labels"] == [True] * (len(row["labels"]) - 1) + [row["labels"][-1]]
    assert sorted(row["labels"][-1] for row in ds) == [False] * 4 + [True] * 4
    assert sorted(len(row["completions"]) for row in ds) == sorted(map(len, written))
    if shape != "text":  # the rows' own labels are kept as ground truth (never shown to labelers)
        truth = con.execute("SELECT count(*) FROM rollouts WHERE truth_first_error IS NOT NULL").fetchone()[0]
        assert truth == 8 and summary["labelers"]["verify"]["truth_agreement"] == 1.0


def test_a_trl_export_is_read_back_as_given_solutions(tmp_path):
    data = write(tmp_path / "given.jsonl", rows_of("steps"))
    asyncio.run(run_direct(config(tmp_path / "store", data)))
    export(tmp_path / "store", tmp_path / "trl", export_format("trl"))
    (shard,) = (tmp_path / "trl" / "data" / "default").glob("*.parquet")
    again = asyncio.run(run_direct(config(tmp_path / "again", shard)))
    assert again["rollouts"] == 8 and again["quarantined"] == 0
    # The exported labels became the rows' human labels; verify labels them the same way again.
    assert again["labelers"]["verify"]["truth_agreement"] == 1.0
    assert set(given_ids(tmp_path / "again").values()) == set(given_ids(tmp_path / "store"))


def test_a_rerun_resumes_and_the_file_content_is_part_of_the_run_id(tmp_path):
    data = write(tmp_path / "given.jsonl", rows_of("steps"))
    cfg = config(tmp_path / "store", data)
    run_id = cfg.run_id()
    asyncio.run(run_direct(cfg))
    shards = sorted(p.name for p in (tmp_path / "store").rglob("*.parquet"))
    asyncio.run(run_direct(cfg))
    assert sorted(p.name for p in (tmp_path / "store").rglob("*.parquet")) == shards
    assert read_manifest(tmp_path / "store", run_id).attempts == 2
    write(data, rows_of("steps")[:-1])  # the same file name, another content: another run
    assert config(tmp_path / "store", data).run_id() != run_id
    other = write(tmp_path / "copy.jsonl", rows_of("steps"))
    assert config(tmp_path / "store", other).run_id() != run_id  # the path counts too


def test_labelers_that_need_the_answer_quarantine_rows_without_one(tmp_path):
    rows = rows_of("steps", n=3)
    for row in rows[:2]:
        del row["answer"]  # the first problem's two solutions have no reference answer
    data = write(tmp_path / "given.jsonl", rows)
    cfg = config(tmp_path / "store", data, **{"label.labelers": ["mc", "verify"], "label.mc.k": 4})
    asyncio.run(run_direct(cfg))
    con = connect(tmp_path / "store")
    quarantined = con.execute("SELECT location, stage, reason FROM quarantine ORDER BY location").fetchall()
    assert [q[0] for q in quarantined] == [f"{data}:1", f"{data}:2"]
    assert all(q[1] == "label" and "not labeled by mc" in q[2] and "no reference answer" in q[2] for q in quarantined)
    labeled = dict(con.execute("SELECT labeler, count(DISTINCT rollout_id) FROM step_labels GROUP BY 1").fetchall())
    assert labeled == {"mc": 4, "verify": 6}  # verify needs no answer
    assert con.execute("SELECT count(*) FROM step_labels WHERE labeler = 'mc' AND rollouts > 0").fetchone()[0] > 0


def test_top_up_samples_the_rest_with_the_policy(tmp_path):
    data = write(tmp_path / "given.jsonl", rows_of("steps", n=3))
    cfg = config(tmp_path / "store", data, **{"generate.samples": 5, "generate.top_up": True})
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path / "store")
    per_problem = con.execute("SELECT problem_id, list(origin ORDER BY sample_index), list(sample_index "
                              "ORDER BY sample_index) FROM rollouts GROUP BY 1").fetchall()
    assert len(per_problem) == 3
    for _, origins, indexes in per_problem:
        assert origins == ["given"] * 2 + ["generate"] * 3 and indexes == list(range(5))
    assert summary["rollouts"] == 15
    assert read_manifest(tmp_path / "store", cfg.run_id()).cost["generate"]["requests"] == 3
    # Without top_up the policy is never asked (no engine is even built for it).
    plain = config(tmp_path / "plain", data, **{"generate.samples": 5, "engine.kind": "openai",
                                                "engine.model": "nowhere",
                                                "engine.openai.base_url": "http://127.0.0.1:9"})
    assert asyncio.run(run_direct(plain))["rollouts"] == 6


@pytest.mark.parametrize("shape", ["steps", "math-shepherd"])  # the shapes that carry a human label
def test_run_labels_equal_eval_predictions_for_every_labeler_without_an_engine(tmp_path, shape):
    data = write(tmp_path / "given.jsonl", rows_of(shape, n=5))
    engine_free = [name for name, entry in LABELERS.items() if entry.engine is None and not entry.reads_stored]
    assert engine_free == ["verify"]  # consensus needs two sources: only verify labels without an engine
    store = tmp_path / "store"
    asyncio.run(run_direct(config(store, data, **{"label.labelers": engine_free})))
    ids = given_ids(store)
    con = connect(store)
    for name in engine_free:
        predictions = tmp_path / f"{name}.jsonl"
        result = runner.invoke(app, ["eval", "--labeler", name, "--data", str(data), "--format", "json",
                                     "--predictions", str(predictions)])
        assert result.exit_code == 0, result.output
        predicted = {row["id"]: row["first_error"] for row in map(json.loads, predictions.read_text().splitlines())}
        stored = {ids[r]: fe for r, fe in con.execute(
            "SELECT rollout_id, any_value(first_error) FROM step_labels WHERE labeler = ? GROUP BY 1", [name]).fetchall()}
        assert stored == predicted and len(stored) == 10
        steps = {(ids[r], i): (label, status) for r, i, label, status in con.execute(
            "SELECT rollout_id, step_index, label, status FROM step_labels WHERE labeler = ?", [name]).fetchall()}
        out = evaluate(load_records(data), name, load_config(None))
        assert steps == {(row.rollout_id, row.step_index): (row.label, row.status)
                         for o in out.outputs for row in o.labels}


def test_every_labeler_labels_given_solutions(tmp_path):
    data = write(tmp_path / "given.jsonl", rows_of("steps", n=3))
    cfg = config(tmp_path / "store", data, **{
        "label.labelers": ["mc", "omegaprm", "judge", "verify", "consensus"], "label.mc.k": 4,
        "label.consensus.sources": ["mc", "judge", "verify"], "label.consensus.policy": "majority",
        "label.omegaprm.screen": 8, "label.omegaprm.rollout_budget": 60})
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path / "store")
    given = con.execute("SELECT labeler, count(DISTINCT rollout_id), count(*) FROM step_labels l "
                        "JOIN rollouts r USING (rollout_id) WHERE r.origin = 'given' GROUP BY 1 ORDER BY 1").fetchall()
    assert given == [(name, 6, 30) for name in ("consensus", "judge", "mc", "omegaprm", "verify")]
    # OmegaPRM searched the given solutions first and stored what it sampled beside them.
    assert con.execute("SELECT count(*) FROM rollouts WHERE origin = 'omegaprm'").fetchone()[0] > 0
    # The world's solutions are simple: the answer-checking labelers find the human first errors.
    assert summary["labelers"]["mc"]["truth_agreement"] == summary["labelers"]["verify"]["truth_agreement"] == 1.0


def test_top_ups_that_failed_are_retried_without_copying_the_given_solutions(tmp_path):
    from tests.engines.fake_server import FakeOpenAIServer

    data = write(tmp_path / "given.jsonl", rows_of("steps", n=3))
    with FakeOpenAIServer({"500": 1}) as server:  # every distinct prompt fails once
        cfg = config(tmp_path / "store", data, **{
            "generate.samples": 4, "generate.top_up": True, "engine.kind": "openai", "engine.model": "sandbox",
            "engine.openai.base_url": server.base_url, "engine.openai.max_retries": 0,
            "run.max_failed_share": 2.0})
        first = asyncio.run(run_direct(cfg))
        assert first["rollouts"] == 6  # the given ones; every top-up failed and was quarantined
        second = asyncio.run(run_direct(cfg))
    assert second["rollouts"] == 12
    con = connect(tmp_path / "store")
    assert con.execute("SELECT origin, count(*) FROM rollouts GROUP BY 1 ORDER BY 1").fetchall() == [
        ("generate", 6), ("given", 6)]
    assert con.execute("SELECT count(*) FROM quarantine WHERE reason LIKE 'engine error%'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM (SELECT rollout_id, step_index FROM steps GROUP BY 1, 2 "
                       "HAVING count(*) > 1)").fetchone()[0] == 0


def test_bad_rows_are_quarantined_and_a_bad_file_is_a_clean_error(tmp_path):
    good = rows_of("steps", n=2)
    data = write(tmp_path / "given.jsonl", [good[0], '{"problem": "p", "steps": [', {"problem": "p"}, good[1],
                                            {"problem": "q", "steps": ["x"], "label": 4}, good[0]])
    store = tmp_path / "store"
    result = runner.invoke(app, ["run", "--solutions", str(data), "--labelers", "verify", "--no-prefect",
                                 "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rollouts"] == 2 and summary["quarantined"] == 4
    rows = connect(store).execute("SELECT location, reason FROM quarantine ORDER BY location").fetchall()
    assert [r[0] for r in rows] == [f"{data}:{i}" for i in (2, 3, 5, 6)]
    assert ["invalid JSON" in rows[0][1], "missing solution" in rows[1][1], "'label'" in rows[2][1],
            "duplicate solution id" in rows[3][1]] == [True] * 4
    for bad, message in ((tmp_path / "missing.jsonl", "no such file"), (tmp_path, "is a directory")):
        result = runner.invoke(app, ["run", "--solutions", str(bad), "--labelers", "verify", "--no-prefect",
                                     "--store", str(store)])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ BIG-Bench Mistake


@needs_shared
def test_bbm_multistep_arithmetic_with_verify_matches_eval_and_the_human_labels(tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(app, ["run", "--solutions", str(BBM), "--labelers", "verify", "--no-prefect",
                                 "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    records = load_records(BBM)
    assert summary["rollouts"] == len(records) == 153 and summary["quarantined"] == 0
    assert summary["labelers"]["verify"]["truth_agreement"] >= 0.9  # BBM's human first errors
    ids = given_ids(store)
    stored = {ids[r]: fe for r, fe in connect(store).execute(
        "SELECT rollout_id, any_value(first_error) FROM step_labels GROUP BY 1").fetchall()}
    assert stored == evaluate(records, "verify", load_config(None)).predictions


class Calculator:
    """A policy that always finishes a BBM expression with its right value, whatever the prefix:
    MC must then find every prefix recoverable and judge the last step by the solution's answer."""

    name = "calculator"

    async def check(self):
        pass

    async def generate_batch(self, requests):
        from steplabel.engines.base import Completion, Generation
        from steplabel.problems.prompts import read_prompt

        out = []
        for r in requests:
            question = read_prompt(r.prompt)[0]
            value = eval(question.rstrip(" ="), {"__builtins__": {}})  # BBM's own integer expressions
            text = f"So the answer is {value}."
            out.append(Generation([Completion(text, 5) for _ in range(r.n)], prompt_tokens=len(r.prompt.split())))
        return out


@needs_shared
def test_bbm_with_mc_against_a_local_openai_compatible_server(tmp_path):
    from tests.engines.fake_server import FakeOpenAIServer

    limit = 12
    with FakeOpenAIServer(models=("calc",)) as server:
        server.backend = Calculator()
        cfg = load_config(None, {"run.store": str(tmp_path / "store"), "problems.solutions": str(BBM),
                                 "problems.limit": limit, "label.labelers": ["mc"], "engine.kind": "openai",
                                 "engine.model": "calc", "engine.openai.base_url": server.base_url})
        summary = asyncio.run(run_direct(cfg))
        prompts = [json.loads(key) for key in server.seen]
    assert summary["rollouts"] == limit and summary["labelers"]["mc"]["labeled_rollouts"] == limit
    records = {r.record_id: r for r in load_records(BBM)[:limit]}
    # MC continued the given solutions themselves: prompts hold their steps.
    assert any(records["multistep_arithmetic-2"].steps[0] in p for p in prompts)
    con = connect(tmp_path / "store")
    got = con.execute("SELECT json_extract_string(r.sampling, '$.id'), any_value(l.first_error), any_value(r.correct), "
                      "any_value(r.num_steps), sum(l.rollouts) FROM step_labels l JOIN rollouts r USING (rollout_id) "
                      "GROUP BY 1").fetchall()
    assert len(got) == limit
    for rid, first_error, correct, steps, rollouts in got:
        assert rollouts > 0
        assert first_error == (-1 if correct else steps - 1), rid
