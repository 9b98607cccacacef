"""docker-compose.yml against the Compose Specification's JSON schema (no Docker engine here),
and its security policy: nothing published beyond 127.0.0.1, no secret written in the file,
every secret that guards a service a required variable, every image pinned.

The policy is checked on every service, whatever its name, so a service added later (a second
vLLM, a proxy) is held to it too. Each rule is also shown to catch a planted violation.
"""

import copy
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "data" / "compose-spec.json"
REQUIRED = {"PREFECT_API_AUTH_STRING": "admin:pl@nted:pass/word%", "POSTGRES_PASSWORD": "pg p@ss/w:rd%20",
            "VLLM_API_KEY": "vllm-planted-key"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; $$ is a literal $.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|AUTH_STRING|API_KEY|(^|_)KEY$", re.I)
SECRET_FLAG = re.compile(r"^--?(api[-_]?key|password|token|secret|auth[-_a-z]*)$", re.I)
URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^@\s/]+)@")


@pytest.fixture
def compose():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture
def schema():
    pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} not found")
    return json.loads(SCHEMA.read_text())


# --- what Compose does with variables -------------------------------------------------------

def interpolate(value, env: dict[str, str]):
    """Compose's substitution, enough to render the file as `docker compose config` would:
    a required variable that is unset or empty is an error naming it."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        found = env.get(name)
        missing = found is None or (op is not None and op.startswith(":") and found == "")
        if op in (":?", "?") and missing:
            raise LookupError(f"required variable {name} is missing a value: {arg}")
        if op in (":-", "-") and missing:
            return arg
        return found or ""

    return VARIABLE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def is_required_variable(value) -> bool:
    """The whole value is one required variable with a message (``${NAME:?why}``)."""
    match = VARIABLE.fullmatch(value) if isinstance(value, str) else None
    return bool(match and match.group(2) == ":?" and match.group(3).strip())


def required_name(value) -> str | None:
    return VARIABLE.fullmatch(value).group(1) if is_required_variable(value) else None


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["NAME=value", "NAME"]
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def command(service: dict) -> list[str]:
    cmd = service.get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


# --- the policy ----------------------------------------------------------------------------

def published_beyond_loopback(compose: dict) -> list[str]:
    bad = []
    for name, service in compose["services"].items():
        if service.get("network_mode") == "host":
            bad.append(f"{name}: network_mode host publishes every port")
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                ok = port.get("host_ip") == "127.0.0.1"
            else:
                ok = str(port).startswith("127.0.0.1:")
            if not ok:
                bad.append(f"{name}: port {port!r} is not bound to 127.0.0.1")
    return bad


def unpinned_images(compose: dict) -> list[str]:
    bad = []
    for name, service in compose["services"].items():
        image = service.get("image")
        if image is None:
            continue  # built from the Dockerfile
        if "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest" or not re.search(r"\d", tag):
            bad.append(f"{name}: image {image!r} is not pinned to a version")
    return bad


def secrets_not_required(compose: dict) -> list[str]:
    """Every secret in the file is a required variable: a secret-named environment entry (or
    one passed through from the caller with no value at all), the value after a secret flag
    in a command, and a password in a URL. Never a literal, never a default."""
    bad = []
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if value is not None and URL_PASSWORD.search(str(value)):
                if not is_required_variable(URL_PASSWORD.search(str(value)).group(1)):
                    bad.append(f"{name}: {key} holds a password in a URL")
            if SECRET_NAME.search(key) and value is not None and not is_required_variable(value):
                bad.append(f"{name}: {key} is not a required variable (${{VAR:?why}})")
        args = command(service)
        for i, arg in enumerate(args):
            flag, _, inline = arg.partition("=")
            if SECRET_FLAG.match(flag):
                secret = inline or (args[i + 1] if i + 1 < len(args) else "")
                if not is_required_variable(secret):
                    bad.append(f"{name}: {flag} is not given a required variable")
            found = URL_PASSWORD.search(arg)
            if found and not is_required_variable(found.group(1)):
                bad.append(f"{name}: a password in a URL of its command")
    return bad


def unguarded_services(compose: dict) -> list[str]:
    """Services that must ask for credentials do, from required variables, and their clients
    send the same ones."""
    bad = []
    services = compose["services"]
    server_auth, db_password = set(), set()
    for name, service in services.items():
        env, args, image = environment(service), command(service), service.get("image") or ""
        if args[:3] == ["prefect", "server", "start"]:
            auth = required_name(env.get("PREFECT_SERVER_API_AUTH_STRING"))
            if auth is None:
                bad.append(f"{name}: the Prefect server starts without a required PREFECT_SERVER_API_AUTH_STRING")
            server_auth.add(auth)
            if "PREFECT_SERVER_DATABASE_PASSWORD" in env:
                db_password.add(required_name(env["PREFECT_SERVER_DATABASE_PASSWORD"]))
        if image.split(":")[0].endswith("vllm-openai"):
            flagged = any(SECRET_FLAG.match(a.partition("=")[0]) for a in args)
            if not flagged and required_name(env.get("VLLM_API_KEY")) is None:
                bad.append(f"{name}: vLLM starts without an API key from a required variable")
        if image.startswith("postgres:"):
            if required_name(env.get("POSTGRES_PASSWORD")) is None:
                bad.append(f"{name}: Postgres without a required POSTGRES_PASSWORD")
            if env.get("POSTGRES_HOST_AUTH_METHOD") == "trust":
                bad.append(f"{name}: Postgres trusts every connection")
            db_password.add(required_name(env.get("POSTGRES_PASSWORD")))
    if len(db_password) > 1:
        bad.append(f"the database password comes from different variables: {sorted(map(str, db_password))}")
    for name, service in services.items():
        env = environment(service)
        if "PREFECT_API_URL" in env:
            auth = required_name(env.get("PREFECT_API_AUTH_STRING"))
            if auth is None or auth not in server_auth:
                bad.append(f"{name}: a Prefect client without the server's auth string (PREFECT_API_AUTH_STRING)")
    return bad


def violations(compose: dict) -> list[str]:
    return (published_beyond_loopback(compose) + unpinned_images(compose) + secrets_not_required(compose)
            + unguarded_services(compose))


# --- the tests -----------------------------------------------------------------------------

def test_compose_file_is_valid_and_has_the_services(compose, schema):
    import jsonschema

    jsonschema.validate(compose, schema)
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker", "vllm", "vllm-judge", "dask-scheduler",
            "dask-worker"} <= set(services)
    assert services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_DRIVER"] == "postgresql+asyncpg"
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


def test_an_invalid_compose_file_is_refused(compose, schema):
    import jsonschema

    compose["services"]["worker"]["restart_policy_typo"] = "always"  # not a Compose key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(compose, schema)


def test_the_compose_file_meets_the_security_policy(compose):
    assert violations(compose) == []


@pytest.mark.parametrize("plant, expected", [
    (lambda c: c["services"]["prefect-server"].update(ports=["4200:4200"]), "not bound to 127.0.0.1"),
    (lambda c: c["services"]["vllm"].update(ports=["0.0.0.0:8000:8000"]), "not bound to 127.0.0.1"),
    (lambda c: c["services"]["dask-scheduler"].update(ports=[{"target": 8787, "published": 8787}]),
     "not bound to 127.0.0.1"),
    (lambda c: c["services"]["worker"].update(network_mode="host"), "network_mode host"),
    (lambda c: c["services"]["vllm"].update(image="vllm/vllm-openai:latest"), "not pinned"),
    (lambda c: c["services"]["postgres"].update(image="postgres"), "not pinned"),
    (lambda c: c["services"]["postgres"]["environment"].update(POSTGRES_PASSWORD="prefect"), "POSTGRES_PASSWORD"),
    (lambda c: c["services"]["worker"]["environment"].update(HF_TOKEN="${HF_TOKEN:-}"), "HF_TOKEN"),
    (lambda c: c["services"]["prefect-server"]["environment"].update(
        PREFECT_SERVER_DATABASE_CONNECTION_URL="postgresql+asyncpg://prefect:prefect@postgres/prefect"),
     "password in a URL"),
    (lambda c: c["services"]["prefect-server"]["environment"].pop("PREFECT_SERVER_API_AUTH_STRING"),
     "Prefect server starts without"),
    (lambda c: c["services"]["dask-worker"]["environment"].pop("PREFECT_API_AUTH_STRING"),
     "dask-worker: a Prefect client"),
    (lambda c: c["services"]["vllm"]["environment"].pop("VLLM_API_KEY"), "vLLM starts without"),
    (lambda c: c["services"]["vllm"].update(command=["--model", "m", "--api-key", "sk-literal"]), "--api-key"),
    (lambda c: c["services"].update(judge={"image": "vllm/vllm-openai:v0.32.0", "ports": ["8001:8000"]}),
     "judge: port"),
])
def test_the_policy_catches_a_planted_violation(compose, plant, expected):
    planted = copy.deepcopy(compose)
    plant(planted)
    found = violations(planted)
    assert any(expected in v for v in found), found


def test_a_second_vllm_service_is_held_to_the_policy(compose):
    judge = {"image": "vllm/vllm-openai:v0.32.0", "ports": ["127.0.0.1:8001:8000"],
             "command": ["--model", "judge", "--api-key", "${VLLM_API_KEY:?set VLLM_API_KEY}"]}
    compose["services"]["vllm-judge"] = judge
    assert violations(compose) == []
    del judge["command"][2:]
    assert violations(compose) == ["vllm-judge: vLLM starts without an API key from a required variable"]


def test_compose_refuses_to_render_without_each_required_variable(compose, schema):
    import jsonschema

    rendered = interpolate(compose, REQUIRED)
    jsonschema.validate(rendered, schema)
    assert "$" not in json.dumps(rendered["services"]["prefect-server"]["environment"])
    for name in REQUIRED:
        with pytest.raises(LookupError, match=name):
            interpolate(compose, {k: v for k, v in REQUIRED.items() if k != name})
        with pytest.raises(LookupError, match=name):
            interpolate(compose, {**REQUIRED, name: ""})


def test_prefect_reads_the_rendered_settings_as_intended(compose, monkeypatch, tmp_path):
    """The variable names are Prefect's own settings (a misspelt one would be ignored in
    silence): the server's database URL holds the password (escaped), the server and its
    clients hold the same auth string."""
    pytest.importorskip("prefect")
    from prefect.settings import Settings
    from sqlalchemy.engine import make_url

    services = interpolate(compose, REQUIRED)["services"]

    def settings(service: str) -> Settings:
        for key in [k for k in os.environ if k.startswith("PREFECT_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
        for key, value in environment(services[service]).items():
            if value is not None:
                monkeypatch.setenv(key, str(value))
        return Settings()

    server = settings("prefect-server")
    url = make_url(server.server.database.connection_url.get_secret_value())
    postgres = environment(services["postgres"])
    assert (url.drivername, url.host, url.port) == ("postgresql+asyncpg", "postgres", 5432)
    assert (url.username, url.password, url.database) == (
        postgres["POSTGRES_USER"], REQUIRED["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"])
    assert postgres["POSTGRES_PASSWORD"] == REQUIRED["POSTGRES_PASSWORD"]
    assert server.server.api.auth_string.get_secret_value() == REQUIRED["PREFECT_API_AUTH_STRING"]
    for client in ("worker", "dask-worker"):
        api = settings(client).api
        assert api.url == "http://prefect-server:4200/api"
        assert api.auth_string.get_secret_value() == REQUIRED["PREFECT_API_AUTH_STRING"]
