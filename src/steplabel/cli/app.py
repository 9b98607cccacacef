"""The ``steplabel`` command line: run, query, stats.

User mistakes (bad config, missing problems file, bad SQL, an engine that cannot serve the
run) end with a one-paragraph message and exit code 2, never a traceback. A run stopped by the
store or by an engine failing mid-run exits 1; the same command resumes it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from steplabel import registry
from steplabel.config import ConfigError, load_config

# No rich markup in help texts: they name config keys in brackets ("[run.store]"), which rich
# would read as markup and drop.
app = typer.Typer(add_completion=False, no_args_is_help=True, help="Step-label synthesis for PRMs.",
                  rich_markup_mode=None)
err = Console(stderr=True)
out = Console()


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _store_error_message(exc: Exception) -> str:
    """DuckDB wraps a Python error of the filesystem beneath it in its message, traceback and all:
    keep the last ``SomeError: …`` part."""
    lines = [line.strip() for line in str(exc).split("\nLINE ")[0].splitlines() if line.strip()]
    last = max((i for i, line in enumerate(lines) if "Error:" in line), default=0)
    return " ".join(lines[last:])[:1000]


@contextmanager
def _store_errors(store: str, doing: str = "read"):
    """Store failures (a full disk, a read-only folder, an unreachable bucket) end the command
    with a message and exit 1; the same command resumes once the store is fixed. Only the
    store's own errors (``StoreError``) say so: another OSError is not the store's."""
    import duckdb

    from steplabel.storage.location import StoreError

    try:
        yield
    except StoreError as exc:
        _fail(f"cannot {doing} the store ({exc.strerror or exc}): {exc.filename or store}; "
              "fix it and run the same command again to resume", code=1)
    except duckdb.Error as exc:  # DuckDB reading the store: a damaged shard, its filesystem failing
        _fail(f"cannot read the store: {_store_error_message(exc)}; fix it, or run the run that wrote it "
              "again (a damaged shard is set aside and recomputed), then run the same command again", code=1)


def _check_prefect_api() -> None:
    """A Prefect server that cannot be reached or refuses the credentials: one line, exit 2."""
    from steplabel.flows import prefect_env

    try:
        prefect_env.check_api()
    except prefect_env.PrefectAPIError as exc:
        _fail(str(exc))


def _require_store(store: str) -> None:
    """A store folder (or remote prefix) that exists, else a clean exit."""
    from steplabel.storage.location import Location

    try:
        found = Location(store).is_dir()
    except Exception as exc:  # a remote store: no credentials, no network, unknown protocol
        _fail(f"{store}: cannot open the store ({type(exc).__name__}: {exc})")
    if not found:
        _fail(f"{store}: no such store folder")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"steplabel {version('steplabel')}")
        except PackageNotFoundError:  # run from a source tree that is not installed
            from steplabel import __version__

            print(f"steplabel {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Step-label synthesis for PRMs."""


