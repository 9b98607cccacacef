"""Labelers side by side on the sandbox: first-error F1 against the truth, and what it cost.

One run, the same problems and policy for every labeler:
- per-step MC (Math-Shepherd: every prefix, k completions),
- linear scan (MC prefix by prefix, stopping at the first prefix that never succeeds),
- OmegaPRM on the given solutions (``search_scope = "targets"``: screening + binary search),
- OmegaPRM growing its tree (budget 400 rollouts per question), scored on every solution it
  labeled (its own samples too, with the world's ground truth).
These use Math-Shepherd's rule (estimator "any"); noise-aware MC is one more row, and
``--section noise`` measures the noise-aware estimators alone (issue #13): F1 and rollouts
for k = 4..32 under both estimators, sandbox worlds of recovery 0 to 0.2, and calibration.
Each at two settings of the world: the default (the policy recovers after 5% of wrong
prefixes) and a cleaner one (1%). Plus a sweep over k for the plot of F1 against rollouts,
and the Qwen recipe: MC alone, an LLM judge alone, and their consensus, at two judge
accuracies (the sandbox's simulated critic).

    python benchmarks/labelers.py [--problems 100]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.config import load_config  # noqa: E402
from steplabel.evaluation.evaluate import EvalResult, evaluate, first_error_metrics, synthetic_records  # noqa: E402
from steplabel.problems.steps import split_steps  # noqa: E402
from steplabel.problems.worlds import truth_oracle  # noqa: E402

METHODS = {
    "per-step MC": ("mc", {"label.mc.strategy": "all", "label.mc.estimator": "any"}),
    "linear scan": ("mc", {"label.mc.strategy": "scan", "label.mc.estimator": "any"}),
    "noise-aware MC": ("mc", {"label.mc.estimator": "noise_aware"}),
    "OmegaPRM (given solutions)": ("omegaprm", {"label.omegaprm.search_scope": "targets",
                                                "label.omegaprm.estimator": "any"}),
    "OmegaPRM (tree, budget 400)": ("omegaprm", {"label.omegaprm.search_scope": "tree",
                                                 "label.omegaprm.estimator": "any"}),
}


def floor(records, k: int) -> float:
    """k·(⌈log2 n⌉+1) rollouts per wrong solution of n steps, averaged over wrong records."""
    wrong = [r for r in records if r.label >= 0]
    return sum(k * (math.ceil(math.log2(len(r.steps))) + 1) for r in wrong) / max(len(wrong), 1)


def all_labeled(result: EvalResult, records) -> tuple[dict, int, int]:
    """Metrics over every solution the labeler determined, its own samples included."""
    truth = {r.record_id: r.label for r in records}
    question = {r.record_id: r.problem for r in records}
    pairs, labeled_steps = [], 0
    for out in result.outputs:
        firsts = {}
        for row in out.labels:
            firsts[row.rollout_id] = row.first_error
            labeled_steps += row.label is not None
        oracle = None
        texts = {r.rollout_id: r.text for r in out.rollouts}
        for rid, fe in firsts.items():
            if fe is None:
                continue
            if rid in truth:
                pairs.append((fe, truth[rid]))
            else:
                if oracle is None:
                    q = question[next(iter(t for t in firsts if t in question))]
                    oracle = truth_oracle("synthetic:arith", q)
                pairs.append((fe, oracle([s.text for s in split_steps(texts[rid])])))
    return first_error_metrics(pairs), len(pairs), labeled_steps


def run(records, name: str, over: dict, world: dict, k: int):
    labeler, params = METHODS[name]
    key = "label.mc.k" if labeler == "mc" else "label.omegaprm.k"
    cfg = load_config(None, {**world, **params, key: k})
    t = time.perf_counter()
    result = evaluate(records, labeler, cfg)
    seconds = time.perf_counter() - t
    if "tree" in name:
        metrics, labeled, steps = all_labeled(result, records)
    else:
        metrics, labeled = result.metrics, len(records)
        given = {r.record_id for r in records}
        steps = sum(1 for out in result.outputs for row in out.labels
                    if row.label is not None and row.rollout_id in given)
    rollouts = result.cost["completions"] / max(labeled, 1)
    tokens = result.cost["generated_tokens"]
    return {
        "metrics": metrics, "labeled": labeled, "rollouts": rollouts,
        "tokens": tokens / max(labeled, 1), "steps_per_kt": 1000 * steps / max(tokens, 1),
        "batch": result.cost["mean_batch_size"], "seconds": seconds,
    }


def refutation_stats(records, result) -> tuple[float | None, float]:
    """(precision of refutations, coverage): a refuted step is right if the solution is truly
    wrong there or earlier; coverage is the share of steps the verifier decided."""
    truth = {r.record_id: r.label for r in records}
    right = refuted = 0
    coverage = []
    for out in result.outputs:
        for row in out.labels:
            evidence = json.loads(row.evidence)
            if row.step_index == 0 and "coverage" in evidence:
                coverage.append(evidence["coverage"])
            if row.label is False:
                refuted += 1
                t = truth.get(row.rollout_id)
                right += t is not None and 0 <= t <= row.step_index
    return (right / refuted if refuted else None), (sum(coverage) / len(coverage) if coverage else 0.0)


def verify_section(problems: int) -> str:
    rows = []
    for world in ("arith", "logic"):
        base = load_config(None, {})
        records = synthetic_records(base, problems, world=world)
        steps = sum(len(r.steps) for r in records)
        mc_any = {"label.mc.strategy": "scan", "label.mc.estimator": "any", "label.mc.k": 8}
        for name, over in [("verify", {}), ("mc", mc_any),
                           ("consensus", {**mc_any, "label.labelers": ["mc", "verify", "consensus"]}),
                           ("consensus", {**mc_any, "label.labelers": ["mc", "verify", "consensus"],
                                          "label.consensus.policy": "override", "label.consensus.override": "verify"})]:
            cfg = load_config(None, over)
            t = time.perf_counter()
            result = evaluate(records, name, cfg)
            seconds = time.perf_counter() - t
            m = result.metrics
            label = {"verify": "verify (exact arithmetic / Z3)", "mc": "MC any (scan, k = 8)"}.get(name, name)
            if name == "consensus":
                label = f"consensus MC + verify ({cfg.label.consensus.policy})"
            precision, coverage = refutation_stats(records, result) if name == "verify" else (None, None)
            rows.append([world, label, m["records"], m["f1"], m["acc_erroneous"], m["acc_correct"],
                         m.get("retained", 1.0), m["undetermined"],
                         "" if precision is None else f"{precision:.3f}",
                         "" if coverage is None else f"{coverage:.3f}",
                         f"{steps / seconds:.0f}" if name == "verify" else ""])
    return ("### Tool and formal verification\n\n"
            f"{problems} problems per world, 4 solutions each. Verify needs no model and no rollouts.\n\n"
            + markdown_table(["world", "labeler", "solutions scored", "F1", "acc. erroneous", "acc. correct",
                              "retained", "undetermined", "refutation precision", "coverage", "steps checked / s"],
                              rows) + "\n")


def consensus_section(problems: int) -> str:
    """MC and the simulated judge alone and in consensus, with abstentions counted."""
    records = synthetic_records(load_config(None, {}), problems)
    consensus_rows = []
    mc_kinds = {"any": ({"label.mc.estimator": "any", "label.mc.k": 8}, "MC any (scan, k = 8)"),
                "noise_aware": ({}, "MC noise-aware (default)")}
    for accuracy in (0.7, 0.9):
        for over, mc_label in mc_kinds.values():
            judge = {"label.judge.engine.sandbox.critic_accuracy": accuracy, **over,
                     "label.labelers": ["mc", "judge", "consensus"]}
            names = ("mc", "judge", "consensus") if mc_label.startswith("MC any") else ("mc", "consensus")
            for name in names:
                result = evaluate(records, name, load_config(None, judge))
                m = result.metrics
                label = {"mc": mc_label, "consensus": f"consensus ({mc_label.split(' (')[0]} + judge)"}.get(name, name)
                consensus_rows.append([
                    f"{accuracy:.0%}", label, m["records"], m["f1"],
                    m["acc_erroneous"], m["acc_correct"], m["step_precision"], m.get("retained", 1.0),
                    m["undetermined"], f"{result.cost['completions'] / len(records):.1f}",
                ])
    return (
        "### MC × LLM judge consensus (default world)\n\n"
        f"{len(records)} solutions; consensus keeps a solution when MC and the judge name the same first "
        "error and is scored on what it keeps. `undetermined`: solutions whose first error the labeler "
        "left open (an abstention: the judge's unreadable verdict, MC's unsure estimate); consensus "
        "keeps none of them (a missing or undetermined source is not agreement).\n\n"
        + markdown_table(["judge accuracy", "labeler", "solutions scored", "F1", "acc. erroneous", "acc. correct",
                          "step-label precision", "retained", "undetermined", "samples / solution"],
                         consensus_rows) + "\n"
    )


NOISE_WORLDS = (0.0, 0.05, 0.10, 0.20)
CONFIDENCE_BINS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a share measured on n labels: a bin of a dozen labels cannot show 0.05."""
    p = hits / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def calibration_rows(pairs: list[tuple[float, bool]]) -> list[list]:
    """Reliability table: in bins of stored confidence, the share that matches the truth, its
    95% interval, and ``ok`` when within 0.05 of the bin's confidence (``ok (n)`` when only the
    interval, too wide on a small bin to show 0.05, contains it)."""
    rows = []
    for lo, hi in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:]):
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi]
        if not inside:
            continue
        mean_c = sum(c for c, _ in inside) / len(inside)
        share = sum(ok for _, ok in inside) / len(inside)
        low, high = wilson(sum(ok for _, ok in inside), len(inside))
        verdict = "yes" if abs(share - mean_c) <= 0.05 else "ok (n)" if low <= mean_c <= high else "no"
        rows.append([f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}", len(inside), f"{mean_c:.3f}",
                     f"{share:.3f}", f"[{low:.3f}, {high:.3f}]", f"{share - mean_c:+.3f}", verdict])
    return rows


