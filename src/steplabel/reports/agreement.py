"""Agreement between label sources of a run: confusion of first-error positions, retention,
and a heat map per pair of sources. Read from the store with DuckDB."""

from __future__ import annotations

import io
from itertools import combinations
from pathlib import Path

from steplabel.storage.catalog import connect
from steplabel.storage.location import Location

_FIRSTS = (
    "SELECT rollout_id, labeler, any_value(first_error) AS fe FROM step_labels "
    "WHERE run_id = ? AND labeler <> 'consensus' GROUP BY ALL"
)


def agreement(store: str | Path, run_id: str) -> dict:
    con = connect(store)
    labelers = [r[0] for r in con.execute(
        f"SELECT DISTINCT labeler FROM ({_FIRSTS}) ORDER BY 1", [run_id]).fetchall()]
    pairs = {}
    for a, b in combinations(labelers, 2):
        rows = con.execute(
            f"WITH f AS ({_FIRSTS}) SELECT x.fe, y.fe, count(*) FROM f x JOIN f y USING (rollout_id) "
            "WHERE x.labeler = ? AND y.labeler = ? GROUP BY ALL", [run_id, a, b]).fetchall()
        total = sum(c for _, _, c in rows)
        same = sum(c for x, y, c in rows if x is not None and x == y)
        pairs[f"{a} vs {b}"] = {
            "a": a, "b": b, "rollouts": total, "agree": same,
            "agreement": round(same / total, 4) if total else None,
            "confusion": [{"a": x, "b": y, "count": c} for x, y, c in sorted(rows, key=_order)],
        }
    kept, total = con.execute(
        "SELECT count(DISTINCT rollout_id) FILTER (status <> 'rejected'), count(DISTINCT rollout_id) "
        "FROM step_labels WHERE run_id = ? AND labeler = 'consensus'", [run_id]).fetchone()
    con.close()
    return {"pairs": pairs, "consensus": {"rollouts": total, "retained": kept,
                                          "retention": round(kept / total, 4) if total else None}}


def _order(row):
    return tuple((v is None, v if v is not None else 0) for v in row[:2])


def _bin(value, cap: int = 10) -> str:
    if value is None:
        return "?"
    return str(value) if value < cap else f"{cap}+"


def heatmap(pair: dict, cap: int = 10) -> bytes:
    """A PNG of the first-error confusion between two sources (-1 = no error, ? = unknown)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = ["-1"] + [str(i) for i in range(cap)] + [f"{cap}+", "?"]
    index = {b: i for i, b in enumerate(bins)}
    grid = [[0] * len(bins) for _ in bins]
    for cell in pair["confusion"]:
        grid[index[_bin(cell["a"], cap)]][index[_bin(cell["b"], cap)]] += cell["count"]
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(grid, cmap="viridis")
    ax.set_xticks(range(len(bins)), bins)
    ax.set_yticks(range(len(bins)), bins)
    ax.set_xlabel(f"first error by {pair['b']}")
    ax.set_ylabel(f"first error by {pair['a']}")
    ax.set_title(f"{pair['a']} vs {pair['b']}: {pair['agreement']:.1%} agree on {pair['rollouts']} rollouts")
    for i, row in enumerate(grid):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=6,
                        color="white" if count < max(map(max, grid)) / 2 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    plt.close(fig)
    return png.getvalue()


def write_heatmaps(store: str | Path, run_id: str, report: dict) -> list[str]:
    """One PNG per pair of sources under ``reports/run_id=…/`` in the store (local or remote)."""
    where = Location(store)
    paths = []
    for p in report["pairs"].values():
        path = where.path("reports", f"run_id={run_id}", f"agreement-{p['a']}-{p['b']}.png")
        where.write_bytes(path, heatmap(p))
        paths.append(where.uri(path))
    return paths


def agreement_rows(report: dict) -> list[dict]:
    rows = [{"pair": name, "rollouts": p["rollouts"], "agree": p["agree"], "agreement": p["agreement"]}
            for name, p in report["pairs"].items()]
    c = report["consensus"]
    if c["rollouts"]:
        rows.append({"pair": "consensus retained", "rollouts": c["rollouts"], "agree": c["retained"],
                     "agreement": c["retention"]})
    return rows
