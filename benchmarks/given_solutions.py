"""``steplabel run --solutions`` on text real models wrote: the dev half of ProcessBench and
BIG-Bench Mistake (/work/shared/data/real-steps) through the whole pipeline (load, store,
verify, store the labels), against ``steplabel eval`` on the same files.

What it shows: every row is stored (or quarantined with its reason), the labels the run stores
equal the labeler's predictions in ``eval``, how often the stored first error agrees with the
human one where verify decided, and what storing costs over scoring (seconds for each).

    python benchmarks/given_solutions.py [--data DIR] [--no-publish] [--only a,b]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.config import load_config  # noqa: E402
from steplabel.evaluation.evaluate import evaluate, load_records_skipping  # noqa: E402
from steplabel.pipeline.run import run_direct  # noqa: E402
from steplabel.storage import connect  # noqa: E402
from verify_real import FILES  # noqa: E402


def run_once(path: Path) -> tuple[dict, dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        return _run(path, Path(tmp) / "store")


def _run(path: Path, store: Path) -> tuple[dict, dict, float]:
    cfg = load_config(None, {"run.store": str(store), "problems.solutions": str(path),
                             "label.labelers": ["verify"]})
    t0 = time.perf_counter()
    summary = asyncio.run(run_direct(cfg))
    seconds = time.perf_counter() - t0
    stored = dict(connect(store).execute(
        "SELECT json_extract_string(r.sampling, '$.id'), any_value(l.first_error) FROM step_labels l "
        "JOIN rollouts r USING (rollout_id) GROUP BY 1").fetchall())
    return summary, stored, seconds


def eval_once(path: Path) -> tuple[dict, float]:
    t0 = time.perf_counter()
    records, _ = load_records_skipping(path)
    predicted = evaluate(records, "verify", load_config(None, {"label.labelers": ["verify"]})).predictions
    return predicted, time.perf_counter() - t0


def fresh(fn, *args):
    """``fn(*args)`` in a new process, so neither side profits from the other's warm caches
    (math-verify's parses, verify's tables); the time is taken inside, imports excluded."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/real-steps")
    parser.add_argument("--no-publish", action="store_true")
    parser.add_argument("--only", help="comma-separated subset of the files")
    args = parser.parse_args()
    rows = []
    for name in (args.only.split(",") if args.only else FILES):
        path = Path(args.data) / f"{name}.dev.jsonl"
        summary, stored, run_s = fresh(run_once, path)
        predicted, eval_s = fresh(eval_once, path)
        v = summary["labelers"]["verify"]
        rows.append([name, summary["rollouts"], summary["quarantined"], summary["steps"], v["labeled_steps"],
                     v["labeled_rollouts"] - v["undetermined_rollouts"],
                     "–" if v["truth_agreement"] is None else v["truth_agreement"],
                     "yes" if stored == predicted else "NO", f"{run_s:.1f}", f"{eval_s:.1f}"])
        print(name, rows[-1], file=sys.stderr)
    header = ["file", "rollouts stored", "quarantined", "steps", "labeled steps", "decided",
              "first error = human (decided)", "run labels = eval predictions", "run s", "eval s"]
    body = (markdown_table(header, rows)
            + "\n\n`steplabel run --solutions FILE --labelers verify --no-prefect` on each dev file (one process, "
            "2-core machine). `decided`: rollouts with a non-null first error; `first error = human`: their share "
            "whose first error is the file's human label (what `stats` reports as agreement with the truth). "
            "`run s` includes loading, writing the Parquet shards and the summary; `eval s` loads and scores "
            "the same records with `steplabel eval`'s code path; each in a fresh process (cold caches). The run "
            "also checks each solution's final answer against the reference with math-verify (the `correct` "
            "column; eval skips it for verify): on word_sorting's word lists that costs about 0.3 s a row.")
    print(body)
    if not args.no_publish:
        publish("given_solutions", body)


if __name__ == "__main__":
    main()
