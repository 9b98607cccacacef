"""docker-compose.yml against the Compose Specification's JSON schema (no Docker engine here)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "data" / "compose-spec.json"


def test_compose_file_is_valid_and_has_the_services():
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} not found")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    jsonschema.validate(compose, json.loads(SCHEMA.read_text()))
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "worker", "vllm"}
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert services["vllm"]["profiles"] == ["gpu"]
    assert "store:/app/store" in services["worker"]["volumes"]
    assert services["worker"]["environment"]["PREFECT_API_URL"].startswith("http://prefect-server:4200")


def test_an_invalid_compose_file_is_refused():
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} not found")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    compose["services"]["worker"]["restart_policy_typo"] = "always"  # not a Compose key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(compose, json.loads(SCHEMA.read_text()))
