"""Build a tiny causal LM from scratch, with no download, that writes arithmetic-world solutions.

A byte-level BPE tokenizer is trained on solve prompts and the simulated policy's solutions;
a small GPT-2 is trained on the same text for a bounded time, then both are saved with
``save_pretrained``. The model learns the format (paragraph steps, ``\\boxed{}``), not the
arithmetic: it exists so the transformers and vLLM code paths run on a real model in tests.

    python scripts/train_tiny_model.py OUT_DIR [--steps 300 | --seconds 40]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path


def corpus(count: int = 1500, seed: int = 0) -> list[str]:
    from steplabel.engines.sandbox import ArithPolicy, PolicyConfig
    from steplabel.problems.prompts import solve_prompt
    from steplabel.problems.worlds import arith

    policy = ArithPolicy(PolicyConfig(skill=0.9, format_error_rate=0.0))
    texts = []
    for i, p in enumerate(arith.generate_problems(count, seed, arith.WorldConfig(min_steps=3, max_steps=6))):
        texts.append(solve_prompt(p.question()) + policy.continue_solution(p, [], random.Random(i)))
    return texts


def build(out: str | Path, seconds: float | None = None, seed: int = 0, steps: int = 300) -> Path:
    """Train for ``steps`` optimizer steps (the same model on a busy or an idle machine), or for
    ``seconds`` when given."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    texts = corpus(seed=seed)
    eos = "<|endoftext|>"
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=[eos],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=eos, pad_token=eos, bos_token=eos)
    # A plain chat template, so the chat-template code path has something real to apply.
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=512, n_embd=128, n_layer=2, n_head=2,  # head_dim 64: vLLM CPU attention needs a common size
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    model = GPT2LMHeadModel(config)
    rows = [tokenizer(t + eos, truncation=True, max_length=512)["input_ids"] for t in texts]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    start, step = time.monotonic(), 0
    rng = random.Random(seed)
    while (time.monotonic() - start < seconds) if seconds is not None else step < steps:
        batch = rng.sample(rows, 12)
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, r in enumerate(batch):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        labels = ids.masked_fill(mask == 0, -100)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "TRAINING.txt").write_text(f"steps={step} seconds={time.monotonic() - start:.1f} final_loss={loss.item():.3f}\n")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    print(build(args.out, args.seconds, steps=args.steps))
