"""Build engines and labelers from configuration.

Backends are created inside the process that uses them (cached per process, never pickled
and shipped); a ``BatchingEngine`` is created per event loop, because its queue belongs to
one loop.
"""

from __future__ import annotations

from functools import lru_cache

from steplabel.engines.base import Backend
from steplabel.engines.batching import BatchingEngine
from steplabel.flows.config import Config, EngineSection
from steplabel.labelers.base import Labeler
from steplabel.labelers.judge import JudgeConfig, JudgeLabeler
from steplabel.labelers.mc import MCConfig, MCLabeler
from steplabel.labelers.omegaprm import OmegaConfig, OmegaPRMLabeler
from steplabel.labelers.verify import VerifyConfig, VerifyLabeler


@lru_cache(maxsize=8)
def _backend(engine_json: str) -> Backend:
    section = EngineSection.model_validate_json(engine_json)
    if section.kind == "sandbox":
        from steplabel.engines.sandbox import CriticConfig, PolicyConfig, SandboxBackend

        params = section.sandbox.model_dump()
        critic = CriticConfig(accuracy=params.pop("critic_accuracy"), malformed=params.pop("critic_malformed"))
        return SandboxBackend(PolicyConfig(**params), model=section.model, critic=critic)
    if section.kind == "openai":
        from steplabel.engines.openai import OpenAIBackend

        return OpenAIBackend(model=section.model, **section.openai.model_dump())
    if section.kind == "transformers":
        from steplabel.engines.transformers import TransformersBackend

        return TransformersBackend(section.model, chat_template=section.chat_template,
                                   **section.transformers.model_dump())
    if section.kind == "vllm":
        from steplabel.engines.vllm import VLLMBackend

        return VLLMBackend(section.model, chat_template=section.chat_template, **section.vllm.model_dump())
    raise ValueError(f"unknown engine kind {section.kind!r}")


def make_backend(section: EngineSection) -> Backend:
    return _backend(section.model_dump_json())


def make_engine(section: EngineSection) -> BatchingEngine:
    return BatchingEngine(
        make_backend(section),
        max_batch_size=section.max_batch_size,
        max_concurrent_batches=section.max_concurrent_batches,
    )


def make_labeler(name: str, config: Config) -> Labeler:
    """A labeler with the engine it needs: the policy's for MC and OmegaPRM, its own for the judge."""
    if name == "judge":
        judge = config.label.judge
        return JudgeLabeler(
            make_engine(judge.engine),
            JudgeConfig(samples=judge.samples, max_tokens=judge.max_tokens, temperature=judge.temperature,
                        seed=config.run.seed, prompt_file=judge.prompt_file),
        )
    if name == "verify":
        v = config.label.verify
        return VerifyLabeler(VerifyConfig(**v.model_dump()))
    engine = make_engine(config.engine)
    if name == "mc":
        mc = config.label.mc
        return MCLabeler(
            engine,
            MCConfig(k=mc.k, strategy=mc.strategy, max_tokens=mc.max_tokens,
                     temperature=mc.temperature, seed=config.run.seed, token_prompts=mc.token_prompts,
                     estimator=mc.estimator, confidence=mc.confidence, initial=mc.initial,
                     round_size=mc.round_size, width=mc.width, per_step_budget=mc.per_step_budget),
        )
    if name == "omegaprm":
        params = config.label.omegaprm.model_dump()
        return OmegaPRMLabeler(
            engine, OmegaConfig(**params, seed=config.run.seed, step_separator=config.problems.step_separator)
        )
    raise ValueError(f"unknown labeler {name!r}")