def confidence_pairs(records, result) -> tuple[list, list]:
    """(record first-error confidence, matches truth) and (step label confidence, matches truth)."""
    truth = {r.record_id: r.label for r in records}
    per_record, per_step = {}, []
    for out in result.outputs:
        for row in out.labels:
            t = truth.get(row.rollout_id)
            ev = json.loads(row.evidence)
            if t is None or "confidence" not in ev:
                continue
            per_record[row.rollout_id] = (ev["first_error_confidence"], row.first_error == t)
            if row.label is not None:
                per_step.append((ev["confidence"], row.label == (t == -1 or row.step_index < t)))
    return list(per_record.values()), per_step


OTHER_SEEDS = (1, 2, 4)


def noise_section(problems: int, seed: int = 3) -> str:
    """Noise-aware MC against Math-Shepherd's rule (issue #13): k table, worlds, calibration."""
    base = {"run.seed": seed}
    records = synthetic_records(load_config(None, base), problems)
    k_rows = []
    for k in (4, 8, 16, 32):
        for estimator, extra in (("any (per-step)", {"label.mc.estimator": "any", "label.mc.strategy": "all"}),
                                 ("noise_aware", {"label.mc.estimator": "noise_aware"})):
            result = evaluate(records, "mc", load_config(None, {**base, **extra, "label.mc.k": k}))
            m = result.metrics
            k_rows.append([k, estimator, m["f1"], m["acc_erroneous"], m["acc_correct"],
                           result.cost["rollouts_per_record"]])
    default = evaluate(records, "mc", load_config(None, base))
    omega = evaluate(records, "omegaprm", load_config(None, base))  # eval's default: the given solutions
    tree = {**base, "label.omegaprm.search_scope": "tree"}
    head = [["MC (default: noise_aware, k = 32)", default], ["MC any, k = 8 (per-step)", evaluate(
        records, "mc", load_config(None, {**base, "label.mc.estimator": "any", "label.mc.strategy": "all",
                                          "label.mc.k": 8}))],
            ["OmegaPRM (eval default: noise_aware, confidence 0.8, given solutions)", omega],
            ["OmegaPRM noise_aware, confidence 0.95, given solutions", evaluate(
                records, "omegaprm", load_config(None, {**base, "label.omegaprm.confidence": 0.95}))],
            ["OmegaPRM any, given solutions", evaluate(
                records, "omegaprm", load_config(None, {**base, "label.omegaprm.estimator": "any"}))],
            ["OmegaPRM noise_aware, tree (run's default scope), budget 400",
             evaluate(records, "omegaprm", load_config(None, tree))],
            ["OmegaPRM any, tree, budget 400", evaluate(
                records, "omegaprm", load_config(None, {**tree, "label.omegaprm.estimator": "any"}))]]
    head = [[name, r.metrics["f1"], r.metrics["acc_erroneous"], r.metrics["acc_correct"],
             r.cost["rollouts_per_record"], round(r.cost["rollouts_per_record"] / default.cost["rollouts_per_record"], 2)]
            for name, r in head]
    world_rows, record_pairs, step_pairs, omega_pairs = [], [], [], []
    for recovery in NOISE_WORLDS:
        world = {**base, "engine.sandbox.recovery": recovery}
        recs = synthetic_records(load_config(None, world), problems)
        for name, extra in (("MC any, k = 8 (per-step)", {"label.mc.estimator": "any", "label.mc.strategy": "all",
                                                          "label.mc.k": 8}),
                            ("MC noise_aware (default)", {}),
                            ("OmegaPRM noise_aware (given solutions only)", None)):
            labeler = "omegaprm" if extra is None else "mc"
            extra = extra if extra is not None else {}
            result = evaluate(recs, labeler, load_config(None, {**world, **extra}))
            m = result.metrics
            world_rows.append([recovery, name, m["f1"], m["acc_erroneous"], m["acc_correct"],
                               result.cost["rollouts_per_record"]])
            if name.startswith("MC noise"):
                r, st = confidence_pairs(recs, result)
                record_pairs += r
                step_pairs += st
            elif name.startswith("OmegaPRM"):
                omega_pairs += confidence_pairs(recs, result)[1]
    # The same reliability on other seeds: one seed's bins can look better than the labeler is.
    other_pairs = []
    for other in OTHER_SEEDS:
        for recovery in NOISE_WORLDS:
            world = {"run.seed": other, "engine.sandbox.recovery": recovery}
            recs = synthetic_records(load_config(None, world), problems)
            other_pairs += confidence_pairs(recs, evaluate(recs, "omegaprm", load_config(None, world)))[1]
    # One solution per problem, the shape of ProcessBench and BIG-Bench Mistake: nothing of a
    # problem but the solution itself tells how hard it is.
    single_pairs, single_rows = [], []
    for recovery in NOISE_WORLDS:
        world = {**base, "engine.sandbox.recovery": recovery}
        recs = synthetic_records(load_config(None, world), 4 * problems, samples=1)
        result = evaluate(recs, "omegaprm", load_config(None, world))
        m = result.metrics
        single_rows.append([recovery, len(recs), m["f1"], m["acc_erroneous"], m["acc_correct"],
                            result.cost["rollouts_per_record"]])
        single_pairs += confidence_pairs(recs, result)[1]
    header = ["labeler", "F1", "acc. erroneous", "acc. correct", "rollouts / record", "× MC default"]
    return (
        "### Noise-aware labels (issue #13)\n\n"
        f"`steplabel eval --data synthetic:arith --limit {problems} --seed {seed}` ({len(records)} records). "
        "The estimator fits a change-point model to the run's own counts (EM over all problems labeled "
        "together); no world parameter reaches it.\n\n"
        + markdown_table(header, head)
        + "\n\nk is the most completions per prefix (noise_aware) or the completions per prefix (any); "
        "per-step `any` is Math-Shepherd's rule.\n\n"
        + markdown_table(["k", "estimator", "F1", "acc. erroneous", "acc. correct", "rollouts / record"], k_rows)
        + "\n\nThe same configuration on sandbox worlds whose policy recovers by luck at different rates "
        "(the labelers are not told the rate):\n\n"
        + markdown_table(["world recovery", "labeler", "F1", "acc. erroneous", "acc. correct", "rollouts / record"],
                         world_rows)
        + "\n\nCalibration of noise-aware MC (all four worlds pooled): in bins of the stored confidence, the "
        "share of labels that match the truth with its 95% (Wilson) interval; `yes` when within 0.05 of the "
        "bin's mean confidence, `ok (n)` when not but the interval holds it (a bin too small to show 0.05).\n\n"
        "First error of a record (`first_error_confidence`):\n\n"
        + markdown_table(["confidence bin", "records", "mean confidence", "share right", "95% interval", "gap", "ok"],
                         calibration_rows(record_pairs))
        + "\n\nStep labels (`confidence`):\n\n"
        + markdown_table(["confidence bin", "step labels", "mean confidence", "share right", "95% interval", "gap", "ok"],
                         calibration_rows(step_pairs))
        + "\n\nStep labels of noise-aware OmegaPRM on the given solutions (eval's default; four worlds pooled):\n\n"
        + markdown_table(["confidence bin", "step labels", "mean confidence", "share right", "95% interval", "gap", "ok"],
                         calibration_rows(omega_pairs))
        + f"\n\nThe same for OmegaPRM on seeds {', '.join(map(str, OTHER_SEEDS))} (four worlds each, pooled):\n\n"
        + markdown_table(["confidence bin", "step labels", "mean confidence", "share right", "95% interval", "gap", "ok"],
                         calibration_rows(other_pairs))
        + f"\n\nOmegaPRM with one solution per problem ({4 * problems} problems per world, seed {seed}; the shape "
        "of ProcessBench and BIG-Bench Mistake, where nothing but the solution itself tells how hard its "
        "problem is):\n\n"
        + markdown_table(["world recovery", "records", "F1", "acc. erroneous", "acc. correct", "rollouts / record"],
                         single_rows)
        + "\n\nIts step labels (four worlds pooled):\n\n"
        + markdown_table(["confidence bin", "step labels", "mean confidence", "share right", "95% interval", "gap", "ok"],
                         calibration_rows(single_pairs))
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--no-publish", action="store_true")
    parser.add_argument("--section", choices=["all", "noise", "consensus"], default="all",
                        help="noise: only the noise-aware tables (issue #13), published under labelers-noise")
    args = parser.parse_args()
    if args.section == "consensus":
        body = consensus_section(args.problems) + "\n" + verify_section(args.problems)
        print(body)
        if not args.no_publish:
            publish("labelers-consensus", body)
        return
    if args.section == "noise":
        body = noise_section(args.problems)
        print(body)
        if not args.no_publish:
            publish("labelers-noise", body)
        return
    out_dir = Path(__file__).resolve().parent
    sections, sweep = [], {}
    for world_name, recovery in (("default world (recovery 0.05)", 0.05), ("cleaner world (recovery 0.01)", 0.01)):
        world = {"engine.sandbox.recovery": recovery}
        records = synthetic_records(load_config(None, world), args.problems)
        rows, results = [], {}
        for name in METHODS:
            r = results[name] = run(records, name, {}, world, 8)
            m = r["metrics"]
            rows.append([name, r["labeled"], m["f1"], m["acc_erroneous"], m["acc_correct"],
                         f"{r['rollouts']:.1f}", f"{r['tokens']:.0f}", f"{r['steps_per_kt']:.2f}",
                         f"{r['batch']:.0f}"])
        base = results["per-step MC"]
        omega = results["OmegaPRM (given solutions)"]
        verdict = (
            f"OmegaPRM on the given solutions: F1 {omega['metrics']['f1']:.3f} vs per-step MC "
            f"{base['metrics']['f1']:.3f} (Δ {omega['metrics']['f1'] - base['metrics']['f1']:+.3f}) with "
            f"{omega['rollouts'] / base['rollouts']:.0%} of its rollouts; target (within 0.02 F1 at ≤ 50% "
            f"rollouts): {'met' if omega['metrics']['f1'] >= base['metrics']['f1'] - 0.02 and omega['rollouts'] <= 0.5 * base['rollouts'] else 'NOT met'}."
        )
        sections.append(
            f"### {world_name}\n\n{len(records)} solutions of {args.problems} problems "
            f"({sum(r.label >= 0 for r in records)} with an error); k = 8; physical floor "
            f"k·(⌈log2 n⌉+1) = {floor(records, 8):.1f} rollouts per wrong solution.\n\n"
            + markdown_table(["labeler", "solutions labeled", "F1", "acc. erroneous", "acc. correct",
                              "rollouts / solution", "gen. tokens / solution", "labeled steps / 1k tokens",
                              "mean engine batch"], rows)
            + f"\n\n{verdict}\n"
        )
        if recovery == 0.05:
            for name in ("per-step MC", "linear scan", "OmegaPRM (given solutions)"):
                sweep[name] = [(run(records, name, {}, world, k)) for k in (2, 4, 8, 16)]
    sections.append(consensus_section(args.problems))
    sections.append(verify_section(args.problems))
    plot = out_dir / "labelers_f1_vs_rollouts.png"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, points in sweep.items():
        xs = [p["rollouts"] for p in points]
        ys = [p["metrics"]["f1"] for p in points]
        ax.plot(xs, ys, marker="o", label=name)
        for x, y, k in zip(xs, ys, (2, 4, 8, 16)):
            ax.annotate(f"k={k}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("rollouts per labeled solution")
    ax.set_ylabel("first-error F1 vs ground truth")
    ax.set_title("Labelers on the sandbox (default world)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(plot, dpi=120)
    sweep_rows = [[name, k, p["metrics"]["f1"], f"{p['rollouts']:.1f}"]
                  for name, points in sweep.items() for k, p in zip((2, 4, 8, 16), points)]
    body = "\n".join(sections) + "\n### k sweep (default world)\n\n" + markdown_table(
        ["labeler", "k", "F1", "rollouts / solution"], sweep_rows) + f"\n\n![F1 vs rollouts]({plot.name})\n"
    print(body)
    if not args.no_publish:
        publish("labelers", body)


if __name__ == "__main__":
    main()
