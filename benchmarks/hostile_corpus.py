"""Issue 18's hostile-input corpus, counted by kind: how many cases, and how many end in their
asserted outcome (a quarantine row with its reason, one ``error:`` line naming the file, line or
key, or a completed run; never a traceback, a hang or a changed stored row) with this code and,
with ``--baseline-src``, with an older ``src`` folder run against the same tests.

A case fails under the older code when its outcome differs in any way the test asserts,
including a message worded differently (config errors were several lines before this issue).
Calls under the older code are bounded at 20 s (``STEPLABEL_TEST_BOUND_S``) and the process at
6 GiB of address space, since some cases hang or grow without end there.

    python benchmarks/hostile_corpus.py [--baseline-src /path/to/old/src] [--prefect]

Writes the table into benchmarks/RELIABILITY.md and benchmarks/README.md (``hostile_corpus``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _tables import markdown_table, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILES = ["tests/reliability/test_hostile_corpus.py", "tests/labelers/verify/test_guards.py"]
KINDS = [  # (kind, test-name prefixes)
    ("problem rows", ("test_hostile_row", "test_bytes_that", "test_hostile_looking", "test_the_bom_line")),
    ("problem files", ("test_hostile_problem_file",)),
    ("configs", ("test_hostile_config", "test_a_scalar_section")),
    ("model outputs (verify, answer checker)", ("test_a_hostile_step", "test_hostile_steps_come_back",
                                                "test_a_hostile_final_answer", "test_a_checker_that_raises",
                                                "test_the_record_budget")),
    ("server replies", ("test_a_hostile_reply", "test_empty_replies")),
    ("evaluation records and files", ("test_a_hostile_eval",)),
    ("store damage", ("test_a_damaged_store", "test_stats_and_export")),
    ("CLI misuse (export, stats, query)", ("test_cli_misuse",)),
    ("Prefect mode (same error line as --no-prefect)", ("test_prefect_mode",)),
]


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


def _pytest(env: dict, selection: list[str], counts: Counter, prefixes: tuple[str, ...], timeout: float = 3600) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        try:
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                            *selection], cwd=ROOT, env=env, preexec_fn=_limit_memory,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            # a call that holds the interpreter (a huge integer power in C) defeats the thread
            # bound: the process is stopped and its case counted as not handled
            counts["tried"] += 1
            return
        if not xml.exists():
            return
        for case in ET.parse(xml).iter("testcase"):
            name = re.sub(r"\[.*", "", case.get("name", ""))
            if not name.startswith(prefixes):
                continue
            counts["tried"] += 1
            if case.find("failure") is None and case.find("error") is None and case.find("skipped") is None:
                counts["clean"] += 1


def run(src: Path, files: list[str], bound_s: str, per_case: tuple[str, ...] = ()) -> dict[str, Counter]:
    """One pytest process per kind, and for the kinds in ``per_case`` one per case: a call that
    hangs under old code keeps burning CPU on its thread (a thread cannot be stopped), and must
    not slow down the cases after it."""
    counts: dict[str, Counter] = {kind: Counter() for kind, _ in KINDS}
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}", "STEPLABEL_TEST_BOUND_S": bound_s}
    for kind, prefixes in KINDS:
        selection = ["-k", " or ".join(prefixes), *files]
        if kind not in per_case:
            _pytest(env, selection, counts[kind], prefixes)
            continue
        listed = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                                 *selection], cwd=ROOT, env=env, capture_output=True, text=True).stdout
        for node in [line for line in listed.splitlines() if "::" in line]:
            _pytest(env, [node], counts[kind], prefixes, timeout=120)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-src", type=Path, help="an older steplabel src folder to compare with")
    parser.add_argument("--baseline-name", default="before issue 18")
    parser.add_argument("--prefect", action="store_true", help="include the Prefect-mode cases (minutes)")
    args = parser.parse_args()
    files = FILES + (["tests/flows/test_prefect_errors.py"] if args.prefect else [])
    now = run(ROOT / "src", files, "120")
    before = run(args.baseline_src, files, "20", per_case=(KINDS[3][0],)) if args.baseline_src else None
    header = ["kind", "cases", "handled cleanly"] + ([f"handled cleanly ({args.baseline_name})"] if before else [])
    rows, totals = [], Counter()
    for kind, _ in KINDS:
        c = now[kind]
        if not c["tried"]:
            continue
        row = [kind, c["tried"], c["clean"]]
        totals["tried"] += c["tried"]
        totals["clean"] += c["clean"]
        if before:
            row.append(before[kind]["clean"])
            totals["before"] += before[kind]["clean"]
        rows.append(row)
    rows.append(["**all**", totals["tried"], totals["clean"]] + ([totals["before"]] if before else []))
    table = markdown_table(header, rows)
    print(table)
    for path in (Path(__file__).with_name("RELIABILITY.md"), Path(__file__).with_name("README.md")):
        publish("hostile_corpus", table, path)


if __name__ == "__main__":
    main()
