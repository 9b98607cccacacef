"""Peak memory of one `steplabel run` as the problem count grows (2,000 → 20,000).

Each size runs in its own process (`--no-prefect`, sandbox, 2 rollouts per problem, MC k = 8,
batches of 100); its peak RSS is read from the kernel (ru_maxrss of the child). Writes the
table into benchmarks/RELIABILITY.md.

    python benchmarks/memory.py [--sizes 2000 20000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def peak_rss_mb(problems: int) -> tuple[float, float]:
    store = tempfile.mkdtemp(prefix=f"mem-{problems}-")
    cmd = [sys.executable, "-m", "steplabel.cli", "run", "--no-prefect", "--store", store, "--limit",
           str(problems), "--samples", "2", "--json"]
    env = {**os.environ, "STEPLABEL_STATE_DIR": tempfile.mkdtemp()}
    start = time.perf_counter()
    pid = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        mb, seconds = peak_rss_mb(n)
        rows.append((n, mb, seconds))
        print(f"{n} problems: peak RSS {mb:.0f} MB, {seconds:.0f} s", flush=True)
    base = rows[0][1]
    table = ["| problems | peak RSS (MB) | vs the smallest | wall s |", "|---|---|---|---|"]
    table += [f"| {n} | {mb:.0f} | {mb / base:.2f}× | {s:.0f} |" for n, mb, s in rows]
    body = ("## Peak memory by problem count\n\n`benchmarks/memory.py`: sandbox, 2 rollouts per problem, MC k = 8, "
            "batches of 100, one process per size.\n\n" + "\n".join(table) + "\n")
    path = HERE / "RELIABILITY.md"
    text = path.read_text()
    text = re.sub(r"\n## Peak memory by problem count\n.*", "", text, flags=re.DOTALL).rstrip() + "\n\n" + body
    path.write_text(text)
    print(body)


if __name__ == "__main__":
    main()
