"""Fail fast and fail loudly: a run that can only produce nothing must not end "completed".

Before the first batch every engine the run uses (the policy's, and each labeler's own, such
as the judge's) is built and checked once (``Backend.check``): an unreachable server, a model
the server does not serve, a local model that does not load all stop the run with
``EngineUnavailable``. During the run, a stage of a batch in which at least
``run.max_failed_share`` of the engine requests failed stops it with ``TooManyFailedRequests``,
after that batch's shards are stored: a rerun keeps them and retries only what failed.
"""

from __future__ import annotations

from steplabel.config import Config
from steplabel.engines.base import EngineUnavailable
from steplabel.pipeline.given import uses_policy_engine
from steplabel.registry import ENGINES, MissingExtra, labeler_entry, make_backend


class TooManyFailedRequests(RuntimeError):
    """Too large a share of one stage's engine requests failed: the engine broke mid-run."""


def engine_sections(config: Config) -> list:
    """The engine sections a run uses, each once: the policy's, then the labelers' own."""
    sections = [config.engine] if uses_policy_engine(config) else []
    for name in config.label.labelers:
        if labeler_entry(name).engine == "own":
            sections.append(getattr(config.label, name).engine)
    unique: dict[str, object] = {}
    for section in sections:
        unique.setdefault(section.model_dump_json(), section)
    return list(unique.values())


async def check_engines(config: Config) -> None:
    """Build (a local engine loads its model, once per process) and check every engine used.

    With a Dask or Ray task runner the batches run on workers that load their own models: a
    local model is not loaded in the flow's process too (it could take the GPU the workers
    need); a worker that cannot load it fails its batch, and so the run."""
    for section in engine_sections(config):
        if config.task_runner.kind != "threads" and ENGINES[section.kind].loads_model:
            continue
        try:
            backend = make_backend(section)
        except MissingExtra as exc:
            raise EngineUnavailable(str(exc)) from exc
        except Exception as exc:  # a model that does not load: missing path, unknown architecture, no memory
            raise EngineUnavailable(
                f"cannot load the {section.kind} model {section.model!r} ({type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}): fix engine.model "
                f"(or --model) or the engine's settings") from exc
        check = getattr(backend, "check", None)
        if check is not None:
            await check()


def check_failures(stage: str, cost: dict, max_share: float) -> None:
    """Raise when ``cost`` (one stage's engine meter) shows too many failed requests."""
    requests, failed = cost.get("requests", 0), cost.get("failed_requests", 0)
    if failed and requests and failed / requests >= max_share:
        raise TooManyFailedRequests(
            f"{stage}: {failed} of {requests} engine requests failed (run.max_failed_share = {max_share:g}); "
            "the batches stored so far are kept: fix the engine and run the same command again to resume")
