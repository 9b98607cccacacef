import asyncio

from steplabel.engines import BatchingEngine, Completion, Generation, GenerationRequest


class RecordingBackend:
    name, model = "recording", "echo"

    def __init__(self, fail=False, short=False):
        self.calls: list[int] = []
        self.fail, self.short = fail, short

    async def generate_batch(self, requests):
        self.calls.append(len(requests))
        await asyncio.sleep(0.01)
        if self.fail:
            raise TimeoutError("backend timed out")
        out = [Generation([Completion(r.prompt.upper(), 1)] * r.n, prompt_tokens=2) for r in requests]
        return out[:-1] if self.short else out


async def test_concurrent_requests_meet_in_one_backend_call():
    backend = RecordingBackend()
    engine = BatchingEngine(backend, max_batch_size=1000)
    results = await asyncio.gather(*(engine.generate(GenerationRequest(prompt=f"p{i}", n=2)) for i in range(300)))
    await engine.aclose()
    assert backend.calls == [300]
    assert [r.completions[0].text for r in results] == [f"P{i}" for i in range(300)]
    assert engine.meter.requests == 300 and engine.meter.completions == 600 and engine.meter.engine_calls == 1


async def test_batches_are_capped():
    backend = RecordingBackend()
    engine = BatchingEngine(backend, max_batch_size=64)
    await engine.generate_many([GenerationRequest(prompt="x") for _ in range(200)])
    await engine.aclose()
    assert max(backend.calls) <= 64 and sum(backend.calls) == 200
    assert engine.meter.max_batch_size == 64
    hist = engine.meter.as_dict()["batch_size_histogram"]
    assert sum(hist.values()) == len(backend.calls) and hist["64-127"] == 3


async def test_requests_arriving_during_a_call_form_the_next_batch():
    backend = RecordingBackend()
    engine = BatchingEngine(backend, max_batch_size=1000)

    async def chain(i):
        for _ in range(3):  # each coroutine asks again after its answer, as a labeler does
            await engine.generate(GenerationRequest(prompt=str(i)))

    await asyncio.gather(*(chain(i) for i in range(50)))
    await engine.aclose()
    assert backend.calls == [50, 50, 50]


async def test_backend_failure_fails_its_requests_not_the_caller():
    engine = BatchingEngine(RecordingBackend(fail=True))
    results = await engine.generate_many([GenerationRequest(prompt="a"), GenerationRequest(prompt="b")])
    await engine.aclose()
    assert all(r.error == "TimeoutError: backend timed out" and r.completions == [] for r in results)
    assert engine.meter.failed_requests == 2


async def test_wrong_number_of_results_is_an_error():
    engine = BatchingEngine(RecordingBackend(short=True))
    results = await engine.generate_many([GenerationRequest(prompt="a"), GenerationRequest(prompt="b")])
    await engine.aclose()
    assert all("returned 1 results for 2 requests" in r.error for r in results)
