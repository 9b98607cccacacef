"""Any OpenAI-compatible server (``vllm serve``, SGLang, TGI, a hosted API) over HTTP.

``/v1/completions`` by default (text or token-id prompts, ``n``, ``seed``, ``stop``,
``max_tokens``), or ``/v1/chat/completions`` with ``mode = "chat"``. Requests of a batch go
out concurrently, at most ``max_concurrency`` at a time. 429, 5xx, timeouts, dropped
connections and malformed bodies are retried with exponential backoff and jitter (a
``Retry-After`` header is honoured); a request that still fails becomes a ``Generation`` with
an ``error``, recorded for its problem, and the run goes on. The API key is read from the
environment variable named by ``api_key_env`` and never appears in a message, log or record.

``base_url`` may end in ``/v1`` or not (``http://host:8000/v1`` is how vLLM's and OpenAI's docs
write it). ``check`` asks ``GET /v1/models`` once before a run: a server that cannot be reached,
refuses the key or does not serve the model stops the run before it quarantines every problem.

Token counts are per sample: the server's per-choice count where it gives one, else the
request's ``usage`` split over the samples by the length of each text (``count_tokens``);
``Generation.extra["token_counts"]`` says which.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
from typing import Sequence

import httpx

from steplabel.engines.base import Completion, EngineUnavailable, Generation, GenerationRequest

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
log = logging.getLogger(__name__)


class RequestFailed(Exception):
    pass


def normalize_base_url(url: str) -> str:
    """The server's root: trailing slashes and one trailing ``/v1`` removed, since every path
    this backend asks for starts with ``/v1``."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class OpenAIBackend:
    name = "openai"

    @classmethod
    def from_section(cls, section) -> "OpenAIBackend":
        """From ``[engine]`` of kind openai (``config.OpenAIEngine``)."""
        return cls(model=section.model, **section.openai.model_dump())

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", mode: str = "completions",
                 max_concurrency: int = 16, timeout_s: float = 120.0, max_retries: int = 5,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 30.0, send_seed: bool = True,
                 retry_after_max_s: float = 60.0, request_deadline_s: float = 900.0) -> None:
        self.base_url = normalize_base_url(base_url)
        self.model = model
        self.mode = mode
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self.retry_after_max_s = retry_after_max_s
        self.request_deadline_s = request_deadline_s
        self.send_seed = send_seed
        self._api_key_env = api_key_env
        self._max_concurrency = max_concurrency
        self.retries = 0  # attempts beyond the first, over the backend's life

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self._api_key_env, "")
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        slots = asyncio.Semaphore(self._max_concurrency)
        limits = httpx.Limits(max_connections=self._max_concurrency)
        async with httpx.AsyncClient(timeout=self.timeout_s, limits=limits, headers=self._headers()) as client:
            async def one(request):
                async with slots:
                    return await self._one(client, request)

            return list(await asyncio.gather(*(one(r) for r in requests)))

    async def check(self) -> None:
        """The server answers ``GET /v1/models`` and lists the model. Transient failures are
        retried a few times (a server still starting), with a timeout of at most 30 s each."""
        url = self.base_url + "/v1/models"
        timeout = min(self.timeout_s, 30.0)
        attempts = min(self.max_retries, 2) + 1
        problem = ""
        async with httpx.AsyncClient(timeout=timeout, headers=self._headers()) as client:
            for attempt in range(attempts):
                if attempt:
                    await asyncio.sleep(min(self.backoff_max_s, self.backoff_base_s * 2**attempt))
                try:
                    response = await client.get(url)
                except httpx.TimeoutException:
                    problem = f"no answer within {timeout:g} s"
                    continue
                except httpx.TransportError as exc:
                    problem = f"connection failed ({type(exc).__name__}: {exc})"
                    continue
                if response.status_code in RETRYABLE_STATUS:
                    problem = f"HTTP {response.status_code}: {_short(response.text)}"
                    continue
                return self._check_listing(url, response)
        raise EngineUnavailable(self._scrub(
            f"cannot reach the OpenAI-compatible server at {self.base_url} ({problem}; {attempts} attempt(s) "
            f"to GET {url}): start it or fix engine.openai.base_url, then run the same command again"))

    def _check_listing(self, url: str, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise EngineUnavailable(
                f"the server at {self.base_url} refused the API key (HTTP {response.status_code}): set the "
                f"environment variable {self._api_key_env} (engine.openai.api_key_env names it)")
        if response.status_code != 200:
            raise EngineUnavailable(self._scrub(
                f"GET {url} answered HTTP {response.status_code} ({_short(response.text)}): is "
                f"engine.openai.base_url the server's address (http://host:port or http://host:port/v1)?"))
        try:
            served = [m["id"] for m in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineUnavailable(f"GET {url} did not answer a model list ({type(exc).__name__}): "
                                    "is engine.openai.base_url an OpenAI-compatible server?") from None
        if self.model not in served:
            raise EngineUnavailable(
                f"the server at {self.base_url} does not serve model {self.model!r} (it serves: "
                f"{', '.join(map(repr, served)) or 'none'}): fix engine.model (or --model)")

    def _payload(self, r: GenerationRequest) -> tuple[str, dict]:
        body = {"model": self.model, "n": r.n, "max_tokens": r.max_tokens, "temperature": r.temperature,
                "top_p": r.top_p}
        if r.stop:
            body["stop"] = list(r.stop)
        if r.seed is not None and self.send_seed:
            body["seed"] = r.seed
        if self.mode == "chat":
            if r.prompt is None:
                raise RequestFailed("chat mode needs a text prompt")
            return "/v1/chat/completions", {**body, "messages": [{"role": "user", "content": r.prompt}]}
        prompt = list(r.prompt_token_ids) if r.prompt_token_ids is not None else r.prompt
        return "/v1/completions", {**body, "prompt": prompt}

    def _scrub(self, message: str) -> str:
        key = os.environ.get(self._api_key_env, "")
        return message.replace(key, "***") if len(key) >= 4 else message

    async def _one(self, client: httpx.AsyncClient, request: GenerationRequest) -> Generation:
        generation = await self._attempts(client, request)
        if generation.error:
            generation.error = self._scrub(generation.error)
        return generation

    async def _attempts(self, client: httpx.AsyncClient, request: GenerationRequest) -> Generation:
        try:
            path, payload = self._payload(request)
        except RequestFailed as exc:
            return Generation([], 0, error=str(exc))
        last = "no attempt"
        # Two clocks: each attempt ends within timeout_s from connect to last byte (httpx's own
        # timeout is per read, which a server trickling one byte at a time never trips), and the
        # request with all its retries and waits within request_deadline_s.
        deadline = asyncio.get_running_loop().time() + self.request_deadline_s
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.retries += 1
            wait = None
            left = deadline - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(min(self.timeout_s, max(left, 0.0))):
                    response = await client.post(self.base_url + path, json=payload)
                if response.status_code == 200:
                    return self._parse(response.content, request)
                last = f"HTTP {response.status_code}"
                if response.status_code not in RETRYABLE_STATUS:
                    return Generation([], 0, error=f"{last}: {_short(response.text)}")
                wait = _retry_after(response.headers.get("retry-after"), self.retry_after_max_s)
            except (httpx.TimeoutException, TimeoutError):
                last = f"timed out after {min(self.timeout_s, max(left, 0.0)):g} s"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__})"
            except RequestFailed as exc:
                last = f"malformed response: {exc}"
            if attempt < self.max_retries:
                delay = max(min(self.backoff_max_s, self.backoff_base_s * 2**attempt) * random.uniform(0.5, 1.5),
                            wait or 0.0)
                if asyncio.get_running_loop().time() + delay >= deadline:
                    return Generation([], 0, error=f"gave up at the request deadline ({self.request_deadline_s:g} s, "
                                                   f"after {attempt + 1} attempts): {last}")
                await asyncio.sleep(delay)
        return Generation([], 0, error=f"gave up after {self.max_retries + 1} attempts: {last}")

    def _parse(self, content: bytes, request: GenerationRequest) -> Generation:
        """A reply of any shape is a Generation or a ``RequestFailed``, never another error."""
        try:
            return self._read_reply(content, request)
        except RequestFailed:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            raise RequestFailed(f"{type(exc).__name__}") from None

    def _read_reply(self, content: bytes, request: GenerationRequest) -> Generation:
        try:
            body = json.loads(content)
            choices = sorted(body["choices"], key=lambda c: c.get("index", 0))
            usage = body.get("usage") or {}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RequestFailed(f"{type(exc).__name__}") from None
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise RequestFailed("choices is not a list of objects")
        # A reply is checked against its request: fewer samples than asked is a failure (retried,
        # then recorded, and redone by a rerun); more are dropped, never stored as extra rollouts.
        if len(choices) < request.n:
            raise RequestFailed(f"{len(choices)} choice(s) for n={request.n}")
        extra = {"token_counts": ""}
        if len(choices) > request.n:
            log.warning("the server at %s answered %d choices for n=%d; the extra ones are dropped",
                        self.base_url, len(choices), request.n)
            extra["dropped_choices"] = len(choices) - request.n
            choices = choices[: request.n]
        completions = []
        for choice in choices:
            text = choice.get("text")
            if text is None and isinstance(choice.get("message"), dict):
                text = choice["message"].get("content")
            if not isinstance(text, str):
                raise RequestFailed("a choice without text")
            # a lone surrogate (JSON "\\ud800") cannot be stored: it becomes "?"
            text = text.encode("utf-8", "replace").decode("utf-8")
            completions.append(Completion(text, 0, str(choice.get("finish_reason") or "stop")[:40]))
        how = count_tokens(completions, choices, int(usage.get("completion_tokens") or 0))
        cached = ((usage.get("prompt_tokens_details") or {}).get("cached_tokens")) or 0
        extra["token_counts"] = how
        return Generation(completions, int(usage.get("prompt_tokens") or 0), cached_prompt_tokens=int(cached),
                          extra=extra)


