"""What generation cost: engine calls, requests, completions, tokens and batch sizes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class CostMeter:
    engine_calls: int = 0
    requests: int = 0
    completions: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    cacheable_prompt_tokens: int = 0  # the prefix-cache bound (engines/prefixes.py), where known
    generated_tokens: int = 0
    failed_requests: int = 0
    truncated: int = 0  # completions cut at max_tokens (finish_reason "length")
    batch_sizes: Counter = field(default_factory=Counter)

    def record_batch(self, generations) -> None:
        self.engine_calls += 1
        self.batch_sizes[len(generations)] += 1
        for g in generations:
            self.requests += 1
            self.completions += len(g.completions)
            self.truncated += sum(c.finish_reason == "length" for c in g.completions)
            self.prompt_tokens += g.prompt_tokens
            self.cached_prompt_tokens += g.cached_prompt_tokens
            self.cacheable_prompt_tokens += g.cacheable_prompt_tokens or 0
            self.generated_tokens += g.generated_tokens
            if g.error:
                self.failed_requests += 1

    @property
    def mean_batch_size(self) -> float:
        return self.requests / self.engine_calls if self.engine_calls else 0.0

    @property
    def max_batch_size(self) -> int:
        return max(self.batch_sizes, default=0)

    def merge(self, other: "CostMeter") -> None:
        for name in ("engine_calls", "requests", "completions", "prompt_tokens",
                     "cached_prompt_tokens", "cacheable_prompt_tokens", "generated_tokens", "failed_requests", "truncated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.batch_sizes.update(other.batch_sizes)

    def as_dict(self) -> dict:
        return {
            "engine_calls": self.engine_calls,
            "requests": self.requests,
            "completions": self.completions,
            "prompt_tokens": self.prompt_tokens,
            "cached_prompt_tokens": self.cached_prompt_tokens,
            "cacheable_prompt_tokens": self.cacheable_prompt_tokens,
            "generated_tokens": self.generated_tokens,
            "failed_requests": self.failed_requests,
            "truncated": self.truncated,
            "mean_batch_size": round(self.mean_batch_size, 2),
            "max_batch_size": self.max_batch_size,
            "batch_size_histogram": self.histogram(),
        }

    def histogram(self) -> dict[str, int]:
        """Engine calls by batch size, in power-of-two buckets ("1", "2-3", "4-7", ...)."""
        buckets: dict[int, int] = {}
        for size, calls in self.batch_sizes.items():
            low = 1 << (size.bit_length() - 1)
            buckets[low] = buckets.get(low, 0) + calls
        return {(str(lo) if lo == 1 else f"{lo}-{2 * lo - 1}"): n for lo, n in sorted(buckets.items())}
