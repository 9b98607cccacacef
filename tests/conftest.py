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
