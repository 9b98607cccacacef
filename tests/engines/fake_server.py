"""A local OpenAI-compatible server for tests: the sandbox's simulated policy behind
``/v1/completions`` and ``/v1/chat/completions``, with faults injected on request.

``faults`` maps a fault to how many times each distinct prompt meets it before it gets a
real answer: ``429`` (with Retry-After), ``500``, ``stall`` (no answer for ``stall_s``),
``malformed`` (a body that is not JSON), ``drop`` (the connection closes unanswered);
``short`` answers with one sample fewer than asked, always. Issue 18 adds ``empty`` (a 200
with ``choices: []``), ``trickle`` (a 200 whose body comes one byte every ``trickle_s``),
``retry_after`` (a 429 asking to wait ``retry_after_s``), counted per prompt like the others;
``extra`` (one choice more than asked, always); and ``reply(payload)``, a function whose bytes,
when it returns some, are the 200 body (hostile replies of any shape). It listens on 127.0.0.1
only and stops when the test ends.

Like ``vllm serve`` it lists its models at ``GET /v1/models`` and answers 404 ("model does not
exist") for any other model and for any other path. ``break_when(payload)``, when set, puts
the server out of order (503 for every request) from the first request it matches until the
test sets ``broken = False``: a server that goes down mid-run, at a point the test chooses.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter

from steplabel.engines.base import GenerationRequest
from steplabel.engines.sandbox import SandboxBackend


class FakeOpenAIServer:
    def __init__(self, faults: dict[str, int] | None = None, stall_s: float = 2.0,
                 models: tuple[str, ...] = ("sandbox",), break_when=None, trickle_s: float = 0.5,
                 retry_after_s: str = "99999", reply=None) -> None:
        self.faults = dict(faults or {})
        self.trickle_s, self.retry_after_s, self.reply = trickle_s, retry_after_s, reply
        self.models = models
        self.break_when = break_when
        self.broken = False
        self.paths: list[str] = []
        self.stall_s = stall_s
        self.backend = SandboxBackend()
        self.seen: Counter = Counter()
        self.requests = 0
        self.auth_headers: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._server = None
        self.port = 0

    def __enter__(self) -> "FakeOpenAIServer":
        ready = threading.Event()

        def serve():
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        async def stop():
            self._server.close()
            pending = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self._server.wait_closed()
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            self.paths.append(f"{method} {path}")
            self.auth_headers.append(headers.get("authorization", ""))
            if (method, path) == ("GET", "/v1/models"):
                data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]
                self._send(writer, 200, json.dumps({"object": "list", "data": data}).encode())
                return
            if path not in ("/v1/completions", "/v1/chat/completions"):
                self._send(writer, 404, b'{"detail": "Not Found"}')
                return
            self.requests += 1
            payload = json.loads(body)
            if payload.get("model") not in self.models:
                message = {"message": f"The model `{payload.get('model')}` does not exist.",
                           "type": "NotFoundError", "code": 404}
                self._send(writer, 404, json.dumps({"error": message}).encode())
                return
            if self.break_when is not None and self.break_when(payload):
                self.broken = True
                self.break_when = None
            if self.broken:
                self._send(writer, 503, b'{"error": "out of order"}')
                return
            prompt = payload.get("prompt") or payload["messages"][-1]["content"]
            key = json.dumps(prompt)
            self.seen[key] += 1
            attempt = self.seen[key]
            done = 0
            if self.reply is not None and (body := self.reply(payload)) is not None:
                self._send(writer, 200, body)
                await writer.drain()
                return
            for fault in ("429", "500", "stall", "malformed", "drop", "empty", "trickle", "retry_after"):
                limit = self.faults.get(fault, 0)
                if done < attempt <= done + limit:
                    await self._fault(fault, writer)
                    return
                done += limit
            await self._answer(payload, prompt, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _fault(self, fault: str, writer) -> None:
        if fault == "429":
            self._send(writer, 429, b'{"error": "rate limited"}', extra="Retry-After: 0\r\n")
        elif fault == "500":
            self._send(writer, 500, b'{"error": "internal"}')
        elif fault == "stall":
            await asyncio.sleep(self.stall_s)
        elif fault == "malformed":
            self._send(writer, 200, b"<html>not json</html>")
        elif fault == "drop":
            writer.transport.abort()
            return
        elif fault == "empty":
            self._send(writer, 200, b'{"object": "text_completion", "choices": [], "usage": {}}')
        elif fault == "retry_after":
            self._send(writer, 429, b'{"error": "rate limited"}', extra=f"Retry-After: {self.retry_after_s}\r\n")
        elif fault == "trickle":
            body = b'{"choices": [{"index": 0, "text": "' + b"x" * 10_000 + b'"}]}'
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode())
            for byte in body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(self.trickle_s)
        await writer.drain()

    async def _answer(self, payload: dict, prompt, writer) -> None:
        n = int(payload.get("n", 1))
        request = GenerationRequest(prompt=prompt if isinstance(prompt, str) else None,
                                    prompt_token_ids=tuple(prompt) if isinstance(prompt, list) else None,
                                    n=n, max_tokens=int(payload.get("max_tokens", 512)),
                                    stop=tuple(payload.get("stop") or ()), seed=payload.get("seed"))
        (generation,) = await self.backend.generate_batch([request])
        completions = generation.completions[: n - 1] if self.faults.get("short") else generation.completions
        if self.faults.get("extra"):
            completions = completions + completions[:1]
        chat = "messages" in payload
        choices = [{"index": i, "finish_reason": c.finish_reason,
                    **({"message": {"role": "assistant", "content": c.text}} if chat else {"text": c.text})}
                   for i, c in enumerate(completions)]
        body = {"object": "text_completion", "model": payload.get("model"), "choices": choices,
                "usage": {"prompt_tokens": generation.prompt_tokens,
                          "completion_tokens": sum(c.num_tokens for c in completions)}}
        self._send(writer, 200, json.dumps(body).encode())
        await writer.drain()

    @staticmethod
    def _send(writer, status: int, body: bytes, extra: str = "") -> None:
        head = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n{extra}\r\n")
        writer.write(head.encode() + body)
