"""Progress for people: a rich bar on a terminal; silent otherwise."""

from __future__ import annotations

import sys

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressBars:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> "ProgressBars":
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    def add(self, key: str, description: str, total: int) -> None:
        if self._progress:
            self._tasks[key] = self._progress.add_task(description, total=total)

    def advance(self, key: str, n: int = 1) -> None:
        if self._progress and key in self._tasks:
            self._progress.advance(self._tasks[key], n)

    def callback(self, key: str):
        return lambda n: self.advance(key, n)
