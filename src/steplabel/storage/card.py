"""The dataset card of an export, built with huggingface_hub's ``DatasetCard``.

YAML metadata (``configs`` pointing at the shards, features, license, task tags) and a body
with provenance — runs, their configuration, policy and judge models, labelers and parameters,
package versions, code revision — label statistics and plots. Secrets never reach it: the
configuration holds names of environment variables, not their values, and is scrubbed of any
key that looks like a credential anyway.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData

from steplabel.storage.formats import ExportFormat
from steplabel.storage.manifest import list_manifests

_SECRET_KEYS = ("token", "secret", "password", "api_key")


def scrub(value):
    if isinstance(value, dict):
        return {k: ("***" if any(s in k.lower() for s in _SECRET_KEYS) and not k.lower().endswith("_env") else scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _plots(out: Path, form: ExportFormat, rows: list[dict]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    firsts = [form.first_error(r) for r in rows]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(firsts, bins=range(-1, max(firsts + [1]) + 2), align="left", rwidth=0.85)
    ax.set_xlabel("first wrong step (-1 = none)")
    ax.set_ylabel("solutions")
    fig.tight_layout()
    fig.savefig(out / "first_error_histogram.png", dpi=100)
    plt.close(fig)
    names.append("first_error_histogram.png")
    if form.score_plot:
        scores = [s for r in rows for s in form.scores(r) if s is not None]  # null: the labeler gave no score
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(scores, bins=20, range=(0.0, 1.0))
        ax.set_xlabel("step score (probability the step is correct)")
        ax.set_ylabel("steps")
        fig.tight_layout()
        fig.savefig(out / "score_distribution.png", dpi=100)
        plt.close(fig)
        names.append("score_distribution.png")
    return names


def confidence_lines(manifests, counts: dict) -> list[str]:
    """Which estimator made the Monte Carlo labels, and how sure the exported labels are."""
    lines = []
    for m in manifests:
        label = m.config.get("label", {})
        for name in ("mc", "omegaprm"):
            if name in label.get("labelers", []):
                section = label.get(name, {})
                lines.append(f"- {name} estimator in run {m.run_id}: `{section.get('estimator', 'any')}`"
                             + (f", confidence {section['confidence']}" if "confidence" in section else ""))
    if counts.get("min_confidence"):
        lines.append(f"- exported only rollouts whose every step label has confidence >= {counts['min_confidence']} "
                     f"({counts.get('below_confidence', 0)} left out)")
    conf = sorted(counts.get("confidences") or [])
    if conf:
        q = lambda f: conf[min(len(conf) - 1, int(f * len(conf)))]  # noqa: E731
        bins = [(0.0, 0.9), (0.9, 0.99), (0.99, 1.01)]
        shares = ", ".join(f"[{lo}, {min(hi, 1.0)}{']' if hi > 1 else ')'}: "
                           f"{sum(lo <= c < hi for c in conf) / len(conf):.1%}" for lo, hi in bins)
        lines.append(f"- label confidence (least step confidence per solution, {len(conf)} solutions): "
                     f"min {conf[0]:.3f}, 10% {q(0.1):.3f}, median {q(0.5):.3f}; {shares}")
    return lines


def write_card(out: Path, store, form: ExportFormat, labeler: str, counts: dict, rows: list[dict], split: str,
               license: str) -> DatasetCard:
    manifests = [m for m in list_manifests(store) if m.run_id in counts["runs"]]
    data = DatasetCardData(
        license=license, task_categories=["text-classification"], language=["en"],
        tags=["process-reward-model", "prm", "step-labels", "steplabel", labeler],
        configs=[{"config_name": "default", "data_files": [{"split": split, "path": f"data/{split}-*"}]}],
        dataset_info={"features": form.card_features},
    )
    plots = _plots(out, form, rows)
    steps = sum(form.step_count(r) for r in rows)
    negatives = sum(form.negatives(r) or 0 for r in rows)
    provenance = [{
        "run_id": m.run_id, "status": m.status, "seed": m.seed, "code_revision": m.code_revision,
        "versions": m.versions, "policy": {"kind": m.config["engine"]["kind"], "model": m.config["engine"]["model"]},
        "labelers": m.config["label"]["labelers"],
        "judge": {"kind": m.config["label"]["judge"]["engine"]["kind"], "model": m.config["label"]["judge"]["engine"]["model"]},
        "config": scrub(m.config),
    } for m in manifests]
    body = "\n".join([
        "---", data.to_yaml(), "---", "",
        "# Step labels for process reward models", "",
        f"Made with steplabel — form `{form.name}`, labels by `{labeler}`.", "",
        "## Statistics", "",
        f"- solutions: {len(rows)} (from {counts['rollouts']} labeled rollouts; {counts['rejected']} rejected by "
        f"consensus, {counts['undetermined']} undetermined, {counts['excluded_contaminated']} excluded as "
        "appearing in an evaluation set)",
        f"- steps: {steps}" + (f", of which {negatives} labeled incorrect" if form != "processbench" else ""),
        *confidence_lines(manifests, counts),
        "", *[f"![{p}]({p})" for p in plots], "",
        "## Label conventions", "",
        "Steps are 0-indexed; a solution's steps run up to and including its first wrong step; "
        "`labels[i]` is true when step i is correct. ProcessBench form: `label` is the first wrong step or -1.",
        "", "## Provenance", "", "```json", json.dumps(provenance, indent=2, default=str), "```", "",
    ])
    card = DatasetCard(body)
    card.save(out / "README.md")
    return card
