import os

# Keep Prefect's state out of ~ and out of the network for every test process.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny GPT-2 trained here for 25 s on the arithmetic world's text: a real model, no download."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import os

    from train_tiny_model import build

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(build(tmp_path_factory.mktemp("tiny-model"), seconds=25))


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test harness for the session: it costs about 10 s to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def s3_bucket(monkeypatch):
    """A fresh bucket on a local S3 server (moto), with the AWS variables pointing at it."""
    import uuid

    s3fs = pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    from tests.processes import free_port

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}.items():
        monkeypatch.setenv(key, value)
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"steplabel-{uuid.uuid4().hex[:12]}"  # moto keeps buckets for the whole process
    s3fs.S3FileSystem().mkdir(name)
    yield name
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()
