"""The run configuration, declared once: pydantic sections that labelers and engines take as
they are. Imports nothing of ours but ``schemas``."""

from steplabel.config.engine import (
    ENGINE_KINDS, EngineSection, OpenAIEngine, SandboxEngine, TransformersEngine, VLLMEngine,
)
from steplabel.config.label import (
    ConsensusSection, JudgeSection, LabelSection, MCSection, OmegaSection, VerifySection, labeler_names,
)
from steplabel.config.model import Config, ConfigError, load_config
from steplabel.config.problems import GenerateSection, ProblemsSection, WorldSection
from steplabel.config.run import RunSection, TaskRunnerSection

__all__ = [
    "ENGINE_KINDS", "Config", "ConfigError", "ConsensusSection", "EngineSection", "GenerateSection",
    "JudgeSection", "LabelSection", "MCSection", "OmegaSection", "OpenAIEngine", "ProblemsSection",
    "RunSection", "SandboxEngine", "TaskRunnerSection", "TransformersEngine", "VLLMEngine", "VerifySection",
    "WorldSection", "labeler_names", "load_config",
]
