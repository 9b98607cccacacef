"""vLLM for real, on CPU (vllm-cpu), with the tiny model trained in the session.

Runs in its own venv: `make test-vllm` (see README). In the main venv vLLM is absent and these
tests are skipped.
"""

import asyncio
import os
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
