import asyncio

import pytest

from steplabel.engines import BatchingEngine, GenerationRequest
from steplabel.engines.openai import OpenAIBackend
from steplabel.problems.answers import check_answer
from steplabel.problems.prompts import solve_prompt
from steplabel.problems.worlds import arith
from tests.engines.fake_server import FakeOpenAIServer

PROBLEMS = arith.generate_problems(6, seed=21)


def backend(server, **kw):
    return OpenAIBackend(server.base_url, "sandbox", backoff_base_s=0.01, backoff_max_s=0.05,
                         timeout_s=kw.pop("timeout_s", 5.0), **kw)


def requests(n=3):
    return [GenerationRequest(prompt=solve_prompt(p.question()), n=n, seed=0, max_tokens=400) for p in PROBLEMS]


def run(b, reqs):
    return asyncio.run(b.generate_batch(reqs))


def test_completions_match_the_same_model_in_process():
    with FakeOpenAIServer() as server:
        over_http = run(backend(server), requests())
    from steplabel.engines.sandbox import SandboxBackend

    local = asyncio.run(SandboxBackend().generate_batch(requests()))
    assert [[c.text for c in g.completions] for g in over_http] == [[c.text for c in g.completions] for g in local]
    assert all(g.error is None and g.prompt_tokens > 0 for g in over_http)
    assert sum(check_answer(p.answer, c.text)[1] for p, g in zip(PROBLEMS, over_http) for c in g.completions) > 0


def test_chat_mode():
    with FakeOpenAIServer() as server:
        (g,) = run(backend(server, mode="chat"), requests(1)[:1])
    assert g.error is None and "\\boxed" in g.completions[0].text


@pytest.mark.parametrize("faults", [{"429": 2}, {"500": 3}, {"malformed": 2}, {"drop": 2}, {"stall": 1},
                                    {"429": 1, "500": 1, "malformed": 1, "drop": 1}])
def test_transient_faults_are_retried(faults):
    with FakeOpenAIServer(faults, stall_s=1.0) as server:
        b = backend(server, timeout_s=0.3)
        results = run(b, requests())
    assert all(g.error is None and len(g.completions) == 3 for g in results)
    assert b.retries == sum(faults.values()) * len(PROBLEMS)


def test_a_request_that_keeps_failing_is_recorded_not_raised():
    with FakeOpenAIServer({"500": 100}) as server:
        b = backend(server, max_retries=2)
        engine = BatchingEngine(b)

        async def go():
            try:
                return await engine.generate_many(requests())
            finally:
                await engine.aclose()

        results = asyncio.run(go())
    assert all(g.error == "gave up after 3 attempts: HTTP 500" and g.completions == [] for g in results)
    assert engine.meter.failed_requests == len(PROBLEMS)
    assert server.requests == 3 * len(PROBLEMS)


def test_fewer_samples_than_asked_fail_the_request():
    """Issue 18: a reply with fewer choices than n is retried, then recorded as a failure (a rerun
    redoes it), never stored as a short set of rollouts."""
    with FakeOpenAIServer({"short": 1}) as server:
        results = run(backend(server, max_retries=1), requests(4))
    assert all(g.completions == [] and g.error == "gave up after 2 attempts: malformed response: 3 choice(s) for n=4"
               for g in results)


def test_the_api_key_is_sent_but_never_shown(monkeypatch):
    secret = "sk-PLANTED-31337-secret"
    monkeypatch.setenv("STEPLABEL_TEST_KEY", secret)
    with FakeOpenAIServer({"500": 100}) as server:
        b = backend(server, api_key_env="STEPLABEL_TEST_KEY", max_retries=1)
        results = run(b, requests(1)[:1])
    assert server.auth_headers[0] == f"Bearer {secret}"
    assert secret not in results[0].error and secret not in repr(b.__dict__)


def test_unreachable_server_fails_cleanly():
    b = OpenAIBackend("http://127.0.0.1:9", "x", max_retries=1, backoff_base_s=0.01, timeout_s=1)
    (g,) = run(b, requests(1)[:1])
    assert g.error.startswith("gave up after 2 attempts: connection failed")


