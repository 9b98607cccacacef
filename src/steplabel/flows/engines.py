"""Build engines and labelers from configuration.

Backends are created inside the process that uses them (cached per process, never pickled
and shipped); a ``BatchingEngine`` is created per event loop, because its queue belongs to
one loop.
"""

from __future__ import annotations

import json
from functools import lru_cache

from steplabel.engines.base import Backend
from steplabel.engines.batching import BatchingEngine
from steplabel.flows.config import Config, EngineSection
from steplabel.labelers.base import Labeler
from steplabel.labelers.mc import MCConfig, MCLabeler
from steplabel.labelers.omegaprm import OmegaConfig, OmegaPRMLabeler


@lru_cache(maxsize=8)
def _backend(engine_json: str) -> Backend:
    section = EngineSection.model_validate_json(engine_json)
    if section.kind == "sandbox":
        from steplabel.engines.sandbox import PolicyConfig, SandboxBackend

        return SandboxBackend(PolicyConfig(**section.sandbox.model_dump()), model=section.model)
    raise ValueError(f"unknown engine kind {section.kind!r}")


def make_backend(section: EngineSection) -> Backend:
    return _backend(section.model_dump_json())


def make_engine(section: EngineSection) -> BatchingEngine:
    return BatchingEngine(
        make_backend(section),
        max_batch_size=section.max_batch_size,
        max_concurrent_batches=section.max_concurrent_batches,
    )


def make_labeler(name: str, engine: BatchingEngine, config: Config) -> Labeler:
    if name == "mc":
        mc = config.label.mc
        return MCLabeler(
            engine,
            MCConfig(k=mc.k, strategy=mc.strategy, max_tokens=mc.max_tokens,
                     temperature=mc.temperature, seed=config.run.seed),
        )
    if name == "omegaprm":
        params = config.label.omegaprm.model_dump()
        return OmegaPRMLabeler(
            engine, OmegaConfig(**params, seed=config.run.seed, step_separator=config.problems.step_separator)
        )
    raise ValueError(f"unknown labeler {name!r}")


def labeler_params(name: str, config: Config) -> str:
    return json.dumps(getattr(config.label, name).model_dump(), sort_keys=True)
