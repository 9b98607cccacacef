"""The dataset card of an export, built with huggingface_hub's ``DatasetCard``.

YAML metadata (``configs`` pointing at the shards, per-config features, license, task tags) and
a body with one section per config/split — form, labeler, provenance (runs, their
configuration, policy and judge models, labelers and parameters, package versions, code
revision), label statistics and plots. Secrets never reach it: the configuration holds names of
environment variables, not their values, and is scrubbed of any key that looks like a
credential anyway.

A repository on the Hub holds several configs and splits pushed at different times, and its one
card must describe all of them: ``merge_cards`` folds a new export's card into the one already
there (its config/split replaced, the others kept), so the YAML ``configs`` always lists what
is on the Hub. Sections are delimited by HTML comments so a later merge can find them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData

from steplabel.storage.formats import PROVENANCE_FEATURES, ExportFormat
from steplabel.storage.manifest import list_manifests

_SECRET_KEYS = ("token", "secret", "password", "api_key")
_SECTION = re.compile(r"<!-- steplabel:section (\S+) -->\n(.*?)<!-- steplabel:end \1 -->\n?", re.DOTALL)
_TITLE = "# Step labels for process reward models"
_CONVENTIONS = "\n".join([
    "## Label conventions", "",
    "Steps are 0-indexed; a solution's steps run up to and including its first wrong step; "
    "`labels[i]` is true when step i is correct. ProcessBench form: `label` is the first wrong step or -1. "
    "Step-tag forms (`openrlhf`, `math-shepherd`): each step ends with the tag `ки`, whose label is `+` or `-`. "
    "Every row carries `run_id`, `rollout_id` and `labeler`, which join it to the store's `step_labels`; "
    "prefix rows (tree labelers) also carry `step_index`, `solutions` and `evidence`.",
])


def scrub(value):
    if isinstance(value, dict):
        return {k: ("***" if any(s in k.lower() for s in _SECRET_KEYS) and not k.lower().endswith("_env") else scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def plot_folder(config_name: str, split: str) -> str:
    return f"plots/{config_name}/{split}"


def data_pattern(config_name: str, split: str) -> str:
    return f"data/{config_name}/{split}-*"


def _plots(out: Path, form: ExportFormat, rows: list[dict], folder: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (out / folder).mkdir(parents=True, exist_ok=True)
    names = []
    firsts = [form.first_error(r) for r in rows]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(firsts, bins=range(-1, max(firsts + [1]) + 2), align="left", rwidth=0.85)
    ax.set_xlabel("first wrong step (-1 = none)")
    ax.set_ylabel("rows")
    fig.tight_layout()
    fig.savefig(out / folder / "first_error_histogram.png", dpi=100)
    plt.close(fig)
    names.append(f"{folder}/first_error_histogram.png")
    if form.score_plot:
        scores = [s for r in rows for s in form.scores(r) if s is not None]  # null: the labeler gave no score
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(scores, bins=20, range=(0.0, 1.0))
        ax.set_xlabel("step score (probability the step is correct)")
        ax.set_ylabel("steps")
        fig.tight_layout()
        fig.savefig(out / folder / "score_distribution.png", dpi=100)
        plt.close(fig)
        names.append(f"{folder}/score_distribution.png")
    return names


def _provenance(store, runs: list[str]) -> list[dict]:
    return [{
        "run_id": m.run_id, "status": m.status, "seed": m.seed, "code_revision": m.code_revision,
        "versions": m.versions, "policy": {"kind": m.config["engine"]["kind"], "model": m.config["engine"]["model"]},
        "labelers": m.config["label"]["labelers"],
        "judge": {"kind": m.config["label"]["judge"]["engine"]["kind"], "model": m.config["label"]["judge"]["engine"]["model"]},
        "config": scrub(m.config),
    } for m in list_manifests(store) if m.run_id in runs]


def confidence_lines(store, counts: dict) -> list[str]:
    """Which estimator made the Monte Carlo labels, and how sure the exported labels are."""
    lines = []
    for m in list_manifests(store):
        if m.run_id not in counts["runs"]:
            continue
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


def _section(out: Path, store, form: ExportFormat, labeler: str, counts: dict, rows: list[dict], split: str,
             config_name: str) -> str:
    plots = _plots(out, form, rows, plot_folder(config_name, split))
    steps = sum(form.step_count(r) for r in rows)
    negatives = sum(form.negatives(r) or 0 for r in rows)
    if counts.get("row_unit") == "prefix":
        unit = (f"- rows: {len(rows)}, one per distinct labeled prefix of {counts['tree_solutions']} tree solutions "
                f"({counts['tree_steps']} labeled steps before deduplication; {counts['tree_conflicts']} prefixes "
                "labeled both ways, kept as correct)")
    else:
        unit = f"- rows: {len(rows)}, one per solution"
    key = f"{config_name}/{split}"
    return "\n".join([
        f"<!-- steplabel:section {key} -->",
        f"## Config `{config_name}`, split `{split}`", "",
        f"Form `{form.name}`, labels by `{labeler}`.", "",
        unit,
        f"- from {counts['rollouts']} labeled rollouts: {counts['rejected']} rejected by consensus, "
        f"{counts['undetermined']} undetermined, {counts['excluded_contaminated']} excluded as appearing in an "
        "evaluation set",
        f"- steps: {steps}" + (f", of which {negatives} labeled incorrect" if form.step_labels else ""),
        *confidence_lines(store, counts),
        "", *[f"![{Path(p).name}]({p})" for p in plots], "",
        "<details><summary>Provenance</summary>", "", "```json",
        json.dumps(_provenance(store, counts["runs"]), indent=2, default=str), "```", "", "</details>",
        f"<!-- steplabel:end {key} -->", "",
    ])


def _render(data: DatasetCardData, sections: dict[str, str]) -> str:
    ordered = sorted(sections.items(), key=lambda kv: (kv[0].split("/")[0] != "default", kv[0]))
    return "\n".join(["---", data.to_yaml(), "---", "", _TITLE, "",
                      "Made with steplabel. One section per config and split on this repository.", "",
                      *[text for _, text in ordered], _CONVENTIONS, ""])


def write_card(out: Path, store, form: ExportFormat, labeler: str, counts: dict, rows: list[dict], split: str,
               license: str, config_name: str = "default") -> DatasetCard:
    features = [*form.card_features, *PROVENANCE_FEATURES]
    if counts.get("row_unit") == "prefix":
        from steplabel.storage.tree_rows import TREE_FEATURES

        features += TREE_FEATURES
    data = DatasetCardData(
        license=license, task_categories=["text-classification"], language=["en"],
        tags=["process-reward-model", "prm", "step-labels", "steplabel", labeler],
        configs=[{"config_name": config_name, "data_files": [{"split": split, "path": data_pattern(config_name, split)}]}],
        dataset_info=[{"config_name": config_name, "features": features}],
    )
    section = _section(out, store, form, labeler, counts, rows, split, config_name)
    card = DatasetCard(_render(data, {f"{config_name}/{split}": section}))
    card.save(out / "README.md")
    return card


def _as_list(value) -> list[dict]:
    if value is None:
        return []
    return [dict(x) for x in (value if isinstance(value, list) else [value])]


def _data_files(config: dict) -> list[dict]:
    """A config's ``data_files`` as ``{split, path}`` entries (a bare pattern is the train split's)."""
    files = config.get("data_files") or []
    return [{"split": "train", "path": e} if isinstance(e, str) else dict(e)
            for e in (files if isinstance(files, list) else [files])]


def card_paths(card_text: str | None) -> dict[tuple[str, str], list[str]]:
    """The data-file patterns a card lists, by (config, split): what a push of that config/split
    replaces, and what it must leave alone for the others."""
    paths: dict[tuple[str, str], list[str]] = {}
    if not card_text:
        return paths
    for config in _as_list(getattr(DatasetCard(card_text).data, "configs", None)):
        for entry in _data_files(config):
            found = entry.get("path")
            key = (config.get("config_name", "default"), entry.get("split", "train"))
            paths.setdefault(key, []).extend(p for p in (found if isinstance(found, list) else [found]) if p)
    return paths


def merge_cards(existing: str | None, new: str) -> str:
    """The card for a repository holding ``existing``'s configs/splits with ``new``'s replacing its
    own: YAML ``configs`` and ``dataset_info`` merged, body sections merged by config/split. The
    new card's other metadata (license, tags) wins."""
    if not existing:
        return new
    old_card, new_card = DatasetCard(existing), DatasetCard(new)
    configs = {c.get("config_name", "default"): c for c in _as_list(getattr(old_card.data, "configs", None))}
    for config in _as_list(new_card.data.configs):
        name = config["config_name"]
        added = {e["split"]: e for e in config["data_files"]}
        kept = [e for e in _data_files(configs.get(name, {})) if e.get("split", "train") not in added]
        configs[name] = {**configs.get(name, {}), "config_name": name, "data_files": [*kept, *added.values()]}
    info = {i.get("config_name", "default"): i for i in _as_list(getattr(old_card.data, "dataset_info", None))}
    info.update({i["config_name"]: i for i in _as_list(new_card.data.dataset_info)})
    order = sorted(configs, key=lambda n: (n != "default", n))
    data = new_card.data
    data.configs = [configs[n] for n in order]
    data.dataset_info = [info[n] for n in order if n in info]
    sections = {m.group(1): m.group(0).rstrip("\n") + "\n" for m in _SECTION.finditer(old_card.text)}
    sections.update({m.group(1): m.group(0).rstrip("\n") + "\n" for m in _SECTION.finditer(new_card.text)})
    return _render(data, sections)