@app.command()
def run(
    config: Optional[Path] = typer.Argument(None, help="TOML run configuration."),
    store: Optional[str] = typer.Option(None, help="Store folder [run.store]."),
    problems: Optional[str] = typer.Option(None, help="PATH, hf:NAME, synthetic:arith or synthetic:logic [problems.source]."),
    solutions: Optional[str] = typer.Option(None, help="Label solutions you already have instead of generating: "
                                                      "FILE (.jsonl, .json, .parquet) or hf:NAME [problems.solutions]."),
    top_up: Optional[bool] = typer.Option(None, "--top-up/--no-top-up", help="With --solutions: generate more, up to "
                                          "--samples per problem [generate.top_up]."),
    limit: Optional[int] = typer.Option(None, help="At most N problems (with --solutions: N rows) [problems.limit]."),
    labelers: Optional[str] = typer.Option(None, help=f"Comma-separated labelers: {', '.join(registry.LABELERS)} [label.labelers]."),
    engine: Optional[str] = typer.Option(None, help=f"Engine kind: {' | '.join(registry.ENGINES)} [engine.kind]."),
    model: Optional[str] = typer.Option(None, help="Model name, local path or hub id [engine.model]; "
                                                  "needed by every engine but the sandbox."),
    seed: Optional[int] = typer.Option(None, help="Seed [run.seed]."),
    samples: Optional[int] = typer.Option(None, help="Rollouts per problem [generate.samples]."),
    run_id: Optional[str] = typer.Option(None, "--run-id", help="Explicit run id [run.run_id]."),
    task_runner: Optional[str] = typer.Option(None, "--task-runner", help="threads, dask or ray [task_runner.kind]."),
    prefect: bool = typer.Option(True, help="Run as a Prefect flow (--no-prefect runs the stages directly)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (problems, engines, expected rollouts "
                                 "and tokens per stage) and exit: no model is loaded, nothing is written."),
    steps_per_solution: Optional[float] = typer.Option(None, "--steps-per-solution", min=1,
                                                       help="--dry-run: assumed steps per solution."),
    tokens_per_step: int = typer.Option(60, "--tokens-per-step", min=1, help="--dry-run: assumed tokens per step."),
) -> None:
    """Generate rollouts (or take given ones, --solutions), label their steps and store everything
    in the Parquet store."""
    overrides = {
        "run.store": store, "problems.source": problems, "problems.limit": limit,
        "problems.solutions": solutions, "generate.top_up": top_up,
        "label.labelers": labelers.split(",") if labelers else None, "engine.kind": engine, "engine.model": model,
        "run.seed": seed, "generate.samples": samples, "run.run_id": run_id, "task_runner.kind": task_runner,
    }
    try:
        cfg = load_config(config, overrides)
    except ConfigError as exc:
        _fail(str(exc))
    if dry_run:
        _print_plan(cfg, steps_per_solution, tokens_per_step, as_json)
        return
    if cfg.task_runner.kind != "threads":
        if not prefect:
            _fail(f"task_runner.kind = {cfg.task_runner.kind!r} runs batches as Prefect tasks: drop --no-prefect")
        from steplabel.flows.scale_out import runner_class
        from steplabel.registry import MissingExtra

        try:
            runner_class(cfg.task_runner.kind)
        except MissingExtra as exc:
            _fail(str(exc))
    from steplabel.engines.base import EngineUnavailable
    from steplabel.pipeline.health import TooManyFailedRequests
    from steplabel.problems.sources import SourceError

    # A full disk, a read-only store, an unreachable bucket, an engine that broke mid-run: the
    # manifest says failed; a rerun resumes.
    try:
        with _store_errors(cfg.run.store, "write to"):
            if prefect:
                from steplabel.flows import prefect_env

                prefect_env.configure()
                _check_prefect_api()
                from steplabel.flows.synthesize import synthesize
                from steplabel.storage.location import StoreError

                prefect_env.quiet_tracebacks(EngineUnavailable, TooManyFailedRequests, StoreError, SourceError, OSError)
                summary = asyncio.run(synthesize(cfg, return_state=False))
            else:
                from steplabel.pipeline.batch import DirectStages
                from steplabel.pipeline.run import run_pipeline
                from steplabel.storage.shards import Store

                store_ = Store(cfg.run.store)
                summary = asyncio.run(run_pipeline(cfg, DirectStages(store_), store_, log=lambda m: err.print(m)))
    except (SourceError, EngineUnavailable) as exc:
        _fail(str(exc))
    except TooManyFailedRequests as exc:
        _fail(f"run failed: {exc}", code=1)
    except OSError as exc:  # not the store's (those are handled above): say what it was
        _fail(f"run failed: {type(exc).__name__}: {exc}; the run's manifest records it, and the same "
              "command resumes it", code=1)
    _print_summary(summary, as_json)


