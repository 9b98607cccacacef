"""The one list of labelers, engines and export formats.

Each entry names a component, its configuration model and where its code lives (imported only
when it is built, so an optional dependency is needed only by the runs that use it). The CLI's
choices, the factories and the retry table all read this list: a new labeler, engine or export
format is its own file plus one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from steplabel import config as cfg

# How a rerun redoes a labeler's failed work: per rollout (MC, judge, verify), per problem
# (OmegaPRM's tree is one search), or the whole batch from the stored labels (consensus).
RetryUnit = Literal["rollout", "problem", "batch"]


class MissingExtra(RuntimeError):
    """A component whose optional package is not installed; the message says what to install."""


@dataclass(frozen=True)
class Entry:
    name: str
    section: type[BaseModel] | None  # its configuration model (None: configured by arguments)
    code: str  # "module:attribute", imported when built
    extra: str | None = None  # pip extra that provides what ``code`` imports
    needs: str | None = None  # the import that tells whether the extra is installed
    loads_model: bool = False  # an engine that loads its model in-process (checked by loading it)

    def load(self):
        if self.needs:
            try:
                importlib.import_module(self.needs)
            except ImportError as exc:
                raise MissingExtra(f"{self.name!r} needs {self.needs}: pip install 'steplabel[{self.extra}]'") from exc
        module, attr = self.code.split(":")
        return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class LabelerEntry(Entry):
    retry: RetryUnit = "rollout"
    # Which engine it is built with: the policy's ([engine]: MC, OmegaPRM), its own section's
    # ``engine`` (the judge), or none.
    engine: Literal["policy", "own"] | None = None

    @property
    def reads_stored(self) -> bool:
        """Labels other labelers' stored labels (consensus) instead of rollouts: redone as a
        whole batch, scored in ``eval`` after its sources."""
        return self.retry == "batch"

    @property
    def needs_answer(self) -> bool:
        """Judges completions sampled from the policy against the reference answer (MC, OmegaPRM):
        a given solution without one is not labeled by it (and is quarantined saying so)."""
        return self.engine == "policy"


LABELERS: dict[str, LabelerEntry] = {e.name: e for e in [
    LabelerEntry("mc", cfg.MCSection, "steplabel.labelers.mc:MCLabeler", retry="rollout", engine="policy"),
    LabelerEntry("omegaprm", cfg.OmegaSection, "steplabel.labelers.omegaprm:OmegaPRMLabeler", retry="problem",
                 engine="policy"),
    LabelerEntry("judge", cfg.JudgeSection, "steplabel.labelers.judge:JudgeLabeler", retry="rollout",
                 engine="own"),
    LabelerEntry("verify", cfg.VerifySection, "steplabel.labelers.verify:VerifyLabeler", retry="rollout"),
    LabelerEntry("consensus", cfg.ConsensusSection, "steplabel.labelers.consensus:ConsensusLabeler", retry="batch"),
]}

ENGINES: dict[str, Entry] = {e.name: e for e in [
    Entry("sandbox", cfg.SandboxEngine, "steplabel.engines.sandbox:SandboxBackend"),
    Entry("openai", cfg.OpenAIEngine, "steplabel.engines.openai:OpenAIBackend"),
    Entry("transformers", cfg.TransformersEngine, "steplabel.engines.transformers:TransformersBackend",
          extra="transformers", needs="transformers", loads_model=True),
    Entry("vllm", cfg.VLLMEngine, "steplabel.engines.vllm:VLLMBackend", extra="vllm", needs="vllm",
          loads_model=True),
]}

EXPORTS: dict[str, Entry] = {e.name: e for e in [
    Entry("trl", None, "steplabel.storage.formats:TRL"),
    Entry("soft", None, "steplabel.storage.formats:Soft"),
    Entry("processbench", None, "steplabel.storage.formats:ProcessBench"),
    Entry("openrlhf", None, "steplabel.storage.formats:OpenRLHF"),
    Entry("math-shepherd", None, "steplabel.storage.formats:MathShepherd"),
]}


def labeler_entry(name: str) -> LabelerEntry:
    if name not in LABELERS:
        raise ValueError(f"unknown labeler {name!r}; available: {sorted(LABELERS)}")
    return LABELERS[name]


# ------------------------------------------------------------------ factories


@lru_cache(maxsize=8)
def _backend(kind: str, section_json: str):
    entry = ENGINES[kind]
    return entry.load().from_section(entry.section.model_validate_json(section_json))


def make_backend(section: cfg.EngineSection):
    """One backend per process and configuration (a vLLM instance is built once, never shipped)."""
    if section.kind not in ENGINES:
        raise ValueError(f"unknown engine kind {section.kind!r}; available: {sorted(ENGINES)}")
    return _backend(section.kind, section.model_dump_json())


def make_engine(section: cfg.EngineSection):
    """Over the cached backend: a ``ContinuousEngine`` where the backend schedules requests
    itself (``generate_one``: vLLM's async engine), else a ``BatchingEngine`` per event loop
    (its queue belongs to one loop)."""
    from steplabel.engines.batching import BatchingEngine
    from steplabel.engines.continuous import ContinuousEngine

    backend = make_backend(section)
    if hasattr(backend, "generate_one"):
        return ContinuousEngine(backend)
    return BatchingEngine(backend, max_batch_size=section.max_batch_size,
                          max_concurrent_batches=section.max_concurrent_batches)


def make_labeler(name: str, config: cfg.Config):
    """A labeler built from its own section, with the policy's engine where it samples from it."""
    entry = labeler_entry(name)
    section = getattr(config.label, name)
    engine = {"policy": lambda: make_engine(config.engine), "own": lambda: make_engine(section.engine),
              None: lambda: None}[entry.engine]()
    return entry.load().from_config(section, config, engine)


def export_format(name: str):
    if name not in EXPORTS:
        raise ValueError(f"unknown export format {name!r} ({', '.join(EXPORTS)})")
    return EXPORTS[name].load()()