_TOKENISH = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: words and punctuation marks, about what BPE tokenizers give
    for English and LaTeX (long words split, so this errs low)."""
    return len(_TOKENISH.findall(text))


def count_tokens(completions: list[Completion], choices: list[dict], total: int) -> str:
    """Set each sample's own token count; return how it was known.

    ``per_choice``: the server said, per choice (a ``usage`` on the choice, its logprobs'
    tokens, or vLLM's ``token_ids``). ``total_split_by_text``: only the request's total is
    known (OpenAI's and vLLM's usage); it is split over the samples in proportion to an
    estimate of each text's tokens, so a long critique counts more than a short one and the
    counts still add up to the total. ``estimated``: no usage at all; each text's estimate.
    """
    own = [_choice_tokens(c) for c in choices]
    if completions and all(n is not None for n in own):
        for c, n in zip(completions, own):
            c.num_tokens = n
        return "per_choice"
    weights = [max(estimate_tokens(c.text), 1) for c in completions]
    if total <= 0:
        for c, w in zip(completions, weights):
            c.num_tokens = w if c.text else 0
        return "estimated"
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])[: total - sum(counts)]:
        counts[i] += 1  # largest remainders first: the counts add up to the total
    for c, n in zip(completions, counts):
        c.num_tokens = n
    return "total_split_by_text"


def _choice_tokens(choice: dict) -> int | None:
    usage = choice.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        return usage["completion_tokens"]
    if isinstance(choice.get("token_ids"), list):
        return len(choice["token_ids"])
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict):
        if isinstance(logprobs.get("tokens"), list):
            return len(logprobs["tokens"])
        if isinstance(logprobs.get("content"), list):
            return len(logprobs["content"])
    return None


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds a server asks us to wait, at most ``cap`` (``Retry-After: 99999`` must not stall a
    run); an HTTP date or garbage is ignored (the backoff applies)."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    if seconds is None or seconds != seconds:  # nan
        return None
    return min(max(seconds, 0.0), cap)


def _short(text: str) -> str:
    return text[:200].replace("\n", " ")
