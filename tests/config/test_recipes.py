"""The recipes in configs/: each loads, validates and passes `steplabel run CONFIG --dry-run`
without building an engine (no model is loaded; vLLM need not be installed)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steplabel import registry
from steplabel.cli.app import app
from steplabel.config import load_config

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "configs").glob("*.toml"))
runner = CliRunner()


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_recipe_passes_a_dry_run_without_loading_a_model(path):
    registry._backend.cache_clear()
    result = runner.invoke(app, ["run", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert registry._backend.cache_info().currsize == 0  # no backend (no model) was built
    plan = json.loads(result.output)
    cfg = load_config(path)
    assert [s["stage"] for s in plan["stages"]] == ["generate", *cfg.label.labelers]
    assert plan["problems"] and plan["stages"][0]["model"] == cfg.engine.model
    text = runner.invoke(app, ["run", str(path), "--dry-run"])
    assert text.exit_code == 0 and "dry run" in text.output


def recipe(name):
    return load_config(ROOT / "configs" / name)


def test_recipe_a_qwen_math_in_process_on_vllm_with_omegaprm_on_math():
    cfg = recipe("qwen-math-7b-omegaprm.toml")
    assert cfg.engine.kind == "vllm" and cfg.engine.model == "Qwen/Qwen2.5-Math-7B-Instruct"
    assert cfg.engine.vllm.continuous and cfg.engine.vllm.enable_prefix_caching
    assert cfg.problems.source.startswith("hf:") and "MATH" in cfg.problems.source and cfg.problems.split == "train"
    assert cfg.label.labelers == ["omegaprm"]


def test_recipe_b_policy_and_judge_on_two_servers_of_the_compose_file():
    yaml = pytest.importorskip("yaml")
    cfg = recipe("gsm8k-mc-judge-servers.toml")
    assert cfg.label.labelers == ["mc", "judge", "consensus"] and "gsm8k" in cfg.problems.source
    policy, judge = cfg.engine, cfg.label.judge.engine
    assert policy.kind == judge.kind == "openai"
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    # each engine points at a port a compose service publishes, with the key that service asks for
    for engine, service in ((policy, "vllm"), (judge, "vllm-judge")):
        port = engine.openai.base_url.rsplit(":", 1)[1]
        assert any(p.endswith(f":{port}") for p in services[service]["ports"])
        assert engine.openai.api_key_env == "VLLM_API_KEY"
    assert judge.model != policy.model


def test_recipe_c_tensor_parallel_replicas_for_a_70b_policy():
    cfg = recipe("llama-70b-tp-replicas.toml")
    assert "70B" in cfg.engine.model and cfg.engine.vllm.tensor_parallel_size > 1
    assert cfg.task_runner.kind in ("dask", "ray") and cfg.task_runner.workers >= 2
    assert cfg.task_runner.threads_per_worker == 1  # one model per process
    result = runner.invoke(app, ["run", str(ROOT / "configs" / "llama-70b-tp-replicas.toml"), "--dry-run", "--json"])
    assert "8 in all" in json.loads(result.output)["placement"]


def test_the_readme_shows_every_recipe():
    readme = (ROOT / "README.md").read_text()
    for path in RECIPES:
        assert f"configs/{path.name}" in readme
