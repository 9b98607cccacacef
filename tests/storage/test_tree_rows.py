"""Tree labelers (OmegaPRM) are exported one row per distinct prefix, not once per solution that
passes through it (#16)."""

import asyncio

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.registry import export_format
from steplabel.storage.catalog import connect
from steplabel.storage.export import Solution, export
from steplabel.storage.tree_rows import prefix_rows


def _sol(rid, steps, labels, scores=None):
    n = len(steps)
    return Solution("run", rid, "Ava has 3 apples.", steps, labels, scores or [None] * n, ["labeled"] * n,
                    [f'{{"rid": "{rid}", "step": {j}}}' for j in range(n)], None, "omegaprm")


def test_prefixes_are_counted_once_with_the_solutions_through_them():
    sols = [
        _sol("A", ["a", "b", "c"], [True, True, True], [0.5, None, 1.0]),  # reaches the answer
        _sol("B", ["a", "b", "d"], [True, False, None], [0.5, 0.0, None]),  # k samples from "a b" all missed
        _sol("C", ["a", "e"], [True, None]),  # the search never reached "e"
        _sol("D", ["a  ", "x"], [True, False]),  # same first step up to spacing
    ]
    rows, counts = prefix_rows(sols, export_format("soft"), "omegaprm")
    got = {tuple(r["completions"]): r for r in rows}
    assert sorted(got) == [("a",), ("a", "b"), ("a", "b", "c"), ("a  ", "x")]
    assert {k: r["solutions"] for k, r in got.items()} == {("a",): 4, ("a", "b"): 2, ("a", "b", "c"): 1, ("a  ", "x"): 1}
    # A witnesses "a b" (it reaches the answer through it): correct wins over B's missed samples
    assert got[("a", "b")]["labels"] == [True, True] and got[("a", "b")]["rollout_id"] == "A"
    assert got[("a", "b")]["scores"] == [0.5, None] and got[("a", "b")]["evidence"] == '{"rid": "A", "step": 1}'
    assert got[("a  ", "x")]["labels"] == [True, False] and got[("a  ", "x")]["step_index"] == 1
    assert counts == {"tree_solutions": 4, "tree_steps": 8, "tree_prefixes": 4, "tree_conflicts": 1}
    assert sum(r["solutions"] for r in rows) == counts["tree_steps"]


@pytest.fixture(scope="module")
def tree_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree") / "store"
    cfg = load_config(None, {"run.store": str(root), "problems.limit": 4, "generate.samples": 2,
                             "label.labelers": ["omegaprm"], "label.omegaprm.rollout_budget": 120})
    asyncio.run(run_direct(cfg))
    return root


def test_tree_export_has_one_row_per_distinct_labeled_prefix(tree_store, tmp_path):
    con = connect(tree_store)
    labeled, distinct = con.execute(
        "WITH st AS (SELECT p.question, l.rollout_id, l.step_index, regexp_replace(trim(s.text), '\\s+', ' ', 'g') AS t "
        "FROM step_labels l JOIN steps s USING (rollout_id, step_index) JOIN rollouts r ON r.rollout_id = l.rollout_id "
        "JOIN problems p ON p.problem_id = r.problem_id AND p.run_id = r.run_id "
        "WHERE l.labeler = 'omegaprm' AND l.label IS NOT NULL) "
        "SELECT count(*), count(DISTINCT (question, prefix)) FROM (SELECT question, "
        "list(t) OVER (PARTITION BY rollout_id ORDER BY step_index) AS prefix FROM st)").fetchone()
    prefix = export(tree_store, tmp_path / "prefix", export_format("trl"))
    solution = export(tree_store, tmp_path / "solution", export_format("trl"), tree_rows="solution")
    rows = pq.read_table(tmp_path / "prefix" / "data" / "default").to_pylist()
    assert prefix.counts["row_unit"] == "prefix" and solution.counts["row_unit"] == "solution"
    assert prefix.rows == len(rows) == distinct < solution.rows
    assert prefix.counts["tree_steps"] == sum(r["solutions"] for r in rows) == labeled  # every labeled step, once
    assert all(len(r["completions"]) == r["step_index"] + 1 and r["labels"][:-1] == [True] * r["step_index"]
               for r in rows)
    # ProcessBench rows are whole solutions by definition: no prefix rows
    assert export(tree_store, tmp_path / "pb", export_format("processbench")).counts["row_unit"] == "solution"


def test_tree_rows_option_on_the_command_line(tree_store, tmp_path):
    runner = CliRunner()
    args = ["export", "--store", str(tree_store), "--format", "soft"]
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--tree-rows", "solution"])
    assert ok.exit_code == 0 and "solutions" in ok.output
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert ok.exit_code == 0 and "distinct prefixes" in ok.output
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--tree-rows", "leaf"])
    assert bad.exit_code == 2 and "--tree-rows" in bad.output
