"""One fit for the problems labeled together, for labelers that search problem by problem.

Why: the noise-aware estimator needs many solutions' counts to fit its rates, but OmegaPRM
searches each problem on its own, and problems finish at different times. Every
``label_problem`` call enters when it starts (all of a batch start together) and leaves with
its observations when its sampling is done; the last to leave fits the pooled observations,
and every problem's labels come from that fit. While searching, problems use the previous
fit (the generic prior for the first batch).
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from steplabel.labelers.estimate import PRIOR, Observed, Params, fit


class PooledFit:
    def __init__(self, start: Params = PRIOR) -> None:
        self.params = start
        self._active = 0
        self._pool: list[Observed] = []
        self._future: asyncio.Future | None = None
        self.context: list[Observed] = []  # a rerun's kept rollouts: fitted, not labeled

    def enter(self) -> asyncio.Future:
        if self._active == 0 or self._future is None or self._future.done():
            self._pool, self._future = [], asyncio.get_running_loop().create_future()
        self._active += 1
        return self._future

    async def leave(self, ticket: asyncio.Future, observed: Sequence[Observed]) -> Params:
        if ticket is self._future:
            self._pool.extend(observed)
        self._release(ticket)
        return await ticket

    def abandon(self, ticket: asyncio.Future) -> None:
        """A problem that failed leaves without observations; the others must not wait for it."""
        self._release(ticket)

    def _release(self, ticket: asyncio.Future) -> None:
        if ticket is not self._future:
            return
        self._active -= 1
        if self._active == 0 and not ticket.done():
            try:
                pool = self._pool + self.context
                self.params = fit(pool, start=self.params) if pool else self.params
                ticket.set_result(self.params)
            except Exception as exc:  # noqa: BLE001 - every waiting problem must hear of it
                ticket.set_exception(exc)
