"""Requests straight into an engine that schedules them itself (vLLM's async engine).

The counterpart of ``BatchingEngine`` for a backend with ``generate_one``: nothing is held
back to fill a batch and nothing waits for a batch's slowest sequence; the backend's own
scheduler (continuous batching) merges whatever is in flight. Each request is counted in the
meter as a call of its own. The surface (``format_prompt``, ``encode``, ``token_ends``,
``meter``, ``aclose``) is ``BatchingEngine``'s, so labelers and stages use either unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from steplabel.engines.accounting import CostMeter
from steplabel.engines.base import BackendFacade, Generation, GenerationRequest


class ContinuousEngine(BackendFacade):
    def __init__(self, backend, meter: CostMeter | None = None) -> None:
        self.backend = backend
        self.name = backend.name
        self.model = backend.model
        self.meter = meter or CostMeter()

    async def generate(self, request: GenerationRequest) -> Generation:
        try:
            generation = await self.backend.generate_one(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed request fails itself, not the run
            generation = Generation(completions=[], prompt_tokens=0, error=f"{type(exc).__name__}: {exc}")
        self.meter.record_batch([generation])
        return generation

    async def generate_many(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return list(await asyncio.gather(*(self.generate(r) for r in requests)))

    async def aclose(self) -> None:
        """Nothing of this loop to stop: the engine outlives a stage (one per process)."""
