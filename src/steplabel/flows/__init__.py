"""Orchestration: run configuration, stage functions, the Prefect flow and the CLI."""
