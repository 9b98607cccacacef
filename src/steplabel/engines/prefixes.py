"""The achievable prefix-cache bound: which prompt tokens an earlier request already computed.

A prefix cache (vLLM's) reuses key/value blocks of ``block_size`` tokens, identified by the
whole token prefix up to the block's end, and only leading blocks: a request hits blocks
0..j-1 when every one of them was computed before, and at least its last prompt token is
always computed anew. So the most a request can be served from the cache is the leading full
blocks of ``prompt[:-1]`` whose prefixes some earlier request of the run computed, its prompt
or its generated tokens (all but the last, which is sampled, never fed back); with ``n > 1``
the n sequences of one prompt are siblings that share its blocks. That share of
prompt tokens is the bound the measured hit rate is set against. Eviction is not modelled:
the bound assumes a cache large enough to keep everything.
"""

from __future__ import annotations

from typing import Iterable, Sequence


class PrefixBlocks:
    """Block prefixes computed so far, as chained hashes (one int per block)."""

    def __init__(self, block_size: int, max_blocks: int = 5_000_000) -> None:
        if block_size < 1:
            raise ValueError("block_size must be >= 1")
        self.block_size = block_size
        self.max_blocks = max_blocks  # a memory bound; forgetting only lowers the bound
        self._seen: set[int] = set()

    def _chain(self, ids: Sequence[int]) -> Iterable[int]:
        h = 0
        b = self.block_size
        for start in range(0, len(ids) - b + 1, b):
            h = hash((h, tuple(ids[start:start + b])))
            yield h

    def cacheable(self, prompt: Sequence[int]) -> int:
        """Prompt tokens lying in leading full blocks an earlier request computed."""
        hit = 0
        for h in self._chain(prompt[:-1]):
            if h not in self._seen:
                break
            hit += self.block_size
        return hit

    def add(self, ids: Sequence[int]) -> None:
        """Record the blocks of a sequence whose key/values were computed."""
        if len(self._seen) > self.max_blocks:
            self._seen.clear()
        self._seen.update(self._chain(ids))

    def request(self, prompt: Sequence[int], n: int = 1) -> int:
        """A request in submission order: its bound, then its prompt counts as computed. With
        ``n > 1`` vLLM runs n sequences of the same prompt and reports the cache hits of one of
        them, a sibling of the first: its own prompt blocks count as computed before."""
        if n > 1:
            self.add(prompt)
        hit = self.cacheable(prompt)
        self.add(prompt)
        return hit

    def finished(self, prompt: Sequence[int], generated: Iterable[Sequence[int]]) -> None:
        """Its completions' blocks are computed too (prompt + all generated tokens but the last)."""
        for out in generated:
            if len(out) > 1:
                self.add(tuple(prompt) + tuple(out[:-1]))

    def reset(self) -> None:
        """With the engine's own cache reset."""
        self._seen.clear()
