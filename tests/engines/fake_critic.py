"""An OpenAI-compatible critic for tests: it answers judge prompts (the default template) with
written critiques, looked up by the problem the prompt states.

``critiques`` maps a problem text to the critiques to answer with (sample i of a request gets
critique i, cycling). A prompt whose problem is unknown gets a non-answer. ``usage`` says what
the server reports of token counts: ``"total"`` (one ``completion_tokens`` for the request, as
OpenAI and vLLM do), ``"per_choice"`` (also a count on every choice), or ``"none"``. Token
counts are whitespace-separated words, which tests can compute the same way.
"""

from __future__ import annotations

import json

from steplabel.problems.prompts import read_judge_prompt
from tests.engines.fake_server import FakeOpenAIServer


def words(text: str) -> int:
    return len(text.split())


class FakeCriticServer(FakeOpenAIServer):
    def __init__(self, critiques: dict[str, list[str]], usage: str = "total", **kwargs) -> None:
        kwargs.setdefault("models", ("critic",))
        super().__init__(**kwargs)
        self.critiques = critiques
        self.usage = usage
        self.payloads: list[dict] = []

    async def _answer(self, payload: dict, prompt, writer) -> None:
        self.payloads.append(payload)
        n = int(payload.get("n", 1))
        read = read_judge_prompt(prompt) if isinstance(prompt, str) else None
        texts = self.critiques.get(read[0]) if read else None
        texts = [texts[i % len(texts)] for i in range(n)] if texts else ["I cannot help with that."] * n
        chat = "messages" in payload
        choices = []
        for i, text in enumerate(texts):
            choice = {"index": i, "finish_reason": "stop",
                      **({"message": {"role": "assistant", "content": text}} if chat else {"text": text})}
            if self.usage == "per_choice":
                choice["usage"] = {"completion_tokens": words(text)}
            choices.append(choice)
        body = {"object": "chat.completion" if chat else "text_completion", "model": payload.get("model"),
                "choices": choices}
        if self.usage != "none":
            body["usage"] = {"prompt_tokens": words(prompt if isinstance(prompt, str) else ""),
                             "completion_tokens": sum(words(t) for t in texts)}
        self._send(writer, 200, json.dumps(body).encode())
        await writer.drain()
