"""Tool verification (``verify``) on text real models wrote: the dev half of ProcessBench and
BIG-Bench Mistake (/work/shared/data/real-steps), scored against the human first-error labels
through the same code path as ``steplabel eval``.

What matters for a verifier that may abstain: when it refutes a step, is the step wrong?
(``refutation_precision``; a refutation is false when the step is before the human's first
error or the solution has none), how often it leaves correct solutions alone
(``correct not refuted``), and how often its first refuted step is the human's first error
(``exact catches`` = acc_erroneous).

    python benchmarks/verify_real.py [--data DIR] [--no-publish] [--dump FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.config import load_config  # noqa: E402
from steplabel.evaluation.evaluate import evaluate, load_records_skipping  # noqa: E402

FILES = [
    "processbench-gsm8k", "processbench-math", "processbench-olympiadbench", "processbench-omnimath",
    "bbm-multistep_arithmetic", "bbm-logical_deduction", "bbm-tracking_shuffled_objects",
    "bbm-word_sorting", "bbm-dyck_languages",
]


def label_conflicts(path: Path) -> set[str]:
    """Ids of records labeled error-free (-1) whose last step does not state the reference
    answer (BIG-Bench Mistake gives one): a wrong final answer with no mistake marked is a
    mistake the annotators missed, so a refutation there may well be right."""
    out = set()
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
            answer, last = str(row.get("answer") or "").strip(), str(row["steps"][-1])
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        if row.get("label") == -1 and answer and not re.search(rf"(?<![\w-]){re.escape(answer)}(?!\w)", last):
            out.add(str(row["id"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/real-steps")
    parser.add_argument("--no-publish", action="store_true")
    parser.add_argument("--dump", help="write every refutation (record, step, evidence) as JSONL here")
    parser.add_argument("--only", help="comma-separated subset of the files")
    args = parser.parse_args()
    cfg = load_config(None, {"label.labelers": ["verify"]})
    rows, dump = [], []
    started = time.perf_counter()
    for name in (args.only.split(",") if args.only else FILES):
        t0 = time.perf_counter()
        records, skipped = load_records_skipping(Path(args.data) / f"{name}.dev.jsonl")
        conflicts = label_conflicts(Path(args.data) / f"{name}.dev.jsonl")
        result = evaluate(records, "verify", cfg)
        m = result.metrics
        seconds = time.perf_counter() - t0
        truth = {r.record_id: r for r in records}
        for out in result.outputs:
            for row in out.labels:
                if row.label is False:
                    r = truth[row.rollout_id]
                    dump.append({"file": name, "id": r.record_id, "step": row.step_index, "human": r.label,
                                 "text": r.steps[row.step_index], "evidence": json.loads(row.evidence)})
        decided = m["records"] - m["undetermined"]
        # refutations in records whose human label conflicts with their own wrong final answer
        in_conflict = sum(1 for out in result.outputs for row in out.labels
                          if row.label is False and row.rollout_id in conflicts)
        consistent_correct = [r.record_id for r in records if r.label == -1 and r.record_id not in conflicts]
        refuted = {row.rollout_id for out in result.outputs for row in out.labels if row.label is False}
        rest = m["refutations"] - in_conflict
        set_aside = (f"{len(conflicts)} / {in_conflict} / "
                     f"{'–' if not rest else round(1 - (m['false_refutations'] - in_conflict) / rest, 4)} / "
                     f"{'–' if not consistent_correct else round(1 - len(refuted & set(consistent_correct)) / len(consistent_correct), 4)}"
                     if conflicts else "–")
        a, c = m["acc_erroneous"], m["correct_not_refuted"] or 0.0
        f1_not_refuted = round(2 * a * c / (a + c), 4) if a + c else 0.0
        rows.append([name, m["records"], len(skipped), m["refutations"], m["false_refutations"],
                     "–" if m["refutation_precision"] is None else m["refutation_precision"], m["correct_not_refuted"], m["acc_erroneous"], m["acc_correct"],
                     m["f1"], f1_not_refuted, decided, set_aside, f"{seconds:.1f}"])
        print(name, json.dumps({k: v for k, v in m.items()}), f"{seconds:.1f}s", file=sys.stderr)
    total = time.perf_counter() - started
    header = ["file", "records", "skipped", "refutations", "false", "refutation precision",
              "correct not refuted", "exact catches (acc erroneous)", "acc correct (-1)", "F1 (-1 only)",
              "F1 (not refuted = no error)", "decided",
              "label conflicts: records / their refutations / precision, correct not refuted without them", "s"]
    body = (markdown_table(header, rows)
            + f"\n\nAll files scored in {total:.1f} s (one process, verify labeler, `steplabel eval`'s code path)."
            + "\n\n`refutation precision` = 1 - false / refutations (false: the refuted step is before the human's"
            " first error, or the solution has none). `correct not refuted`: share of correct solutions with no"
            " refuted step. `exact catches`: the first refuted step is the human's first error. `acc correct (-1)`:"
            " share of correct solutions verify declared error-free (-1 needs every step verified correct);"
            " `F1 (-1 only)`: ProcessBench's F1 with verify's own first_error (null counts as wrong);"
            " `F1 (not refuted = no error)`: the same with every record verify did not refute counted as"
            " predicted error-free, the convention the issue's baseline numbers used."
            " `decided`: records with a non-null first_error. `label conflicts`: BIG-Bench Mistake records"
            " labeled error-free whose last step does not state the reference answer (a mistake the"
            " annotators missed); how many verify refutes, and the precision and `correct not refuted`"
            " with those records set aside (they still count in every other column).")
    print(body)
    if args.dump:
        Path(args.dump).write_text("".join(json.dumps(d) + "\n" for d in dump))
    if not args.no_publish:
        publish("verify_real", body)


if __name__ == "__main__":
    main()
