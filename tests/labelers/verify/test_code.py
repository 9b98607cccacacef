"""Hostile snippets: each ends within its limit, as unknown or refuted with the reason, and
nothing escapes the sandbox."""


import pytest

from steplabel.labelers.verify import same_value
from steplabel.labelers.verify.code import CodeClaim, SandboxLimits, check_code, extract_code_claim, run_snippet

LIMITS = SandboxLimits(cpu_seconds=1, memory_bytes=256 * 2**20, wall_seconds=3)


def test_a_snippet_runs_and_its_claim_is_checked():
    step = "We count:\n```python\nprint(sum(range(10)))\n```\nThe output is 45."
    claim = extract_code_claim(step)
    assert claim == CodeClaim("print(sum(range(10)))\n", "45")
    assert check_code(claim, LIMITS, same_value)[0] is True
    wrong = CodeClaim("print(2 ** 10)", "1000")
    holds, evidence = check_code(wrong, LIMITS, same_value)
    assert holds is False and "printed '1024'" in evidence["reason"]
    assert check_code(CodeClaim("print(0.5)", "1/2"), LIMITS, same_value)[0] is True


def test_a_snippet_that_raises_refutes_its_claim():
    holds, evidence = check_code(CodeClaim("print(1 / 0)", "3"), LIMITS, same_value)
    assert holds is False and "ZeroDivisionError" in evidence["reason"]


@pytest.mark.parametrize("source, reason", [
    ("while True: pass", "CPU limit"),
    ("import time\ntime.sleep(60)", "wall-clock limit"),
    ("x = 'a' * (10 ** 10)", "memory limit"),
    ("blocks = []\nwhile True: blocks.append(bytearray(10 ** 7))", "memory limit"),
    ("import os\nprint(os.fork())", "os.fork is not allowed"),
    ("import subprocess\nsubprocess.run(['true'])", "subprocess.Popen is not allowed"),
    ("import os\nos.system('true')", "os.system is not allowed"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))", "not allowed"),
    ("import ctypes", "import ctypes is not allowed"),
    ("print(open('/proc/1/environ').read())", "is not allowed"),
    ("import os\nprint(open(f'/proc/{os.getppid()}/environ').read())", "is not allowed"),
    ("open('big.bin', 'wb').write(b'x' * 10 ** 8)", "file size limit"),
])
def test_hostile_snippets_end_within_their_limits(source, reason):
    holds, evidence = check_code(CodeClaim(source, "1"), LIMITS, same_value)
    assert holds is None, evidence
    assert reason in evidence["reason"]


def test_nothing_escapes(tmp_path, monkeypatch):
    secret = "hf_PLANTED_SECRET_31337"
    monkeypatch.setenv("HF_TOKEN", secret)
    target = tmp_path / "escaped.txt"
    result = run_snippet(f"open({str(target)!r}, 'w').write('x')", LIMITS)
    assert not result.ok and not target.exists()
    leak = run_snippet("import os\nprint(dict(os.environ))", LIMITS)
    assert leak.ok and secret not in leak.stdout and "HF_TOKEN" not in leak.stdout
    inside = run_snippet("open('note.txt', 'w').write('ok')\nprint(open('note.txt').read())", LIMITS)
    assert inside.ok and inside.stdout.strip() == "ok"
    assert not any(p.name.startswith("steplabel-snippet-") for p in tmp_path.iterdir())


def test_no_claim_no_verdict():
    assert extract_code_claim("no code here") is None
    assert check_code(CodeClaim("print(1)", None), LIMITS, same_value)[0] is None
