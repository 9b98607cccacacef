"""Adding up what engines report (calls, requests, tokens, batch sizes) across batches and stages."""

from __future__ import annotations

_SUMMED = ("engine_calls", "requests", "completions", "prompt_tokens", "cached_prompt_tokens",
           "cacheable_prompt_tokens", "generated_tokens", "failed_requests", "truncated")


def add_cost(total: dict, part: dict) -> None:
    for key in _SUMMED:
        total[key] = total.get(key, 0) + part.get(key, 0)
    total["max_batch_size"] = max(total.get("max_batch_size", 0), part.get("max_batch_size", 0))
    hist = total.setdefault("batch_size_histogram", {})
    for bucket, calls in part.get("batch_size_histogram", {}).items():
        hist[bucket] = hist.get(bucket, 0) + calls
    total["mean_batch_size"] = round(total["requests"] / total["engine_calls"], 2) if total["engine_calls"] else 0.0


def merge_cost(total: dict, part: dict) -> None:
    """Add one batch's cost (``{stage: cost}`` and ``{stage:counters: {name: n}}``) to the run's."""
    for key, value in part.items():
        if key.endswith(":counters"):
            counters = total.setdefault(key, {})
            for k, v in value.items():
                counters[k] = counters.get(k, 0) + v
        else:
            add_cost(total.setdefault(key, {}), value)
