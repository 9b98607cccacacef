import asyncio
import json

from steplabel.labelers.verify import VerifyLabeler
from tests.labelers.test_mc import make_task


def label(steps, question="Q?"):
    task = make_task(len(steps))
    text = "\n\n".join(steps)
    ends, pos = [], 0
    for s in steps:
        pos = text.index(s, pos) + len(s)
        ends.append(pos)
    from dataclasses import replace

    task = replace(task, question=question, text=text, steps=tuple(steps), step_ends=tuple(ends))
    return asyncio.run(VerifyLabeler().label(task))


def test_first_refuted_step_is_the_first_error_and_unknowns_stay_unknown():
    rows = label(["We start with 7 apples.", "Then 7 + 5 = 12.", "Then 12 * 2 = 25.", "So 25 - 1 = 24."])
    assert [r.label for r in rows] == [None, True, False, None]
    assert [r.status for r in rows] == ["abstained", "labeled", "labeled", "after_error"]
    assert {r.first_error for r in rows} == {2}
    evidence = json.loads(rows[0].evidence)
    assert evidence["coverage"] == 0.75 and evidence["reason"] == "no checkable claim"
    refuted = json.loads(rows[2].evidence)
    assert refuted["checker"] == "arithmetic" and "24, not 25" in refuted["claims"][0]["reason"]
    assert refuted["claims"][0]["claim"] == "12 * 2 = 25" and refuted["claims"][0]["rule"] == "exact"
    assert all(r.rollouts == 0 and r.engine == "tools" for r in rows)


def test_nothing_refuted_is_not_no_error_found():
    rows = label(["Then 7 + 5 = 12.", "A sentence with no claim."])
    assert {r.first_error for r in rows} == {None} and [r.label for r in rows] == [True, None]


def test_logic_questions_go_to_z3():
    question = ("Facts:\nf1: Bob is round.\nf2: Bob is kind.\nRules:\nr1: If Bob is round and Bob is kind, "
                "then Bob is big.\nQuestion: Is it true that Bob is big? Answer True or False.")
    rows = label(["From f1 and r1: Bob is big. So the statement is True. \\boxed{True}"], question)
    assert rows[0].label is False and json.loads(rows[0].evidence)["checker"] == "z3"
    rows = label(["From f1, f2 and r1: Bob is big. So the statement is True. \\boxed{True}"], question)
    assert rows[0].label is True and rows[0].first_error == -1


def test_checked_nothing_is_undetermined_never_no_error():
    rows = label(["We think about the problem.", "The answer is clear."])
    assert {r.first_error for r in rows} == {None}
    assert [r.status for r in rows] == ["abstained", "abstained"]
    assert json.loads(rows[0].evidence)["first_error_reason"] == "nothing checked"


def test_minus_one_only_when_every_step_is_verified():
    rows = label(["Then 7 + 5 = 12.", "So 12 * 2 = 24."])
    assert {r.first_error for r in rows} == {-1} and [r.label for r in rows] == [True, True]
    rows = label(["Then 7 + 5 = 12.", "Some reasoning we cannot check."])
    assert {r.first_error for r in rows} == {None}
    assert json.loads(rows[0].evidence)["first_error_reason"] == "nothing refuted, but some steps could not be checked"


def test_refuted_step_records_whether_it_is_exactly_the_first_error():
    rows = label(["Some reasoning.", "Then 12 * 2 = 25."])
    assert {r.first_error for r in rows} == {1}
    assert json.loads(rows[1].evidence)["first_error_exact"] is False
    rows = label(["Then 7 + 5 = 12.", "Then 12 * 2 = 25."])
    assert json.loads(rows[1].evidence)["first_error_exact"] is True
