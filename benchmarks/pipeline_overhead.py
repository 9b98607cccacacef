"""Prefect's overhead: one job through the `synthesize` flow and through the stage functions,
and the same flow with its batches on a 2-worker local Dask cluster (``task_runner.kind``).

The same 1,000-problem sandbox job, from cold caches, (4 rollouts per problem, MC k = 8, batches of 100) runs
alternately through the flow and directly, in one process, after one warm-up flow that
starts Prefect's temporary server (its start-up is reported apart). Each run writes a fresh
store. Reports wall time, labeled steps per second and the flow/direct ratio, and writes the
table into benchmarks/README.md.

    python benchmarks/pipeline_overhead.py [--problems 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.flows import prefect_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--problems", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()

    prefect_env.configure(tempfile.mkdtemp(prefix="steplabel-bench-state-"))
    from steplabel.flows import engines
    from steplabel.config import load_config
    from steplabel.problems import answers

    def cold() -> None:
        """Every run starts from the same cold caches (answers checked, sandbox state)."""
        answers._parsed.cache_clear()
        answers.answers_equivalent.cache_clear()
        engines._backend.cache_clear()

    from steplabel.pipeline.run import run_direct
    from steplabel.flows.synthesize import synthesize

    def config(store: str, limit: int, runner: str = "threads"):
        return load_config(None, {"run.store": store, "problems.limit": limit, "run.batch_size": 100,
                                  "generate.samples": 4, "label.mc.k": 8, "task_runner.kind": runner,
                                  "task_runner.workers": 2})

    t = time.perf_counter()
    asyncio.run(synthesize(config(tempfile.mkdtemp(), 5).model_dump(), progress=False))
    startup = time.perf_counter() - t

    cluster = cluster_startup()
    modes = ("direct", "prefect", "dask")
    times: dict[str, list[float]] = {m: [] for m in modes}
    labeled = {}
    for _ in range(args.repeats):
        for mode in modes:
            cfg = config(tempfile.mkdtemp(prefix=f"bench-{mode}-"), args.problems,
                         "dask" if mode == "dask" else "threads")
            cold()
            t = time.perf_counter()
            if mode == "direct":
                summary = asyncio.run(run_direct(cfg))
            else:
                summary = asyncio.run(synthesize(cfg.model_dump(), progress=False))
            times[mode].append(time.perf_counter() - t)
            labeled[mode] = summary["labelers"]["mc"]["labeled_steps"]
    assert len(set(labeled.values())) == 1, labeled

    med = {m: statistics.median(v) for m, v in times.items()}
    names = {"direct": "stage functions, direct", "prefect": "Prefect flow `synthesize` (threads, default)",
             "dask": "Prefect flow, batches on a local Dask cluster (2 workers; cluster start included)"}
    rows = [[names[m], f"{med[m]:.1f}", f"{labeled[m] / med[m]:.0f}", f"{med[m] / med['direct']:.2f}"]
            for m in modes]
    rest = med["dask"] - cluster
    rows.append(["the same, less the cluster's start and stop", f"{rest:.1f}", f"{labeled['dask'] / rest:.0f}",
                 f"{rest / med['direct']:.2f}"])
    table = markdown_table(["path", "wall s (median)", "labeled steps / s", "ratio to direct"], rows)
    body = (
        f"{args.problems} sandbox problems × 4 rollouts, MC k = 8, batches of 100 "
        f"({args.problems // 100} generate + {args.problems // 100} label + "
        f"{2 * args.problems // 100} store tasks); {labeled['direct']} labeled steps per run; "
        f"median of {args.repeats} alternating runs each, one process, "
        f"{platform.machine()} with {__import__('os').cpu_count()} cores, Python {platform.python_version()}.\n\n"
        f"{table}\n\n"
        f"Prefect's temporary server start-up (first flow of the process, 5 problems): {startup:.1f} s, "
        f"not included above. A local Dask cluster of 2 worker processes takes {cluster:.1f} s to start, "
        "run one trivial task and stop (measured alone). All runs: " + ", ".join(f"{m} {[round(x, 1) for x in v]}" for m, v in times.items())
    )
    print(body)
    if not args.no_publish:
        publish("pipeline_overhead", body)


def cluster_startup() -> float:
    """Start a 2-worker local Dask cluster through the task runner, run one task, stop it."""
    from prefect import flow, task

    from steplabel.config import TaskRunnerSection
    from steplabel.flows.scale_out import make_task_runner

    @task
    def nothing() -> int:
        return 1

    @flow
    def probe() -> float:
        t = time.perf_counter()
        with make_task_runner(TaskRunnerSection(kind="dask", workers=2)) as runner:
            runner.submit(nothing, parameters={}).result()
        return time.perf_counter() - t

    return probe()


if __name__ == "__main__":
    main()