def _print_plan(cfg, steps: float | None, tokens_per_step: int, as_json: bool) -> None:
    from rich.table import Table

    from steplabel.pipeline.plan import plan
    from steplabel.problems.sources import SourceError

    try:
        p = plan(cfg, steps, tokens_per_step)
    except SourceError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(p.as_dict(), indent=2))
        return
    count = "unknown" if p.problems is None else f"{p.problems:,}"
    out.print(f"[bold]dry run[/bold] {p.run_id}: nothing is loaded or written")
    out.print(f"problems: {count} from {p.source} ({p.problems_note}); rollouts to label: "
              f"{'unknown' if p.rollouts is None else f'{p.rollouts:,}'}")
    out.print(f"placement: {p.placement}")
    out.print(f"assumed: {p.steps:g} steps per solution, {p.tokens_per_step} tokens per step "
              "(--steps-per-solution, --tokens-per-step)")
    for s in p.stages:
        if s.model != "-":
            out.print(f"{s.stage}: {s.engine}, model {s.model}" + (f" ({s.note})" if s.note else ""))
    table = Table("stage", "requests", "rollouts", "at most", "gen. tokens", "at most",
                  caption="rollouts and generated tokens: expected, and the most the config allows")
    for s in p.stages:
        table.add_row(s.stage, _short(s.requests), _short(s.completions), _short(s.completions_max),
                      _short(s.tokens), _short(s.tokens_max))
    out.print(table)


