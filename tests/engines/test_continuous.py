"""ContinuousEngine: each request straight to the backend, no barrier, errors as data."""

import asyncio

from steplabel.config import load_config
from steplabel.engines import Completion, Generation, GenerationRequest
from steplabel.engines.batching import BatchingEngine
from steplabel.engines.continuous import ContinuousEngine


class GatedBackend:
    """Answers a request when its gate opens: the test decides the order requests finish."""

    name, model = "gated", "m"

    def __init__(self):
        self.gates: dict[str, asyncio.Event] = {}
        self.cancelled: list[str] = []

    def gate(self, prompt):
        return self.gates.setdefault(prompt, asyncio.Event())

    async def generate_one(self, request):
        if request.prompt == "boom":
            raise RuntimeError("engine fell over")
        try:
            await self.gate(request.prompt).wait()
        except asyncio.CancelledError:
            self.cancelled.append(request.prompt)
            raise
        return Generation([Completion(request.prompt.upper(), 3)] * request.n, prompt_tokens=5,
                          cached_prompt_tokens=2, cacheable_prompt_tokens=4)


def test_a_short_request_returns_while_a_long_one_is_still_running():
    async def main():
        backend = GatedBackend()
        engine = ContinuousEngine(backend)
        slow = asyncio.create_task(engine.generate(GenerationRequest(prompt="slow")))
        fast = asyncio.create_task(engine.generate(GenerationRequest(prompt="fast", n=2)))
        await asyncio.sleep(0)
        backend.gate("fast").set()
        got = await asyncio.wait_for(fast, timeout=30)  # no barrier: "slow" is still pending
        assert not slow.done() and [c.text for c in got.completions] == ["FAST", "FAST"]
        backend.gate("slow").set()
        await asyncio.wait_for(slow, timeout=30)
        return engine.meter

    meter = asyncio.run(main())
    assert (meter.requests, meter.completions, meter.prompt_tokens) == (2, 3, 10)
    assert (meter.cached_prompt_tokens, meter.cacheable_prompt_tokens) == (4, 8)


def test_a_failed_request_is_an_error_not_a_crash_and_cancelling_reaches_the_backend():
    async def main():
        backend = GatedBackend()
        engine = ContinuousEngine(backend)
        failed = await engine.generate(GenerationRequest(prompt="boom"))
        task = asyncio.create_task(engine.generate(GenerationRequest(prompt="never")))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return failed, backend, engine

    failed, backend, engine = asyncio.run(main())
    assert failed.error == "RuntimeError: engine fell over" and failed.completions == []
    assert backend.cancelled == ["never"] and engine.meter.failed_requests == 1


def test_make_engine_picks_continuous_for_a_backend_that_schedules_itself(monkeypatch):
    from steplabel import registry

    monkeypatch.setattr(registry, "make_backend", lambda section: GatedBackend())
    assert isinstance(registry.make_engine(load_config().engine), ContinuousEngine)
    plain = type("Plain", (), {"name": "p", "model": "m", "generate_batch": None})()
    monkeypatch.setattr(registry, "make_backend", lambda section: plain)
    assert isinstance(registry.make_engine(load_config().engine), BatchingEngine)
