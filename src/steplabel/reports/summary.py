"""Run summaries computed from the store with DuckDB, so they hold after a resume too."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from steplabel.schemas import UNSOLVED
from steplabel.storage.catalog import connect


def _one(con, sql: str, params: list) -> tuple:
    return con.execute(sql, params).fetchone()


def run_summary(store: str | Path, run_id: str) -> dict:
    con = connect(store)
    p = [run_id]
    s: dict = {"run_id": run_id}
    s["problems"] = _one(con, "SELECT count(*) FROM problems WHERE run_id = ?", p)[0]
    n, correct, gen_tokens, prompt_tokens, with_truth_rows = _one(
        con,
        "SELECT count(*), count(*) FILTER (correct), coalesce(sum(generated_tokens), 0), "
        "coalesce(sum(prompt_tokens), 0), count(truth_first_error) FROM rollouts WHERE run_id = ?",
        p,
    )
    s["rollouts"] = n
    s["rollouts_correct"] = correct
    s["steps"] = _one(con, "SELECT count(*) FROM steps WHERE run_id = ?", p)[0]
    s["quarantined"] = _one(con, "SELECT count(*) FROM quarantine WHERE run_id = ?", p)[0]
    s["quarantine_reasons"] = [
        {"stage": st, "reason": r, "count": c}
        for st, r, c in con.execute(
            "SELECT stage, regexp_replace(reason, '''[^'']*''|\\(.*\\)', '…', 'g') AS r, count(*) "
            "FROM quarantine WHERE run_id = ? GROUP BY ALL ORDER BY 3 DESC, 2 LIMIT 10", p
        ).fetchall()
    ]
    s["generation_cost"] = {"generated_tokens": gen_tokens, "prompt_tokens": prompt_tokens}
    labelers = {}
    for (name,) in con.execute(
        "SELECT DISTINCT labeler FROM step_labels WHERE run_id = ? ORDER BY 1", p
    ).fetchall():
        q = [run_id, name]
        labeled, positive, negative, after, abstained, rollouts, gtok, ptok, reqs = _one(
            con,
            "SELECT count(*) FILTER (status = 'labeled'), count(*) FILTER (label), "
            "count(*) FILTER (NOT label), count(*) FILTER (status = 'after_error'), "
            "count(*) FILTER (status = 'abstained'), sum(rollouts), sum(generated_tokens), "
            "sum(prompt_tokens), sum(engine_requests) FROM step_labels WHERE run_id = ? AND labeler = ?",
            q,
        )
        per_rollout = con.execute(
            "SELECT l.rollout_id, any_value(l.first_error) AS fe, any_value(r.truth_first_error) AS truth "
            "FROM step_labels l JOIN rollouts r USING (rollout_id) "
            "WHERE l.run_id = ? AND l.labeler = ? GROUP BY l.rollout_id",
            q,
        ).fetchall()
        dist: dict = {}
        agree = with_truth = 0
        for _, fe, truth in per_rollout:
            dist[fe] = dist.get(fe, 0) + 1
            if truth is not None and fe is not None:
                with_truth += 1
                agree += fe == truth
        # Rollouts whose labels an engine error left unfinished (what a rerun will retry), and
        # rollouts of questions the policy never solved (their counts cannot place an error).
        failed, unsolved = _one(
            con, "SELECT count(DISTINCT rollout_id) FILTER ((status = 'abstained' AND (json_exists(evidence, '$.error') "
            "OR coalesce(json_extract_string(evidence, '$.reason'), '') LIKE '%engine error%')) "
            "OR json_exists(evidence, '$.tree_error')), "
            "count(DISTINCT rollout_id) FILTER (status = 'abstained' "
            "AND coalesce(json_extract_string(evidence, '$.reason'), '') LIKE ?) "
            "FROM step_labels WHERE run_id = ? AND labeler = ?", [UNSOLVED + "%", *q])
        screening = _one(
            con, "SELECT coalesce(sum(rollouts_spent), 0) FROM trees WHERE run_id = ? AND labeler = ? "
            "AND kind = 'root'", q)[0]
        labelers[name] = {
            "labeled_rollouts": len(per_rollout),
            "labeled_steps": labeled,
            "positive": positive,
            "negative": negative,
            "after_error": after,
            "abstained": abstained,
            "undetermined_rollouts": dist.get(None, 0),
            "engine_failed_rollouts": failed,
            "unsolved_rollouts": unsolved,
            "first_error_distribution": dict(sorted(dist.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
            "truth_agreement": round(agree / with_truth, 4) if with_truth else None,
            "cost": {"rollouts": int(rollouts or 0) + int(screening), "generated_tokens": int(gtok or 0),
                     "prompt_tokens": int(ptok or 0), "engine_requests": int(reqs or 0)},
        }
    s["labelers"] = labelers
    s["has_truth"] = with_truth_rows > 0
    con.close()
    return s


def summary_rows(s: dict) -> list[dict]:
    """Flat (metric, value) rows: for a Prefect table artifact and plain-text output."""
    rows = [
        {"metric": "problems", "value": s["problems"]},
        {"metric": "quarantined rows", "value": s["quarantined"]},
        {"metric": "rollouts", "value": s["rollouts"]},
        {"metric": "rollouts with correct answer", "value": s["rollouts_correct"]},
        {"metric": "steps", "value": s["steps"]},
        {"metric": "generation tokens (prompt / generated)",
         "value": f"{s['generation_cost']['prompt_tokens']} / {s['generation_cost']['generated_tokens']}"},
    ]
    for name, l in s["labelers"].items():
        rows += [
            {"metric": f"{name}: labeled rollouts", "value": l["labeled_rollouts"]},
            {"metric": f"{name}: step labels (+ / - / after error / abstained)",
             "value": f"{l['positive']} / {l['negative']} / {l['after_error']} / {l['abstained']}"},
            {"metric": f"{name}: first-error distribution (-1 = none)",
             "value": ", ".join(f"{'unknown' if k is None else k}: {v}"
                                for k, v in l["first_error_distribution"].items())},
            {"metric": f"{name}: rollouts an engine error left unlabeled (a rerun retries them)",
             "value": l["engine_failed_rollouts"]},
            {"metric": f"{name}: rollouts of questions the policy never solved (abstained)",
             "value": l["unsolved_rollouts"]},
            {"metric": f"{name}: cost (rollouts / generated tokens / requests)",
             "value": f"{l['cost']['rollouts']} / {l['cost']['generated_tokens']} / {l['cost']['engine_requests']}"},
        ]
        if l["truth_agreement"] is not None:
            rows.append({"metric": f"{name}: first error equals ground truth (where determined)",
                         "value": f"{l['truth_agreement']:.1%}"})
    for q in s["quarantine_reasons"]:
        rows.append({"metric": f"quarantine ({q['stage']}): {q['reason']}", "value": q["count"]})
    return rows


def print_summary(s: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"run {s['run_id']}", show_lines=False)
    table.add_column("metric")
    table.add_column("value", overflow="fold")
    for row in summary_rows(s):
        table.add_row(row["metric"], str(row["value"]))
    console.print(table)