def test_check_passes_when_the_server_lists_the_model():
    with FakeOpenAIServer() as server:
        asyncio.run(backend(server).check())
    assert server.paths == ["GET /v1/models"]


def test_check_names_the_model_the_server_does_not_serve():
    from steplabel.engines import EngineUnavailable

    with FakeOpenAIServer(models=("served-a", "served-b")) as server:
        with pytest.raises(EngineUnavailable, match=r"does not serve model 'sandbox' \(it serves: 'served-a', 'served-b'\)"):
            asyncio.run(backend(server).check())
        (g,) = run(backend(server), requests(1)[:1])  # what a run would have got, for every problem
    assert g.error.startswith("HTTP 404") and "does not exist" in g.error


def test_check_fails_on_an_unreachable_server():
    from steplabel.engines import EngineUnavailable

    b = OpenAIBackend("http://127.0.0.1:9", "x", max_retries=1, backoff_base_s=0.01, timeout_s=1)
    with pytest.raises(EngineUnavailable, match="cannot reach the OpenAI-compatible server at http://127.0.0.1:9"):
        asyncio.run(b.check())


@pytest.mark.parametrize("suffix", ["/v1", "/v1/", "/"])
def test_base_url_may_end_in_v1(suffix):
    with FakeOpenAIServer() as server:
        b = OpenAIBackend(server.base_url + suffix, "sandbox", timeout_s=5.0)
        asyncio.run(b.check())
        (g,) = run(b, requests(1)[:1])
    assert g.error is None and g.completions
    assert server.paths == ["GET /v1/models", "POST /v1/completions"]


# ------------------------------------------------------------------ issue 18: replies checked against requests


def test_a_reply_without_choices_is_retried_then_recorded():
    with FakeOpenAIServer({"empty": 1}) as server:
        ok = run(backend(server, max_retries=1), requests(2)[:1])
    assert ok[0].error is None and len(ok[0].completions) == 2  # the retry got the real answer
    with FakeOpenAIServer({"empty": 100}) as server:
        (g,) = run(backend(server, max_retries=1), requests(2)[:1])
    assert g.completions == [] and g.error == "gave up after 2 attempts: malformed response: 0 choice(s) for n=2"


def test_extra_choices_are_dropped_with_a_warning(caplog):
    with FakeOpenAIServer({"extra": 1}) as server:
        results = run(backend(server), requests(2))
    assert all(g.error is None and len(g.completions) == 2 and g.extra["dropped_choices"] == 1 for g in results)
    assert "extra ones are dropped" in caplog.text


def test_a_trickling_body_cannot_outlast_timeout_s():
    """httpx's timeout is per read; a body sent one byte every 0.2 s would take over half an
    hour. Each attempt ends at timeout_s from its start."""
    with FakeOpenAIServer({"trickle": 100}, trickle_s=0.2) as server:
        (g,) = run(backend(server, timeout_s=1.0, max_retries=1), requests(1)[:1])
    assert g.completions == [] and g.error == "gave up after 2 attempts: timed out after 1 s"


def test_retry_after_is_capped_and_the_request_deadline_holds():
    with FakeOpenAIServer({"retry_after": 100}, retry_after_s="99999") as server:
        b = backend(server, max_retries=50, retry_after_max_s=0.2, request_deadline_s=1.0)
        (g,) = run(b, requests(1)[:1])
    assert g.completions == [] and g.error.startswith("gave up at the request deadline (1 s, after ")
    assert 2 <= server.requests <= 6  # waits of 0.2 s within 1 s: the cap applied, the deadline ended it


@pytest.mark.parametrize("header, expected", [("99999", 30.0), ("2", 2.0), ("-5", 0.0), ("nan", None), ("soon", None),
                                              ("Wed, 21 Oct 2015 07:28:00 GMT", None), (None, None)])
def test_retry_after_values(header, expected):
    from steplabel.engines.openai import _retry_after

    assert _retry_after(header, 30.0) == expected
