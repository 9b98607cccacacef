"""One fit for the problems labeled together, for labelers that search problem by problem.

Why: the noise-aware estimator needs many solutions' counts to fit its rates, but OmegaPRM
searches each problem on its own, and problems finish at different times. Every
``label_problem`` call enters when it starts (all of a batch start together) and leaves with
its observations when its sampling is done; the last to leave fits the pooled observations,
and every problem's labels come from that fit. While searching, problems use the previous
fit (the generic prior for the first batch).

Why a checkpoint: a batch's searches would otherwise all decide on the previous batch's fit, and
the first batch on the generic prior, which knows nothing of the run's policy (how often its
completions restate a given step's value, say). Every problem stops once after its first
search and hands in what it has seen; when every problem of the batch has (or has left), one
fit to those observations is what the rest of the batch's searches decide on
(``search_params``). Labels still come from the fit at the end. A barrier, not a running fit,
so the searches do not depend on which problem's engine replies came first.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from steplabel.labelers.estimate import PRIOR, Observed, Params, fit


class PooledFit:
    def __init__(self, start: Params = PRIOR) -> None:
        self.params = start
        self.search_params = start  # what searches decide on: the last fit, or this batch's checkpoint fit
        self._active = 0
        self._pool: list[Observed] = []
        self._future: asyncio.Future | None = None
        self.context: list[Observed] = []  # a rerun's kept rollouts: fitted, not labeled
        self._entered = 0  # problems of this batch ...
        self._passed = 0  # ... at or past the checkpoint (or gone)
        self._early: list[Observed] = []
        self._barrier: asyncio.Future | None = None

    def enter(self) -> asyncio.Future:
        if self._active == 0 or self._future is None or self._future.done():
            self._pool, self._future = [], asyncio.get_running_loop().create_future()
            self._early, self._entered, self._passed = [], 0, 0
            self._barrier = asyncio.get_running_loop().create_future()
        self._active += 1
        self._entered += 1
        return self._future

    async def checkpoint(self, ticket: asyncio.Future, observed: Sequence[Observed]) -> None:
        """After a problem's first search: wait until every problem of the batch has got here
        (or left), then go on with ``search_params`` fitted to what they all handed in."""
        if ticket is not self._future or self._barrier is None:
            return
        self._early.extend(observed)
        self._pass()
        await asyncio.shield(self._barrier)

    def _pass(self) -> None:
        self._passed += 1
        if self._passed >= self._entered and self._barrier is not None and not self._barrier.done():
            pool = self._early + self.context
            try:
                self.search_params = fit(pool, start=self.params) if pool else self.search_params
            except Exception:  # noqa: BLE001 - searches go on with the last fit; the batch's own fit reports it
                pass
            finally:  # whatever happens, nobody may wait forever
                self._barrier.set_result(None)

    async def leave(self, ticket: asyncio.Future, observed: Sequence[Observed], passed: bool = False) -> Params:
        """``passed``: the problem stopped at the checkpoint already (else it counts as past it now)."""
        if ticket is self._future:
            self._pool.extend(observed)
        self._release(ticket, passed)
        return await ticket

    def abandon(self, ticket: asyncio.Future, passed: bool = False) -> None:
        """A problem that failed leaves without observations; the others must not wait for it."""
        self._release(ticket, passed)

    def _release(self, ticket: asyncio.Future, passed: bool) -> None:
        if ticket is not self._future:
            return
        if not passed:
            self._pass()
        self._active -= 1
        if self._active == 0 and not ticket.done():
            try:
                pool = self._pool + self.context
                self.params = self.search_params = fit(pool, start=self.params) if pool else self.params
                ticket.set_result(self.params)
            except Exception as exc:  # noqa: BLE001 - every waiting problem must hear of it
                ticket.set_exception(exc)
