"""An OpenAI-compatible server whose policy makes arithmetic mistakes and, after one, recovers
by luck 10% of the time (the sandbox's simulated policy with ``recovery = 0.10``). The
labelers talk to it over HTTP like to any server and are never told the rate."""

from steplabel.engines.sandbox import PolicyConfig, SandboxBackend
from tests.engines.fake_server import FakeOpenAIServer

LUCK = 0.10


class LuckyRecoveryServer(FakeOpenAIServer):
    def __init__(self) -> None:
        super().__init__(models=("lucky",))  # the model the tests name; any other is a 404
        self.backend = SandboxBackend(PolicyConfig(recovery=LUCK))
