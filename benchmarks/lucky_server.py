"""Noise-aware MC and OmegaPRM against an OpenAI-compatible server whose policy recovers by
luck after 10% of its mistakes (issue #13), over several seeds (`python benchmarks/lucky_server.py`).

The server is the one the tests run (``tests/labelers/lucky_server.py``): the sandbox's policy
behind HTTP, never named to the labelers. Each seed draws its own 100 problems and solutions.
MC (k = 8) is scored on every truly wrong / truly correct prefix of the given solutions (an
abstention counts against it); OmegaPRM (tree, budget 200) on every label it writes, tree
solutions included. MC's wrong prefixes are split by whether the solution's own final answer
shows its error: where the text recovers (a right answer after a wrong step), completions from
every later prefix succeed as from a correct one, so no count can place the error there; only
the step's echo can (the completions before it write another value than it states).

    python benchmarks/lucky_server.py [--seeds 1,2,3,4,5,6,7,8] [--problems 100]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _tables import markdown_table, publish  # noqa: E402

from steplabel.evaluation.evaluate import evaluate, synthetic_records, tasks_for  # noqa: E402
from tests.labelers.lucky_server import LUCK, LuckyRecoveryServer, prefix_rates, tree_pairs  # noqa: E402
from tests.labelers.test_lucky_server import config  # noqa: E402


def pct(x: float) -> str:
    return f"{x:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8")
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    mc_rows, omega_rows = [], []
    with LuckyRecoveryServer() as server:
        for seed in (int(s) for s in args.seeds.split(",")):
            records = synthetic_records(config(server, **{"run.seed": seed}), args.problems)
            right = {t.rollout_id: t.correct for t in tasks_for(records)}
            mc = evaluate(records, "mc", config(server, **{"label.mc.k": 8, "run.seed": seed}))
            anyk = evaluate(records, "mc", config(server, **{"label.mc.k": 8, "run.seed": seed,
                                                             "label.mc.estimator": "any", "label.mc.strategy": "all"}))

            def pairs(result, keep=lambda r: True):
                return [(result.predictions.get(r.record_id), r.label, len(r.steps)) for r in records if keep(r)]

            silent = lambda r: right[r.record_id] and r.label >= 0  # noqa: E731
            caught, kept = prefix_rates(pairs(mc))
            shows_caught, shows_kept = prefix_rates(pairs(mc, lambda r: not silent(r)))
            n_silent = sum(silent(r) for r in records)
            silent_caught = prefix_rates(pairs(mc, silent))[0] if n_silent else float("nan")
            mc_rows.append([seed, len(records), pct(caught), pct(kept), pct(shows_caught), pct(shows_kept),
                            n_silent, pct(silent_caught), pct(prefix_rates(pairs(anyk))[0]),
                            mc.cost["rollouts_per_record"]])
            omega = evaluate(records, "omegaprm", config(server, **{
                "label.omegaprm.k": 8, "label.omegaprm.search_scope": "tree", "run.seed": seed,
                "label.omegaprm.rollout_budget": 200}))
            every = tree_pairs(omega, records)
            written = [p for p in every if p[0] is not None]
            w_caught, w_kept = prefix_rates(written)
            omega_rows.append([seed, len(every), pct(len(written) / len(every)), pct(w_caught), pct(w_kept),
                               omega.cost["rollouts_per_record"]])
            print(mc_rows[-1], omega_rows[-1], flush=True)
    body = (
        f"The sandbox's policy behind an OpenAI-compatible server, recovering by luck after {LUCK:.0%} of its "
        f"mistakes; {args.problems} problems x 4 solutions per seed. Targets (issue #13): MC labels >= 95% of "
        "truly wrong prefixes wrong, OmegaPRM's labels >= 90%, both keep >= 99% of truly correct prefixes.\n\n"
        "MC, noise-aware, k = 8, on the given solutions (an abstention counts against it). \"Error shows\": "
        "solutions whose final answer is wrong, or that have no error; \"text recovered\": a wrong step and "
        "still the right answer.\n\n"
        + markdown_table(["seed", "solutions", "wrong prefixes caught", "correct kept", "caught, error shows",
                          "kept, error shows", "solutions whose text recovered", "caught there",
                          "Math-Shepherd any-of-8: caught", "rollouts / solution"], mc_rows)
        + "\n\nOmegaPRM, noise-aware, k = 8, tree grown with budget 200 per question, scored on every label "
        "it writes (tree solutions included):\n\n"
        + markdown_table(["seed", "solutions labeled or abstained", "decided", "wrong prefixes caught",
                          "correct kept", "rollouts / given solution"], omega_rows)
        + "\n"
    )
    print(body)
    if not args.no_publish:
        publish("lucky_server", body)


if __name__ == "__main__":
    main()
