"""vLLM for real, on CPU (vllm-cpu), with the tiny model trained in the session.

Runs in its own venv: `make test-vllm` (see README). In the main venv vLLM is absent and these
tests are skipped.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_CACHE_ROOT", str(Path(".steplabel/vllm-cache").resolve()))
vllm = pytest.importorskip("vllm")

from steplabel.engines import GenerationRequest  # noqa: E402
from steplabel.config import load_config  # noqa: E402
from steplabel.pipeline.run import run_direct  # noqa: E402
from steplabel.problems.prompts import solve_prompt  # noqa: E402
from steplabel.problems.worlds import arith  # noqa: E402
from steplabel.storage import connect  # noqa: E402
from tests.processes import free_port, stop  # noqa: E402

pytestmark = pytest.mark.vllm
VLLM = {"engine.vllm.enforce_eager": True, "engine.vllm.max_model_len": 512}
PROBLEMS = arith.generate_problems(8, seed=41, config=arith.WorldConfig(min_steps=3, max_steps=4))


@pytest.fixture(scope="module")
def backend(tiny_model):
    from steplabel.engines.vllm import VLLMBackend

    return VLLMBackend(tiny_model, enforce_eager=True, max_model_len=512)


@pytest.fixture(scope="module")
def async_backend(tiny_model):
    from steplabel.engines.vllm_async import AsyncVLLMBackend

    b = AsyncVLLMBackend(tiny_model, enforce_eager=True, max_model_len=512, block_size=32)
    yield b
    b.close()


def test_async_engine_generates_from_token_ids_and_its_cache_hits_reach_the_bound(async_backend):
    from steplabel.engines.continuous import ContinuousEngine

    engine = ContinuousEngine(async_backend)
    text = solve_prompt(PROBLEMS[0].question())
    ids = tuple(async_backend.encode(text))

    async def main():
        a, b = await engine.generate_many([
            GenerationRequest(prompt=text, n=2, max_tokens=30, temperature=0.0),
            GenerationRequest(prompt_token_ids=ids, n=2, max_tokens=30, temperature=0.0)])
        again = await engine.generate(GenerationRequest(prompt_token_ids=ids, n=1, max_tokens=10, temperature=0.7))
        return a, b, again

    a, b, again = asyncio.run(main())
    assert [c.text for c in a.completions] == [c.text for c in b.completions] and len(b.completions) == 2
    assert b.completions[0].token_ids and b.prompt_tokens == len(ids)
    # the same prompt once more, after it was computed: every full block of prompt[:-1] is served
    full = (len(ids) - 1) // async_backend.block_size * async_backend.block_size
    assert full > 0 and again.cacheable_prompt_tokens == full and again.cached_prompt_tokens == full
    assert engine.meter.requests == 3 and engine.meter.cacheable_prompt_tokens >= full


def test_async_engine_cancels_a_request_and_keeps_serving(async_backend):
    text = solve_prompt(PROBLEMS[1].question())

    llm = async_backend.runner.llm

    async def main():
        # Cancel only a request the engine holds: the tiny model may stop early, so one that
        # finished before it could be cancelled is drawn again instead of making the test a race.
        for _ in range(20):
            task = asyncio.create_task(async_backend.generate_one(
                GenerationRequest(prompt=text, n=4, max_tokens=400, temperature=1.0)))
            while not task.done() and llm.get_num_unfinished_requests() == 0:
                await asyncio.sleep(0.005)
            if task.done():
                continue
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            break
        else:
            pytest.fail("twenty requests finished before the engine was seen holding them")
        return await async_backend.generate_one(GenerationRequest(prompt=text, n=1, max_tokens=5, temperature=0.8))

    after = asyncio.run(main())
    assert after.error is None and after.completions
    deadline = time.monotonic() + 60  # the abort reaches the engine: nothing is left running
    while async_backend.runner.llm.get_num_unfinished_requests() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert async_backend.runner.llm.get_num_unfinished_requests() == 0


@pytest.mark.parametrize("mode", ["raise", "sigint"])
def test_async_engine_shuts_down_cleanly_on_a_labeler_exception_and_on_ctrl_c(tmp_path, tiny_model, mode):
    """The engine core is a child process: after the script ends (an exception in a labeler, or
    SIGINT sent to the script alone, so the engine core must be stopped by our shutdown, not by
    its own signal handler), no child is left."""
    import psutil

    script = Path(__file__).with_name("vllm_async_script.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"),
                                                         os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(script), tiny_model, mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    children = []
    try:
        for line in proc.stdout:
            if line.startswith("children"):
                children = [int(p) for p in line.split()[1:]]
            if line.startswith("ready") or (mode == "raise" and children):
                break
        assert children, proc.stderr.read()[-3000:]
        if mode == "sigint":
            proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=180)
        assert proc.returncode != 0
        assert ("KeyboardInterrupt" if mode == "sigint" else "RuntimeError: a labeler failed") in stderr
        deadline = time.monotonic() + 30
        alive = children
        while alive and time.monotonic() < deadline:
            alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
            time.sleep(0.5)
        assert not alive, f"engine processes left running: {alive}"
    finally:
        stop(proc)


def test_one_generate_call_with_per_request_sampling(backend):
    requests = [GenerationRequest(prompt=solve_prompt(p.question()), n=1 + i % 3, max_tokens=80,
                                  temperature=0.7, seed=i, stop=("\n\n",) if i % 2 else ())
                for i, p in enumerate(PROBLEMS)]
    gens = asyncio.run(backend.generate_batch(requests))
    assert [len(g.completions) for g in gens] == [1 + i % 3 for i in range(len(PROBLEMS))]
    for i, g in enumerate(gens):
        assert g.prompt_tokens > 20
        for c in g.completions:
            assert c.token_ids and len(c.token_ids) == c.num_tokens <= 80
            if i % 2:
                assert "\n\n" not in c.text


def test_token_id_prompts_match_text_prompts(backend):
    text = solve_prompt(PROBLEMS[0].question())
    ids = tuple(backend.encode(text))
    a, b = asyncio.run(backend.generate_batch([
        GenerationRequest(prompt=text, n=2, max_tokens=30, temperature=0.0, seed=1),
        GenerationRequest(prompt_token_ids=ids, n=2, max_tokens=30, temperature=0.0, seed=1)]))
    assert [c.text for c in a.completions] == [c.text for c in b.completions]


def test_pipeline_on_vllm_with_token_id_continuations(tmp_path, tiny_model):
    cfg = load_config(None, {"run.store": str(tmp_path), "problems.limit": 8, "generate.samples": 2,
                             "generate.max_tokens": 160, "label.mc.k": 4, "label.mc.max_tokens": 120,
                             "engine.kind": "vllm", "engine.model": tiny_model,
                             "problems.synthetic.max_steps": 4, **VLLM})
    summary = asyncio.run(run_direct(cfg))
    con = connect(tmp_path)
    assert con.execute("SELECT DISTINCT engine FROM rollouts").fetchall() == [("vllm",)]
    assert summary["rollouts"] == 16 and summary["labelers"]["mc"]["labeled_rollouts"] > 0
    assert con.execute("SELECT count(*) FROM step_labels WHERE evidence LIKE '%\"token_prompt\": true%'"
                       ).fetchone()[0] > 0


def test_openai_engine_against_a_real_vllm_serve(tmp_path, tiny_model, monkeypatch):
    """Started as docker-compose starts it, with its key in VLLM_API_KEY: a request without the
    key is refused, and the engine sends it from ``api_key_env``."""
    port = free_port()
    key = "vllm-test-key-0d9c"
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen(
        # `vllm serve`, started through its module: the CLI looks up a `vllm` distribution, and
        # the CPU build is installed as `vllm-cpu`.
        [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", tiny_model, "--host", "127.0.0.1",
         "--port", str(port), "--max-model-len", "512", "--enforce-eager", "--served-model-name", "tiny"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "VLLM_API_KEY": key})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail("vllm serve did not become healthy in 240 s")
        models = f"http://127.0.0.1:{port}/v1/models"
        assert httpx.get(models, timeout=30).status_code == 401
        assert httpx.get(models, timeout=30, headers={"Authorization": "Bearer wrong"}).status_code == 401
        cfg = load_config(None, {"run.store": str(tmp_path / "store"), "problems.limit": 6, "generate.samples": 2,
                                 "generate.max_tokens": 160, "label.mc.k": 2, "label.mc.max_tokens": 120,
                                 "engine.kind": "openai", "engine.model": "tiny",
                                 "engine.openai.base_url": f"http://127.0.0.1:{port}",
                                 "engine.openai.send_seed": False,  # the CPU build crashes on seeds
                                 "engine.openai.api_key_env": "VLLM_API_KEY",
                                 "problems.synthetic.max_steps": 4})
        from steplabel.engines import EngineUnavailable
        from steplabel.pipeline.health import check_engines

        monkeypatch.delenv("VLLM_API_KEY", raising=False)
        with pytest.raises(EngineUnavailable, match="refused the API key .*VLLM_API_KEY"):
            asyncio.run(check_engines(cfg))
        monkeypatch.setenv("VLLM_API_KEY", key)
        summary = asyncio.run(run_direct(cfg))
        assert summary["rollouts"] == 12
        assert summary["labelers"]["mc"]["labeled_rollouts"] > 0
        con = connect(tmp_path / "store")
        assert con.execute("SELECT DISTINCT engine, model FROM rollouts").fetchall() == [("openai", "tiny")]
        assert con.execute("SELECT sum(generated_tokens) FROM rollouts").fetchone()[0] > 0
    finally:
        stop(server)
        log.close()
