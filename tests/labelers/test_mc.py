import asyncio
import json

import pytest

from steplabel.labelers.base import LabelTask, first_error_of
from steplabel.labelers.mc import MCConfig, MCLabeler
from tests.labelers.scripted import ScriptedEngine


def make_task(n_steps=5, correct=False):
    steps = [f"Step {i} text." for i in range(n_steps)]
    text = "\n\n".join(steps)
    ends, pos = [], 0
    for s in steps:
        pos = text.index(s, pos) + len(s)
        ends.append(pos)
    return LabelTask("run", "ro", "p", "Q?", "7", "PROMPT\n\n", text, tuple(ends), tuple(steps), correct)


def label(task, outcomes, **cfg):
    engine = ScriptedEngine(task, outcomes)
    rows = asyncio.run(MCLabeler(engine, MCConfig(k=4, **{"estimator": "any", **cfg})).label(task))
    return engine, rows


def test_scan_stops_at_the_first_prefix_that_never_succeeds():
    task = make_task(5)
    engine, rows = label(task, [4, 2, 0, 3, None])
    assert engine.asked == [0, 1, 2]  # nothing after the failing prefix, nothing for the last step
    assert [r.label for r in rows] == [True, True, False, None, None]
    assert [r.status for r in rows] == ["labeled", "labeled", "labeled", "after_error", "after_error"]
    assert [r.score for r in rows] == [1.0, 0.5, 0.0, None, None]
    assert {r.first_error for r in rows} == {2}
    assert json.loads(rows[1].evidence) == {"correct": 2, "total": 4, "unparsable": 0}
    assert [r.rollouts for r in rows] == [4, 4, 4, 0, 0]
    assert sum(r.engine_requests for r in rows) == 3


def test_last_step_is_judged_by_the_final_answer_not_by_rollouts():
    for correct in (True, False):
        engine, rows = label(make_task(3, correct=correct), [1, 1, None])
        assert engine.asked == [0, 1]
        assert rows[-1].label is correct and rows[-1].score == float(correct) and rows[-1].rollouts == 0
        assert rows[0].first_error == (-1 if correct else 2)


def test_any_success_is_a_correct_prefix():
    _, rows = label(make_task(3, correct=True), [1, 1, None])
    assert [r.label for r in rows] == [True, True, True] and rows[0].score == 0.25


def test_all_strategy_pays_for_every_prefix_and_agrees_on_labels():
    task = make_task(5)
    scan_engine, scan = label(task, [4, 0, 3, 1, None])
    all_engine, every = label(task, [4, 0, 3, 1, None], strategy="all")
    assert sorted(all_engine.asked) == [0, 1, 2, 3] and scan_engine.asked == [0, 1]
    assert [r.label for r in every] == [r.label for r in scan] == [True, False, None, None, None]
    # Estimates made anyway are kept as evidence on after-error rows.
    assert every[2].score == 0.75 and every[2].status == "after_error" and every[2].rollouts == 4


def test_engine_failure_abstains_instead_of_guessing():
    _, rows = label(make_task(4), [3, None, 4, None])
    assert [r.status for r in rows] == ["labeled", "abstained", "abstained", "abstained"]
    assert [r.label for r in rows] == [True, None, None, None]
    assert "stalled" in json.loads(rows[1].evidence)["error"]
    assert rows[0].first_error is None  # an unknown step before any error: cannot tell


def test_single_step_solution_needs_no_rollouts():
    engine, rows = label(make_task(1, correct=False), [None])
    assert engine.asked == [] and [r.label for r in rows] == [False] and rows[0].first_error == 0


@pytest.mark.parametrize("labels, expected", [([True, False, None], 1), ([True, None, False], None), ([True, True], -1), ([False], 0)])
def test_first_error_of(labels, expected):
    assert first_error_of(labels) == expected
