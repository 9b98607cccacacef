"""Issue 18: a model's output never crashes verify or holds a run for long. A checker that
raises leaves its step unknown with the reason; a solution's checking time is bounded by
``record_time_budget_s``; the inputs of the issue's attack each come back labeled."""

import asyncio
import json
from dataclasses import replace

import pytest

from steplabel.config import VerifySection
from steplabel.labelers.verify import VerifyLabeler, arithmetic
from tests.bounded import bounded
from tests.labelers.test_mc import make_task


def _task(steps, question="Q?"):
    task = make_task(len(steps))
    return replace(task, question=question, text="\n\n".join(steps), steps=tuple(steps),
                   step_ends=tuple(range(1, len(steps) + 1)))


def _label(steps, section=None, question="Q?"):
    return bounded(lambda: asyncio.run(VerifyLabeler(section).label(_task(steps, question))))


HOSTILE_STEPS = {
    "fractional power": "1000*10**(4/5) = 6309.57",
    "5,000 nested parentheses": "(" * 5000 + "1" + ")" * 5000 + " = 1",
    "50,000 claims": " ".join(f"{i}+1 = {i + 1}." for i in range(50_000)),
    "a power tower": "2^(2^(2^(2^10))) = 5",
    "python tower": "10**10**10 = 3",
    "a huge factorial": "100000! = 3",
    "deep fractions": "\\frac{1}{" * 400 + "2" + "}" * 400 + " = 0.5",
    "an algebra tower": "x^{10^{10}} + 1 = x^{10^{10}} + 2",
    "a huge number": "9" * 20_000 + " + 1 = 1" + "0" * 20_000,
    "a lone surrogate": "3 + 4 = 7 \ud800",
    "nul bytes": "3 + 4\x00 = 7",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_STEPS))
def test_hostile_steps_come_back_labeled(name):
    rows = _label(["We start.", HOSTILE_STEPS[name], "So 2 + 2 = 4."])
    assert len(rows) == 3 and all(r.status in ("labeled", "abstained", "after_error") for r in rows)
    assert all(isinstance(json.loads(r.evidence), dict) for r in rows)


def test_a_checker_that_raises_leaves_the_step_unknown(monkeypatch):
    def broken(text, *args, **kwargs):
        if "boom" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, *args, **kwargs)

    real = arithmetic.check_step
    monkeypatch.setattr(arithmetic, "check_step", broken)
    rows = _label(["So 2 + 2 = 4.", "boom 3 + 3 = 6", "Then 4 + 4 = 9."])
    assert [r.label for r in rows] == [True, None, False]
    assert json.loads(rows[1].evidence)["reason"] == "checker failed (RecursionError)"
    assert rows[2].first_error == 2


def test_the_record_budget_stops_checking_and_the_rest_abstain(monkeypatch):
    import steplabel.labelers.verify as verify

    clock = iter(range(0, 1000, 10))  # every reading of the record's clock is 10 s after the last
    monkeypatch.setattr(verify, "_clock", lambda: next(clock))
    # the deadline is 0 + 15; the steps start at 10 (checked) and 20 (over), 30 (over)
    rows = _label(["So 2 + 2 = 4.", "Then 3 + 3 = 6.", "Then 4 + 4 = 9."], VerifySection(record_time_budget_s=15))
    assert rows[0].label is True and rows[1].label is None
    assert rows[2].label is None and "record_time_budget_s = 15" in json.loads(rows[2].evidence)["reason"]
