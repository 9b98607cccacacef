"""docker-compose.yml against the Compose Specification's JSON schema (no Docker engine here)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "data" / "compose-spec.json"


@pytest.fixture
def compose_and_schema():
    yaml = pytest.importorskip("yaml")
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} not found")
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text()), json.loads(SCHEMA.read_text())


def test_compose_file_is_valid_and_has_the_services(compose_and_schema):
    jsonschema = pytest.importorskip("jsonschema")
    compose, schema = compose_and_schema
    jsonschema.validate(compose, schema)
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "worker", "vllm", "vllm-judge", "dask-scheduler",
                             "dask-worker"}
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert services["vllm"]["profiles"] == ["gpu"]
    # recipe (b)'s judge: its own port, on localhost only, a required key, a pinned image
    judge = services["vllm-judge"]
    assert judge["profiles"] == ["gpu"] and judge["ports"] == ["127.0.0.1:8001:8001"]
    assert "8001" in judge["command"] and ":latest" not in judge["image"] and ":" in judge["image"]
    assert judge["environment"]["VLLM_API_KEY"].startswith("${VLLM_API_KEY:?")
    assert "store:/app/store" in services["worker"]["volumes"]
    # Dask workers write shards themselves: the same store at the same path as the worker's.
    assert services["dask-worker"]["volumes"] == services["worker"]["volumes"]
    assert services["dask-worker"]["profiles"] == services["dask-scheduler"]["profiles"] == ["dask"]
    assert "tcp://dask-scheduler:8786" in services["dask-worker"]["command"]
    assert services["worker"]["environment"]["PREFECT_API_URL"].startswith("http://prefect-server:4200")


def test_an_invalid_compose_file_is_refused(compose_and_schema):
    jsonschema = pytest.importorskip("jsonschema")
    compose, schema = compose_and_schema
    compose["services"]["worker"]["restart_policy_typo"] = "always"  # not a Compose key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(compose, schema)
