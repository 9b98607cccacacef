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
    """A tiny GPT-2 trained here for 200 steps on the arithmetic world's text: a real model, no download.
    A fixed number of steps, not seconds: the same model however busy the machine is."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import os

    from train_tiny_model import build

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(build(tmp_path_factory.mktemp("tiny-model"), steps=200))


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test harness for the session: it costs about 10 s to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


class LocalS3:
    """A local S3 server (moto) that can go away and come back on the same port, buckets kept."""

    def __init__(self, port: int) -> None:
        self.port, self.server = port, None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def s3_server(monkeypatch):
    """A local S3 server with the AWS variables pointing at it, and a fresh bucket on it."""
    import uuid

    s3fs = pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    from tests.processes import free_port

    server = LocalS3(free_port())
    server.start()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.port}",
                       "AWS_MAX_ATTEMPTS": "2"}.items():
        monkeypatch.setenv(key, value)
    s3fs.S3FileSystem.clear_instance_cache()
    server.bucket = f"steplabel-{uuid.uuid4().hex[:12]}"  # moto keeps buckets for the whole process
    s3fs.S3FileSystem().mkdir(server.bucket)
    yield server
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    return s3_server.bucket
