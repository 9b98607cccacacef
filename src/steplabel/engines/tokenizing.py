"""What engines with a tokenizer share: the first-turn chat template, encoding, and the map
from tokens back to text that lets MC continue from a generation's own token ids."""

from __future__ import annotations


class TokenizerMixin:
    tokenizer: object
    chat_template: bool = False

    def format_prompt(self, text: str) -> str:
        if not self.chat_template:
            return text
        return self.tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                  add_generation_prompt=True)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def token_ends(self, token_ids) -> list[int] | None:
        """Character offset where each token ends in the decoded text, or None when tokens do
        not decode piecewise to the same text (split multi-byte characters)."""
        ends, pos, pieces = [], 0, []
        for t in token_ids:
            piece = self.tokenizer.decode([t], skip_special_tokens=True)
            pieces.append(piece)
            pos += len(piece)
            ends.append(pos)
        whole = self.tokenizer.decode(list(token_ids), skip_special_tokens=True)
        return ends if "".join(pieces) == whole else None