def _short(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        from steplabel.reports.summary import print_summary

        print_summary(summary, out)


# What ``query`` runs: statements that read. COPY ... TO, EXPORT, ATTACH, INSTALL, SET and the
# like are refused, so a query can never write a file or change what later commands see.
READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN"}


@app.command()
def query(
    sql: str = typer.Argument(..., help="SQL over problems, rollouts, steps, step_labels, runs, quarantine."),
    store: str = typer.Option("store", help="Store folder or fsspec URL (s3://bucket/store)."),
    format: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Run SQL against the store's DuckDB views."""
    import duckdb

    from steplabel.storage.catalog import connect

    if format not in ("table", "csv", "json"):
        _fail(f"unknown format {format!r} (table, csv or json)")
    _require_store(store)
    try:
        kinds = {s.type.name for s in duckdb.extract_statements(sql)}
    except duckdb.Error as exc:
        _fail(f"query failed: {' '.join(str(exc).split())}")
    if not kinds or not kinds <= READ_ONLY_STATEMENTS:
        _fail(f"query is read-only: only SELECT (with WITH, DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN, "
              f"not {', '.join(sorted(kinds - READ_ONLY_STATEMENTS)) or 'an empty query'}")
    with _store_errors(store):
        con = connect(store)
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        _fail(f"query failed: {' '.join(str(exc).split())}")
    columns = [d[0] for d in cursor.description] if cursor.description else []
    try:
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        _fail(f"query failed: {' '.join(str(exc).split())}")
    if format == "json":
        print(json.dumps([dict(zip(columns, r)) for r in rows], indent=2, default=str))
    elif format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        from rich.table import Table

        table = Table(*columns)
        for r in rows:
            table.add_row(*("NULL" if v is None else str(v) for v in r))
        out.print(table)


@app.command()
def stats(
    store: str = typer.Option("store", help="Store folder or fsspec URL (s3://bucket/store)."),
    run: Optional[str] = typer.Option(None, "--run", help="Run id (default: every run in the store)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Summaries of the runs in a store: counts, label distribution, agreement, cost."""
    from steplabel.reports.agreement import agreement, agreement_rows, write_heatmaps
    from steplabel.reports.summary import run_summary
    from steplabel.storage.manifest import list_manifests

    _require_store(store)
    manifests = {m.run_id: m for m in list_manifests(store)}
    run_ids = [run] if run else sorted(manifests)
    if run and run not in manifests:
        _fail(f"no run {run!r} in {store} (runs: {', '.join(sorted(manifests)) or 'none'})")
    summaries = []
    with _store_errors(store):
        for rid in run_ids:
            s = run_summary(store, rid)
            m = manifests[rid]
            s["status"], s["attempts"], s["engine_cost"] = m.status, m.attempts, m.cost
            if len(s["labelers"]) > 1:
                s["agreement"] = agreement(store, rid)
                s["heatmaps"] = [str(p) for p in write_heatmaps(store, rid, s["agreement"])]
            summaries.append(s)
    if as_json:
        print(json.dumps(summaries, indent=2, default=str))
        return
    for s in summaries:
        out.print(f"[bold]{s['run_id']}[/]: {s['status']} after {s['attempts']} attempt(s)")
        _print_summary(s, False)
        if "agreement" in s:
            from rich.table import Table

            table = Table("sources", "rollouts", "agree", "rate", title="first-error agreement")
            for row in agreement_rows(s["agreement"]):
                table.add_row(row["pair"], str(row["rollouts"]), str(row["agree"]), str(row["agreement"]))
            out.print(table)
            for path in s["heatmaps"]:
                out.print(f"heat map: {path}")


@app.command("eval")
def eval_(
    labeler: str = typer.Option(..., "--labeler", help=f"Labeler to score: {', '.join(registry.LABELERS)}."),
    data: str = typer.Option(..., "--data", help="FILE of labeled solutions (the shapes run --solutions reads, each "
                                                 "with its human 'label'), synthetic:arith or synthetic:logic."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration for the labeler and engine."),
    engine: Optional[str] = typer.Option(None, help="Engine kind [engine.kind]."),
    limit: Optional[int] = typer.Option(None, help="At most N records (synthetic: N problems)."),
    seed: Optional[int] = typer.Option(None, help="Seed [run.seed]."),
    format: str = typer.Option("table", "--format", help="table | json"),
    predictions: Optional[Path] = typer.Option(None, "--predictions", help="Write one JSON line per record: {id, first_error} (null: undetermined)."),
) -> None:
    """Score a labeler's first-error predictions: accuracy on erroneous and on correct records, F1.
    Records that fail validation are skipped and named in the report."""
    from steplabel.evaluation.evaluate import evaluate, load_records_skipping, synthetic_records, write_predictions
    from steplabel.problems.sources import SourceError

    if format not in ("table", "json"):
        _fail(f"unknown format {format!r} (table or json)")
    try:
        labelers = [labeler]
        if labeler in registry.LABELERS and registry.LABELERS[labeler].reads_stored:
            # A labeler over others' labels (consensus) is scored after its sources.
            sources = getattr(load_config(config).label, labeler).sources or ["mc", "judge"]
            labelers = [*sources, labeler]
        cfg = load_config(config, {"engine.kind": engine, "run.seed": seed, "label.labelers": labelers})
    except ConfigError as exc:
        _fail(str(exc))
    skipped: list[str] = []
    try:
        if data.startswith("synthetic:"):
            world = data.split(":", 1)[1]
            if world not in ("arith", "logic"):
                _fail(f"unknown synthetic world in {data!r} (available: synthetic:arith, synthetic:logic)")
            records = synthetic_records(cfg, limit or 100, world=world)
        else:
            records, skipped = load_records_skipping(data)
            records = records[:limit]
            if not records:  # nothing to score is a failed evaluation, not a table of zeros
                raise SourceError(f"{data}: no record to score" + (
                    f" ({len(skipped)} skipped, the first: {skipped[0]})" if skipped else ""))
        result = evaluate(records, labeler, cfg)
    except (SourceError, UnicodeDecodeError) as exc:
        _fail(str(exc))
    if predictions is not None:
        write_predictions(predictions, records, result.predictions)
    report = {"labeler": labeler, "data": data, **result.metrics, "skipped": len(skipped),
              "skipped_records": skipped, "cost": result.cost}
    if format == "json":
        print(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table("metric", "value", title=f"{labeler} on {data}")
    for key, value in report.items():
        if key == "cost":
            for ck, cv in value.items():
                table.add_row(f"cost: {ck}", str(cv))
        elif key == "skipped_records":
            for reason in value:
                table.add_row("skipped", reason)
        else:
            table.add_row(key, str(value))
    out.print(table)


@app.command()
def serve(
    config: Optional[Path] = typer.Argument(None, help="TOML run configuration."),
    cron: str = typer.Option("0 2 * * *", help="When to run (cron, UTC)."),
    name: str = typer.Option("steplabel", help="Deployment name."),
) -> None:
    """Serve the pipeline on a schedule from this process (Prefect's serve; needs a Prefect
    server: set PREFECT_API_URL)."""
    import os

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
    if not os.environ.get("PREFECT_API_URL"):
        _fail("serve needs a Prefect server: start one with `prefect server start` and set PREFECT_API_URL")
    from steplabel.flows import prefect_env

    prefect_env.configure()
    _check_prefect_api()
    from steplabel.flows.synthesize import synthesize

    synthesize.serve(name=name, cron=cron, parameters={"config": cfg.model_dump(mode="json")})


@app.command("export")
def export_(
    format: str = typer.Option("trl", "--format", help=" | ".join(registry.EXPORTS)),
    out: Path = typer.Option(..., "--out", help="Output folder (the Hub's dataset layout)."),
    store: str = typer.Option("store", help="Store folder or fsspec URL (s3://bucket/store)."),
    run: Optional[list[str]] = typer.Option(None, "--run", help="Run id (repeatable; default: all runs)."),
    labeler: Optional[str] = typer.Option(None, help="Whose labels (default: consensus if present)."),
    only_retained: bool = typer.Option(True, "--only-retained/--all", help="Leave out consensus-rejected rollouts."),
    exclude: Optional[Path] = typer.Option(None, "--exclude", help="Evaluation set whose problems must not be exported."),
    split: str = typer.Option("train", help="Split name of the shards."),
    config_name: str = typer.Option("default", "--config-name", help="Config (subset) name on the Hub."),
    tree_rows: str = typer.Option("prefix", "--tree-rows",
                                  help="Tree labelers (OmegaPRM): one row per distinct prefix, or per solution."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty --out folder."),
    push: Optional[str] = typer.Option(None, "--push", help="ORG/NAME on the Hub (token from HF_TOKEN)."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0,
                                         help="Only rollouts whose every step label states at least this confidence."),
) -> None:
    """Export labels as a Hub-style dataset folder with a dataset card; optionally push it."""
    from steplabel.storage.export import TREE_ROWS, export
    from steplabel.storage.hub import push as push_folder

    if format not in registry.EXPORTS:
        _fail(f"unknown export format {format!r} ({', '.join(registry.EXPORTS)})")
    if tree_rows not in TREE_ROWS:
        _fail(f"--tree-rows {tree_rows!r}: one of {', '.join(TREE_ROWS)}")
    _require_store(store)
    if out.exists() and not out.is_dir():
        _fail(f"{out}: is a file; --out names a folder (--overwrite replaces a folder, never a file)")
    if exclude is not None and not exclude.is_file():
        _fail(f"{exclude}: no such evaluation file")
    try:
        with _store_errors(store):
            result = export(store, out, registry.export_format(format), run, labeler, only_retained, exclude, split,
                            config_name=config_name, tree_rows=tree_rows, overwrite=overwrite,
                            min_confidence=min_confidence)
    except (ValueError, FileExistsError) as exc:
        _fail(str(exc))
    c = result.counts
    unit = (f"{result.rows} distinct prefixes of {c['tree_solutions']} tree solutions" if c["row_unit"] == "prefix"
            else f"{result.rows} solutions")
    err.print(f"exported {unit} ({result.labeler} labels, form {format}) to {out} as {config_name}/{split}; "
              f"excluded as contaminated: {c['excluded_contaminated']}, rejected: {c['rejected']}, "
              f"undetermined: {c['undetermined']}, below confidence: {c['below_confidence']}", highlight=False, soft_wrap=True)
    if push:
        pushed = push_folder(out, push)
        err.print(f"pushed {len(pushed.added)} files to {push} in one commit, removing {len(pushed.deleted)} "
                  f"it replaces", highlight=False)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":
    app()
