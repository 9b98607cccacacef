"""Progress for people: a rich bar on a terminal; silent otherwise.

Each bar counts one thing (problems generated for, rollouts labeled, problems searched) and
shows its rate and the time left. Stages advance a bar as they go; when a batch is over,
``finish`` sets its bar to exactly that batch's share of the total, whether the batch was
labeled, resumed from the store or skipped, so every bar ends at its total. The counts are
kept even without a terminal (what the tests read).
"""

from __future__ import annotations

import sys

from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBars:
    def __init__(self, enabled: bool | None = None, console=None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._console = console  # rich's own (stderr) unless given
        self._progress: Progress | None = None
        self._tasks: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.totals: dict[str, int] = {}

    def __enter__(self) -> "ProgressBars":
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"), TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                transient=False, console=self._console,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    def add(self, key: str, description: str, total: int, unit: str = "") -> None:
        self.counts[key], self.totals[key] = 0, total
        if self._progress:
            self._tasks[key] = self._progress.add_task(description, total=total, unit=unit, rate="")

    def advance(self, key: str, n: int = 1) -> None:
        self._set(key, self.counts.get(key, 0) + n)

    def counted(self, key: str) -> int:
        return self.counts.get(key, 0)

    def finish(self, key: str, before: int, share: int) -> None:
        """A batch is over: its bar stands at what it showed before the batch plus the batch's share."""
        self._set(key, before + share)

    def callback(self, key: str):
        return lambda n: self.advance(key, n)

    def _set(self, key: str, count: int) -> None:
        self.counts[key] = count
        if self._progress and key in self._tasks:
            task_id = self._tasks[key]
            self._progress.update(task_id, completed=count)
            speed = next(t.speed for t in self._progress.tasks if t.id == task_id)  # rich's moving estimate
            self._progress.update(task_id, rate=rate_text(speed))


def rate_text(per_second: float | None) -> str:
    """Items per second, or per minute when slower than one a second (a judge on a big model)."""
    if not per_second:
        return ""
    return f"{per_second:.1f}/s" if per_second >= 1 else f"{60 * per_second:.1f}/min"
