"""Merge the requests of many concurrent coroutines into large backend calls.

Each ``generate`` call parks a future on a queue. A collector drains the queue: after the
first request it yields to the event loop a few times so every coroutine that is ready can
add its request, then sends up to ``max_batch_size`` of them as one backend call. While a
call runs, new requests pile up, so the next batch is large too.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from steplabel.engines.accounting import CostMeter
from steplabel.engines.base import Backend, BackendFacade, Generation, GenerationRequest


class BatchingEngine(BackendFacade):
    def __init__(
        self,
        backend: Backend,
        max_batch_size: int = 256,
        max_concurrent_batches: int = 1,
        meter: CostMeter | None = None,
        gather_rounds: int = 3,
    ) -> None:
        self.backend = backend
        self.name = backend.name
        self.model = backend.model
        self.max_batch_size = max_batch_size
        self.meter = meter or CostMeter()
        self._gather_rounds = gather_rounds
        self._queue: list[tuple[GenerationRequest, asyncio.Future]] = []
        self._wakeup: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._max_concurrent = max_concurrent_batches
        self._collector: asyncio.Task | None = None

    async def generate(self, request: GenerationRequest) -> Generation:
        self._ensure_collector()
        future = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._wakeup.set()
        return await future

    async def generate_many(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return list(await asyncio.gather(*(self.generate(r) for r in requests)))

    async def aclose(self) -> None:
        if self._collector and not self._collector.done():
            self._collector.cancel()
            try:
                await self._collector
            except asyncio.CancelledError:
                pass
        self._collector = None

    # ------------------------------------------------------------------ internals

    def _ensure_collector(self) -> None:
        loop = asyncio.get_running_loop()
        if self._collector is None or self._collector.done() or self._collector.get_loop() is not loop:
            self._wakeup = asyncio.Event()
            self._slots = asyncio.Semaphore(self._max_concurrent)
            self._collector = loop.create_task(self._collect())

    async def _collect(self) -> None:
        pending: set[asyncio.Task] = set()
        try:
            while True:
                if not self._queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                await self._slots.acquire()
                # Let every ready coroutine enqueue before the batch is cut.
                for _ in range(self._gather_rounds):
                    before = len(self._queue)
                    await asyncio.sleep(0)
                    if len(self._queue) == before or len(self._queue) >= self.max_batch_size:
                        break
                batch, self._queue = self._queue[: self.max_batch_size], self._queue[self.max_batch_size :]
                task = asyncio.create_task(self._run(batch))
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            for task in pending:
                task.cancel()

    async def _run(self, batch: list[tuple[GenerationRequest, asyncio.Future]]) -> None:
        try:
            requests = [r for r, _ in batch]
            try:
                results = await self.backend.generate_batch(requests)
                if len(results) != len(requests):
                    raise RuntimeError(
                        f"{self.name} returned {len(results)} results for {len(requests)} requests"
                    )
            except Exception as exc:  # a failed call fails its requests, not the run
                reason = f"{type(exc).__name__}: {exc}"
                results = [Generation(completions=[], prompt_tokens=0, error=reason) for _ in requests]
            self.meter.record_batch(results)
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
        finally:
            self._slots.release()
