"""The engine interface.

Labelers are written per problem as ordinary async code and call ``Engine.generate`` one
request at a time. A ``Backend`` sees whole batches (a bounded fan-out of HTTP calls for a
server, one ``LLM.generate`` for blocking vLLM), with ``BatchingEngine`` between the two; a
backend with ``generate_one`` (vLLM's async engine) takes requests one by one as they come,
through ``ContinuousEngine``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str | None = None
    prompt_token_ids: tuple[int, ...] | None = None
    n: int = 1
    max_tokens: int = 512
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.prompt is None and self.prompt_token_ids is None:
            raise ValueError("a request needs a prompt or prompt token ids")
        if self.n < 1:
            raise ValueError("n must be >= 1")


@dataclass
class Completion:
    text: str
    num_tokens: int
    finish_reason: str = "stop"  # stop | length | error
    token_ids: tuple[int, ...] | None = None


@dataclass
class Generation:
    completions: list[Completion]
    prompt_tokens: int
    error: str | None = None  # set when the backend failed this request
    cached_prompt_tokens: int = 0  # prompt tokens served from a prefix cache, where known
    # the most of them a prefix cache could have served (engines/prefixes.py), where known
    cacheable_prompt_tokens: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def generated_tokens(self) -> int:
        return sum(c.num_tokens for c in self.completions)


class EngineUnavailable(Exception):
    """An engine that cannot serve the run at all: its server is unreachable, does not serve the
    model, refuses the key, or its model does not load. Raised before the first batch, so a run
    that could only quarantine every problem stops at once; the message is one paragraph that
    says what to fix."""


@runtime_checkable
class Backend(Protocol):
    """A model that answers a batch of requests in one call."""

    name: str  # engine kind, e.g. "sandbox", "vllm"
    model: str

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]: ...

    async def check(self) -> None:
        """Raise ``EngineUnavailable`` unless the engine can answer requests (called once per run,
        before the first batch; a local engine has loaded its model when it exists)."""
        ...


class Engine(Protocol):
    name: str
    model: str

    async def generate(self, request: GenerationRequest) -> Generation: ...


class BackendFacade:
    """What an engine wrapper passes straight to its backend (``self.backend``): the prompt
    format and the tokenizer. Shared by the batching and the continuous engine, so labelers
    and stages use either unchanged."""

    backend: object

    def format_prompt(self, text: str) -> str:
        """The backend's first-turn formatting (a chat template), or the text as it is."""
        fmt = getattr(self.backend, "format_prompt", None)
        return fmt(text) if fmt else text

    @property
    def token_prompts(self) -> bool:
        """Whether the backend takes token-id prompts and can map tokens to text."""
        return hasattr(self.backend, "encode") and hasattr(self.backend, "token_ends")

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text)

    def token_ends(self, token_ids) -> list[int] | None:
        return self.backend.token_ends(token_ids)
