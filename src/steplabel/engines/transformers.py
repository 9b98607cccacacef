"""The transformers engine: a local model path (or a hub id, which needs network), batched
sampling on CPU or GPU behind the common interface.

Requests with the same sampling parameters are sampled together: every (request, sample)
becomes a left-padded row, rows are cut into batches of ``max_batch_rows``, and stop strings
are applied to the decoded text. Generation blocks, so it runs in a worker thread. Prompts may
be text or token ids; with ``chat_template`` the solve prompt is wrapped in the tokenizer's
chat template (first turn only).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Sequence

from steplabel.engines.base import Completion, Generation, GenerationRequest
from steplabel.engines.tokenizing import TokenizerMixin


class TransformersBackend(TokenizerMixin):
    name = "transformers"

    @classmethod
    def from_section(cls, section) -> "TransformersBackend":
        """From ``[engine]`` of kind transformers (``config.TransformersEngine``)."""
        return cls(section.model, chat_template=section.chat_template, **section.transformers.model_dump())

    def __init__(self, model: str, device: str = "cpu", dtype: str = "float32", max_batch_rows: int = 32,
                 chat_template: bool = False) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model = model
        self.device = device
        self.chat_template = chat_template
        self.max_batch_rows = max_batch_rows
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.lm = AutoModelForCausalLM.from_pretrained(model, dtype=getattr(torch, dtype)).to(device)
        self.lm.eval()
        self._lock = threading.Lock()  # one generate at a time per model

    async def check(self) -> None:
        """Nothing left to check: the model loaded when this backend was built (``make_backend``
        builds it once per process, so the run reuses what the check loaded)."""

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return await asyncio.to_thread(self._generate_all, list(requests))

    def _generate_all(self, requests: list[GenerationRequest]) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.max_tokens, r.temperature, r.top_p, r.seed), []).append(i)
        with self._lock:
            for (max_tokens, temperature, top_p, seed), members in groups.items():
                rows = [(i, self._prompt_ids(requests[i])) for i in members for _ in range(requests[i].n)]
                texts: dict[int, list[Completion]] = {i: [] for i in members}
                if seed is not None:
                    self._torch.manual_seed(seed)
                for start in range(0, len(rows), self.max_batch_rows):
                    chunk = rows[start : start + self.max_batch_rows]
                    for (i, _), completion in zip(chunk, self._sample([ids for _, ids in chunk], max_tokens,
                                                                      temperature, top_p, requests[chunk[0][0]].stop)):
                        texts[i].append(completion)
                for i in members:
                    results[i] = Generation(texts[i], prompt_tokens=len(self._prompt_ids(requests[i])))
        return results

    def _prompt_ids(self, request: GenerationRequest) -> list[int]:
        if request.prompt_token_ids is not None:
            return list(request.prompt_token_ids)
        return self.tokenizer(request.prompt, add_special_tokens=False)["input_ids"]

    def _sample(self, prompts: list[list[int]], max_tokens: int, temperature: float, top_p: float,
                stop: tuple[str, ...]) -> list[Completion]:
        torch = self._torch
        width = max(map(len, prompts))
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(prompts), width), pad, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, p in enumerate(prompts):
            ids[row, width - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[row, width - len(p):] = 1
        limit = getattr(self.lm.config, "n_positions", None) or getattr(self.lm.config, "max_position_embeddings", None)
        if limit:
            max_tokens = max(1, min(max_tokens, limit - width))
        sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            out = self.lm.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                   max_new_tokens=max_tokens, pad_token_id=pad,
                                   eos_token_id=self.tokenizer.eos_token_id, **sampling)
        completions = []
        for row in out[:, width:].tolist():
            eos_at = row.index(self.tokenizer.eos_token_id) if self.tokenizer.eos_token_id in row else None
            tokens = row[:eos_at] if eos_at is not None else row
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            reason = "stop" if eos_at is not None else "length"
            for s in stop:
                cut = text.find(s)
                if cut >= 0:
                    text, reason = text[:cut], "stop"
            completions.append(Completion(text, len(tokens), reason, tuple(tokens)))
        return completions
