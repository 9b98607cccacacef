"""Token-id prompts for continuing a solution from a step boundary.

A prefix cache reuses what it computed only for the exact same token ids. Re-tokenizing
``prompt + solution[:end] + "\\n\\n"`` can split the boundary differently from the ids the
model produced, so every continuation is sent as the prompt's ids + the solution's own ids up
to the step's end + the separator's ids, and continuations of one solution share one prefix.
A solution grown from a prefix (an OmegaPRM tree solution) keeps the prefix's ids followed by
its completion's ids, so its own continuations share that prefix too. Where a step's end falls
inside a token, or the engine has no tokenizer, the text prompt is used instead (``None``).
"""

from __future__ import annotations

from typing import Sequence

SEPARATOR = "\n\n"  # what ``continuation_prompt`` puts after the prefix


class TokenPrefixes:
    def __init__(self, engine, enabled: bool = True) -> None:
        self.engine = engine
        self.enabled = enabled and bool(getattr(engine, "token_prompts", False))
        self._separator: tuple[int, ...] | None = None

    @property
    def separator(self) -> tuple[int, ...]:
        if self._separator is None:
            self._separator = tuple(self.engine.encode(SEPARATOR))
        return self._separator

    def boundaries(self, token_ids: Sequence[int] | None) -> dict[int, int] | None:
        """Character offset -> number of tokens, at every token boundary of the solution."""
        if not self.enabled or token_ids is None:
            return None
        ends = self.engine.token_ends(token_ids)
        return None if ends is None else {end: i + 1 for i, end in enumerate(ends)}

    def known(self, char_ends: Sequence[int], token_ends: Sequence[int | None] | None) -> dict[int, int] | None:
        """The same map from a stored rollout's step ends (no decoding needed)."""
        if not self.enabled or token_ends is None:
            return None
        return {c: t for c, t in zip(char_ends, token_ends) if t is not None}

    def cut(self, token_ids: Sequence[int] | None, at: dict[int, int] | None, char_end: int) -> tuple[int, ...] | None:
        """The solution's ids up to ``char_end`` (a step's end), or None off a token boundary."""
        if token_ids is None or at is None or char_end not in at:
            return None
        return tuple(token_ids[: at[char_end]])

    def prompt(self, prompt_ids: Sequence[int] | None, prefix_ids: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """prompt ids + prefix ids + separator ids: the continuation's prompt."""
        if prompt_ids is None or prefix_ids is None:
            return None
        return tuple(prompt_ids) + prefix_ids + self.separator

    def grown(self, prefix_ids: tuple[int, ...] | None, completion_ids: Sequence[int] | None) -> tuple[int, ...] | None:
        """A completion's solution ids: the prefix, the separator, the completion (the root's
        completions have no prefix)."""
        if prefix_ids is None or completion_ids is None:
            return None
        if not prefix_ids:
            return tuple(completion_ids)
        return prefix_ids + self.separator + tuple(completion_ids)
