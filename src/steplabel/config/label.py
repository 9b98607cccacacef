"""Each labeler's section, declared once and handed to the labeler as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from steplabel.config.base import MAX_SAMPLES, MAX_TOKENS, _Section
from steplabel.config.engine import EngineSection, SandboxEngine


class MCSection(_Section):
    k: int = Field(32, ge=1, le=MAX_SAMPLES, description="completions per prefix (any); the most per prefix (noise_aware)")
    strategy: Literal["scan", "all"] = Field("scan", description="estimator 'any': prefixes in order or all at once")
    estimator: Literal["noise_aware", "any"] = Field(
        "noise_aware", description="noise_aware: fitted change point with confidence; any: Math-Shepherd's any-of-k")
    confidence: float = Field(0.995, gt=0, lt=1, description="noise_aware: sample a solution until its first error is this sure")
    initial: int = Field(4, ge=1, le=MAX_SAMPLES, description="noise_aware: completions per prefix in the first round")
    round_size: int = Field(4, ge=1, le=MAX_SAMPLES, description="noise_aware: completions per uncertain prefix in later rounds")
    width: int = Field(1, ge=1, le=MAX_SAMPLES, description="noise_aware: uncertain prefixes sampled per solution and round")
    per_step_budget: float = Field(10.0, gt=0, le=MAX_SAMPLES, description="noise_aware: most completions per solution, per prefix on average")
    token_prompts: bool = Field(True, description="continue from token ids when the engine allows (prefix cache)")
    max_tokens: int = Field(1024, ge=1, le=MAX_TOKENS)
    temperature: float = Field(0.8, ge=0)


class OmegaSection(_Section):
    k: int = Field(8, ge=1, le=MAX_SAMPLES)
    screen: int = Field(32, ge=1, le=MAX_SAMPLES, description="screening solutions per question, given rollouts included")
    alpha: float = Field(0.5, gt=0)
    beta: float = Field(0.9, gt=0)
    length_scale: int = Field(500, ge=1)
    c_puct: float = Field(0.125, ge=0)
    max_searches: int = Field(100, ge=0, le=100_000)
    rollout_budget: int = Field(400, ge=0, le=1_000_000, description="completions per question, screening included")
    keep_extremes: bool = False
    prioritize_targets: bool = True
    search_scope: Literal["tree", "targets"] = "tree"
    estimator: Literal["noise_aware", "any"] = Field(
        "noise_aware", description="noise_aware: probes settled at a confidence, labels from a fitted posterior; any: MC > 0")
    confidence: float = Field(0.8, gt=0, lt=1, description="noise_aware: probes are drawn until their prefix, and a search until its first error, is this sure; a given right answer less sure of having no error is searched too, and a given rollout the batch's final fit leaves less sure is searched again (every label stores its own posterior)")
    round_size: int = Field(2, ge=1, le=MAX_SAMPLES, description="noise_aware: completions per draw of a probe (k the most per prefix); a wrong solution's own answer counts among the failures, so two often settle it")
    claim: float = Field(0.8, gt=0, lt=1, description="noise_aware: a tree solution's first error less sure than this is not claimed (its steps abstain); a given rollout's needs an even chance")
    max_tokens: int = Field(1024, ge=1, le=MAX_TOKENS)
    temperature: float = Field(0.8, ge=0)


class JudgeSection(_Section):
    samples: int = Field(1, ge=1, le=64, description="judge samples per solution, majority vote")
    max_tokens: int = Field(2048, ge=1, le=MAX_TOKENS)
    temperature: float = Field(0.0, ge=0)
    prompt_file: str | None = None
    engine: EngineSection = SandboxEngine(model="simulated-critic")

    @field_validator("prompt_file")
    @classmethod
    def _template(cls, path: str | None) -> str | None:
        """Read now, not when the judge first runs: a missing file or a template without its
        fields is the config's fault and must not surface mid-run as a store or engine error."""
        if path is None:
            return None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the judge prompt template {path} ({exc.strerror or exc})") from None
        missing = [f for f in ("{problem}", "{paragraphs}") if f not in text]
        if missing:
            raise ValueError(f"the judge prompt template {path} lacks {' and '.join(missing)}")
        return path


class VerifySection(_Section):
    z3_timeout_ms: int = Field(2000, ge=1)
    code_cpu_seconds: int = Field(2, ge=1)
    code_memory_mb: int = Field(512, ge=64)
    code_wall_seconds: float = Field(5.0, gt=0)
    max_parallel_snippets: int = Field(2, ge=1)
    max_claims_per_step: int = Field(64, ge=1, description="'=' signs read per step; the rest stay unchecked")
    step_time_budget_s: float = Field(5.0, gt=0, le=60, description="arithmetic reading time per step: a safety valve (normal steps take ms), large so labels do not depend on machine load")
    record_time_budget_s: float = Field(30.0, gt=0, le=600, description="checking time per solution: steps after it is spent abstain (a safety valve, like the per-step one)")


class ConsensusSection(_Section):
    sources: list[str] | None = Field(None, description="default: the labelers listed before consensus")
    policy: Literal["all", "majority", "override"] = "all"
    override: str | None = None
    min_confidence: float = Field(0.0, ge=0, le=1, description="a source less sure of a first error counts as undetermined")


class LabelSection(_Section):
    labelers: list[str] = ["mc"]
    mc: MCSection = MCSection()
    omegaprm: OmegaSection = OmegaSection()
    judge: JudgeSection = JudgeSection()
    verify: VerifySection = VerifySection()
    consensus: ConsensusSection = ConsensusSection()

    @model_validator(mode="after")
    def _consensus_after_sources(self) -> "LabelSection":
        if "consensus" in self.labelers:
            at = self.labelers.index("consensus")
            if self.consensus.sources is None:
                self.consensus.sources = list(self.labelers[:at])
            if len(set(self.consensus.sources)) != len(self.consensus.sources):
                raise ValueError("consensus sources must be different labelers")
            missing = [s for s in self.consensus.sources if s not in self.labelers[:at]]
            if missing:
                raise ValueError(f"consensus needs its sources {missing} listed before it in labelers")
            if len(self.consensus.sources) < 2:
                raise ValueError("consensus needs two or more sources")
            if self.consensus.policy == "override" and self.consensus.override not in self.consensus.sources:
                raise ValueError("policy 'override' needs 'override' set to one of the sources")
        return self

    @field_validator("labelers")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        known = set(labeler_names())
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown labeler(s) {unknown}; available: {sorted(known)}")
        if not value:
            raise ValueError("at least one labeler is needed")
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise ValueError(f"labeler(s) {twice} listed twice (each stores one set of labels per run)")
        return value


def labeler_names() -> tuple[str, ...]:
    """Every labeler is a section of ``[label]``: its name is the section's key."""
    return tuple(k for k, f in LabelSection.model_fields.items() if k != "labelers")
