"""Run by tests/engines/test_vllm.py in a process of its own: the async vLLM engine under a
labeler that raises (``raise``) or a Ctrl-C (``sigint``: waits for the signal with requests
in flight). Prints the engine's child processes so the test can check they are gone after."""

import asyncio
import os
import signal
import sys


async def main(model: str, mode: str) -> None:
    import psutil

    from steplabel.config import load_config
    from steplabel.engines import GenerationRequest
    from steplabel.problems.prompts import solve_prompt
    from steplabel.registry import make_engine

    cfg = load_config(None, {"engine.kind": "vllm", "engine.model": model, "engine.vllm.enforce_eager": True,
                             "engine.vllm.max_model_len": 512, "engine.vllm.block_size": 32})
    engine = make_engine(cfg.engine)
    children = [p.pid for p in psutil.Process().children(recursive=True)]
    print("children", *children, flush=True)
    prompt = solve_prompt("What is 2 + 3 * 4?")

    async def labeler(i: int):
        await engine.generate(GenerationRequest(prompt=prompt, n=2, max_tokens=30, temperature=0.8))
        if mode == "raise" and i == 0:
            raise RuntimeError("a labeler failed")
        await engine.generate(GenerationRequest(prompt=prompt, n=2, max_tokens=400, temperature=0.8))

    tasks = [asyncio.create_task(labeler(i)) for i in range(8)]
    if mode == "sigint":
        await asyncio.sleep(0.5)
        print("ready", flush=True)
        await asyncio.sleep(600)  # the test interrupts
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # A process started in the background by a non-interactive shell (nohup, `make ... &`)
    # inherits SIGINT ignored; a user's Ctrl-C reaches a foreground process with Python's handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
