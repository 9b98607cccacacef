"""Progress bars end at their totals and count what they say: rollouts for labelers of
rollouts, problems for OmegaPRM (one tree search per problem), on a first run and a resumed one."""

import asyncio
import io

import pytest
from rich.console import Console

from steplabel.config import load_config
from steplabel.pipeline import run as run_module
from steplabel.pipeline.progress import ProgressBars, rate_text
from steplabel.pipeline.run import run_direct


@pytest.fixture
def recorded_bars(monkeypatch) -> list[ProgressBars]:
    """Every ProgressBars a run makes, kept (silent) so a test can read their totals and counts."""
    seen: list[ProgressBars] = []

    class Recorded(ProgressBars):
        def __init__(self, enabled=None):
            super().__init__(False)
            seen.append(self)

    monkeypatch.setattr(run_module, "ProgressBars", Recorded)
    return seen


def test_every_bar_ends_at_its_total_first_run_and_resumed(tmp_path, recorded_bars):
    seen = recorded_bars
    cfg = load_config(None, {"run.store": str(tmp_path / "s"), "problems.limit": 6, "run.batch_size": 4,
                             "generate.samples": 2, "label.mc.k": 2, "label.omegaprm.screen": 2,
                             "label.labelers": ["mc", "judge", "consensus", "omegaprm"]})
    summary = asyncio.run(run_direct(cfg))
    assert summary["labelers"]["consensus"]["labeled_rollouts"] > 3  # what the bar used to stop at
    asyncio.run(run_direct(cfg))  # everything stored: the resumed run's bars end at their totals too
    for bars in seen:
        assert bars.totals == {"generate": 6, "label:mc": 12, "label:judge": 12, "label:consensus": 12,
                               "label:omegaprm": 6}
        assert bars.counts == bars.totals


def test_bars_show_what_they_count_a_rate_and_the_time_left():
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
    with ProgressBars(True, console=console) as bars:
        bars.add("label:omegaprm", "label (omegaprm)", 10, "problems")
        bars.advance("label:omegaprm", 4)
    line = [x for x in console.file.getvalue().splitlines() if "omegaprm" in x][-1]
    assert "label (omegaprm)" in line and "4/10 problems" in line and "40%" in line and "left" in line
    assert rate_text(2.5) == "2.5/s" and rate_text(0.05) == "3.0/min" and rate_text(None) == ""


def test_bars_of_given_solutions_count_the_rows_and_the_top_ups(tmp_path, recorded_bars):
    from tests.pipeline.test_given import rows_of, write

    seen = recorded_bars
    rows = rows_of("steps", n=3)  # 3 problems, 2 solutions each
    del rows[0]["answer"], rows[1]["answer"]  # one problem without an answer: mc skips it, no top-up
    data = write(tmp_path / "given.jsonl", rows)
    cfg = load_config(None, {"run.store": str(tmp_path / "s"), "problems.solutions": str(data), "run.batch_size": 2,
                             "generate.samples": 3, "generate.top_up": True, "label.mc.k": 2,
                             "label.labelers": ["mc", "verify"]})
    assert asyncio.run(run_direct(cfg))["rollouts"] == 8
    asyncio.run(run_direct(cfg))
    for bars in seen:
        assert bars.totals == {"generate": 3, "label:mc": 6, "label:verify": 8}
        assert bars.counts == bars.totals
