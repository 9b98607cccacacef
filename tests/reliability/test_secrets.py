"""A planted API key and HF token never appear in logs, manifests, the store, artifacts of the
export, or error messages."""

import asyncio
import os
import subprocess
import sys

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
