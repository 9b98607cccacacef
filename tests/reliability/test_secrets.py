"""A planted API key and HF token never appear in logs, manifests, the store, artifacts of the
export, or error messages; nor do the Prefect API's auth string and the vLLM key that
docker-compose requires."""

import asyncio
import json
import os
import subprocess
import sys
import time

from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage.export import export
from steplabel.registry import export_format
from tests.engines.fake_server import FakeOpenAIServer

KEY = "sk-PLANTED-KEY-5f1e2d"
TOKEN = "hf_PLANTED_TOKEN_9a8b7c"


def test_planted_secrets_appear_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    store = tmp_path / "store"
    with FakeOpenAIServer({"500": 1, "429": 1}) as server:
        cfg = load_config(None, {"run.store": str(store), "problems.limit": 6, "generate.samples": 2,
                                 "label.mc.k": 2, "engine.kind": "openai", "engine.model": "sandbox",
                                 "engine.openai.base_url": server.base_url, "engine.openai.backoff_base_s": 0.01,
                                 "label.labelers": ["mc", "verify", "consensus"]})
        asyncio.run(run_direct(cfg))
        assert all(h == f"Bearer {KEY}" for h in server.auth_headers)  # it was used
        # an engine's error message (nothing listens at the default base_url), through the CLI with its logs
        env = {**os.environ, "STEPLABEL_STATE_DIR": str(tmp_path / "state")}
        cli = subprocess.run([sys.executable, "-m", "steplabel.cli", "run", "--no-prefect", "--store",
                              str(tmp_path / "store2"), "--limit", "2", "--engine", "openai", "--model", "m"],
                             env={**env, "OPENAI_API_KEY": KEY}, capture_output=True, text=True, timeout=300)
    export(store, tmp_path / "export", export_format("soft"), labeler="mc")
    outputs = [cli.stdout, cli.stderr]
    for root in (store, tmp_path / "store2", tmp_path / "export", tmp_path / "state"):
        for path in root.rglob("*"):
            if path.is_file():
                outputs.append(path.read_bytes().decode("latin-1"))
    text = "\n".join(outputs)
    assert len(outputs) > 15 and "cannot reach the OpenAI-compatible server" in cli.stderr
    assert KEY not in text and TOKEN not in text


AUTH = "admin:PLANTED-AUTH-7e6f0a"
VLLM_KEY = "vllm-PLANTED-KEY-3c4d5e"


def test_planted_auth_string_and_vllm_key_appear_nowhere(tmp_path):
    """As docker-compose runs it: the Prefect API asks for its auth string, the policy server
    (vLLM's stand-in) for its key, which the engine sends from ``api_key_env``. A run reported
    to that server, then an export with its card: neither secret (nor the Basic header made of
    the auth string) is in a manifest, the store, a log, an artifact, a flow run's parameters,
    the export or its card."""
    import base64

    from tests.flows.authed_server import authed_prefect_server

    basic = base64.b64encode(AUTH.encode()).decode()
    with authed_prefect_server(tmp_path, AUTH) as prefect, FakeOpenAIServer({"500": 1, "429": 1}) as vllm:
        config = tmp_path / "run.toml"
        config.write_text(f'[run]\nname = "secret"\nstore = "{tmp_path / "store"}"\n[problems]\nlimit = 4\n'
                          '[generate]\nsamples = 2\n[label]\nlabelers = ["mc", "verify", "consensus"]\n'
                          '[label.mc]\nk = 2\n[engine]\nkind = "openai"\nmodel = "sandbox"\n'
                          f'[engine.openai]\nbase_url = "{vllm.base_url}"\napi_key_env = "VLLM_API_KEY"\n'
                          'backoff_base_s = 0.01\n')
        env = prefect.env(PREFECT_HOME=str(tmp_path / "prefect"), STEPLABEL_STATE_DIR=str(tmp_path / "state"),
                          VLLM_API_KEY=VLLM_KEY, OPENAI_API_KEY="", HF_TOKEN=TOKEN)
        run = subprocess.run([sys.executable, "-m", "steplabel.cli", "run", str(config)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert vllm.auth_headers and set(vllm.auth_headers) == {f"Bearer {VLLM_KEY}"}  # it was sent
        exported = subprocess.run([sys.executable, "-m", "steplabel.cli", "export", "--format", "soft", "--out",
                                   str(tmp_path / "export"), "--store", str(tmp_path / "store")],
                                  env=env, capture_output=True, text=True, timeout=300)
        assert exported.returncode == 0, exported.stderr[-3000:]
        with prefect.client() as api:
            runs = api.post("/flow_runs/filter", json={"limit": 10}).json()
            assert runs and all(r["state"]["type"] == "COMPLETED" for r in runs)
            ids = {"any_": [r["id"] for r in runs]}
            deadline = time.monotonic() + 30  # logs go to the server in the background
            while not (logs := api.post("/logs/filter", json={"logs": {"flow_run_id": ids}, "limit": 200}).json()):
                assert time.monotonic() < deadline, "the run's logs never reached the server"
                time.sleep(1)
            artifacts = api.post("/artifacts/filter", json={"flow_runs": {"id": ids}, "limit": 50}).json()
            server_side = [json.dumps(runs), json.dumps(logs), json.dumps(artifacts)]
        assert "steplabel-summary" in {a["key"] for a in artifacts}
    outputs = [run.stdout, run.stderr, exported.stdout, exported.stderr, *server_side]
    for root in (tmp_path / "store", tmp_path / "export", tmp_path / "state", tmp_path / "prefect"):
        for path in root.rglob("*"):
            if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
                outputs.append(path.read_bytes().decode("latin-1"))
    outputs.append((tmp_path / "server.log").read_text(errors="replace"))
    text = "\n".join(outputs)
    assert (tmp_path / "export" / "README.md").exists() and list((tmp_path / "store" / "runs").rglob("manifest.json"))
    for secret in (AUTH, AUTH.partition(":")[2], basic, VLLM_KEY, TOKEN):
        assert secret not in text, secret
