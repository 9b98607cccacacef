"""The Monte Carlo labelers (``mc``, ``omegaprm``) on text real models wrote: the dev half of
BIG-Bench Mistake and ProcessBench (/work/shared/data/real-steps), scored against the human
first-error labels through ``steplabel eval``'s code path, with the default engine.

Why: the default engine is the simulated policy, which cannot continue text it did not write,
so no completion from a real solution's prefix reaches an answer. Nothing can be measured, and
the only right outcome is to abstain, each with its reason: every label written here is a
claim made on no evidence, and a false one is what a PRM would learn. What is counted: the
records each labeler decides, its refutations (a first error named) and how many of them are
false (before the human's first error, or on a solution without one), its "error-free"
claims and how many of them are false (the human marked an error), and why it abstained.
Files without a reference answer the labelers can judge against are refused with the
reason (ProcessBench gives none; some BIG-Bench Mistake answers do not parse).

    python benchmarks/mc_real.py [--data DIR] [--no-publish]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.config import load_config  # noqa: E402
from steplabel.evaluation.evaluate import evaluate, load_records_skipping  # noqa: E402
from steplabel.problems.sources import SourceError  # noqa: E402

FILES = [
    "bbm-multistep_arithmetic", "bbm-logical_deduction", "bbm-tracking_shuffled_objects",
    "bbm-word_sorting", "bbm-dyck_languages", "processbench-gsm8k",
]
LABELERS = ("mc", "omegaprm")


def score(records, result) -> dict:
    """Decisions and false claims both ways (eval's predictions and refutation counts), and
    why the undecided abstained."""
    truth = {r.record_id: r.label for r in records}
    reasons: Counter = Counter()
    seen = set()
    for out in result.outputs:
        for row in out.labels:
            if row.rollout_id not in truth or row.rollout_id in seen:
                continue
            seen.add(row.rollout_id)
            if row.first_error is None:
                evidence = json.loads(row.evidence)
                reason = evidence.get("source") or (evidence.get("reason") or row.status).split(":")[0]
                reasons[reason if len(reason) <= 48 else reason[:45] + "..."] += 1
    cleared = [rid for rid, fe in result.predictions.items() if fe == -1]
    m = result.metrics
    return {"decided": len(records) - m["undetermined"], "refutations": m["refutations"],
            "false refutations": m["false_refutations"], "error-free claims": len(cleared),
            "false error-free claims": sum(truth[rid] >= 0 for rid in cleared),
            "abstained (reason: records)": ", ".join(f"{k}: {v}" for k, v in reasons.most_common()) or "–"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/real-steps")
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    config = load_config(None, {})
    rows, refused = [], []
    for name in FILES:
        path = Path(args.data) / f"{name}.dev.jsonl"
        if not path.exists():
            refused.append(f"`{name}`: not found")
            continue
        records, _ = load_records_skipping(path)
        for labeler in LABELERS:
            started = time.perf_counter()
            try:
                result = evaluate(records, labeler, config)
            except SourceError as exc:
                refused.append(f"`{name}` ({labeler}): {str(exc)[:160]}")
                continue
            s = score(records, result)
            rows.append([name, len(records), sum(r.label == -1 for r in records), labeler, s["decided"],
                         s["refutations"], s["false refutations"], s["error-free claims"],
                         s["false error-free claims"], s["abstained (reason: records)"],
                         result.cost["rollouts_per_record"], round(time.perf_counter() - started, 1)])
            print(rows[-1], flush=True)
    body = (
        "Default engine (the simulated policy, which cannot continue real text: no completion has an "
        "answer, so every label would rest on nothing measured); `steplabel eval` defaults otherwise.\n\n"
        + markdown_table(["file", "records", "error-free (human)", "labeler", "decided", "refutations",
                          "false refutations", "error-free claims", "false error-free claims",
                          "abstained (reason: records)", "rollouts / record", "s"], rows)
        + "\n\nRefused (no reference answer the labelers can judge completions against):\n\n"
        + "\n".join(f"- {line}" for line in refused) + "\n"
    )
    print(body)
    if not args.no_publish:
        publish("mc_real", body)


if __name__ == "__main__":
    main()
