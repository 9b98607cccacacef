"""Run a step's Python snippet in a sandbox and compare its output with the step's claim.

The snippet runs in a fresh interpreter (``python -I -S``) in a throwaway directory, with an
empty environment (no inherited secrets), in its own session (killed whole on timeout), and
limits it sets on itself before any user code runs: CPU seconds, address space, file size,
open files. An audit hook, installed before the snippet and impossible to remove from Python,
refuses process creation (fork, exec, spawn, subprocess, os.system), sockets, ctypes, and any
file access outside the snippet's directory and the interpreter's own library. A refused
operation, a timeout or an exhausted limit leaves the claim unknown, with the reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass

_SNIPPET = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_CLAIMED = re.compile(
    r"(?:output|prints?|printed|result|returns?|gives?)\s*(?:is|was|of|:|=)?\s*`?\s*(-?[\w.\-/]+)`?",
    re.IGNORECASE,
)

# Runs inside the child before the snippet. Kept small: it is the sandbox's only guard rail
# beside the rlimits and the empty environment.
_GUARD = r'''
import os, sys, resource
cpu, mem, fsize = {cpu}, {mem}, {fsize}
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
except (ValueError, OSError):
    pass
here = os.path.realpath(os.getcwd())
allowed = tuple({{os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}} | {{"/usr/lib", "/usr/local/lib", "/dev/null", "/dev/urandom"}})
source = open("snippet.py").read()
BLOCKED = ("os.fork", "os.forkpty", "os.exec", "os.spawn", "os.posix_spawn", "os.system", "subprocess.Popen",
           "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "ctypes.dlopen",
           "ctypes.dlsym", "ctypes.cdata", "os.kill", "os.killpg", "sys.setrecursionlimit", "os.chdir",
           "os.putenv", "os.unsetenv", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link")
def guard(event, args):
    if event == "import" and args[0] in ("ctypes", "_ctypes"):
        raise PermissionError("sandbox: import " + args[0] + " is not allowed")
    if event.startswith(BLOCKED):
        raise PermissionError("sandbox: " + event + " is not allowed")
    if event == "open" and args[0] is not None and not isinstance(args[0], int):
        path = os.path.realpath(os.fsdecode(args[0]))
        if not (path == here or path.startswith(here + os.sep) or path.startswith(allowed)):
            raise PermissionError("sandbox: open " + path + " is not allowed")
sys.addaudithook(guard)
del resource
exec(compile(source, "snippet.py", "exec"), {{"__name__": "__main__"}})
'''


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 2
    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 1024 * 1024
    wall_seconds: float = 5.0
    output_chars: int = 10_000


@dataclass
class RunResult:
    ok: bool  # exited 0
    stdout: str
    stderr: str
    reason: str  # why it did not finish normally ("" if it did)


def run_snippet(source: str, limits: SandboxLimits = SandboxLimits()) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="steplabel-snippet-") as workdir:
        with open(os.path.join(workdir, "snippet.py"), "w", encoding="utf-8") as fh:
            fh.write(source)
        guard = _GUARD.format(cpu=limits.cpu_seconds, mem=limits.memory_bytes, fsize=limits.file_bytes)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", guard], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True,
            )
        except OSError as exc:
            return RunResult(False, "", "", f"could not start the sandbox: {exc}")
        try:
            out, err = proc.communicate(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return RunResult(False, "", "", f"wall-clock limit of {limits.wall_seconds:g} s exceeded")
        finally:
            _kill_group(proc)  # anything the snippet left behind in its session
        out, err = out[: limits.output_chars], err[-limits.output_chars:]
        if proc.returncode == 0:
            return RunResult(True, out, err, "")
        return RunResult(False, out, err, _why(proc.returncode, err, limits))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass


def _why(code: int, err: str, limits: SandboxLimits) -> str:
    if code in (-9, -24) or "CPU time limit" in err:
        return f"CPU limit of {limits.cpu_seconds} s exceeded"
    if "MemoryError" in err:
        return "memory limit exceeded"
    if "sandbox:" in err:
        return err[err.index("sandbox:"):].splitlines()[0]
    if code == -25 or "File too large" in err:
        return "file size limit exceeded"
    last = err.strip().splitlines()[-1] if err.strip() else f"exit code {code}"
    return f"raised {last[:200]}"


@dataclass
class CodeClaim:
    source: str
    claimed: str | None


def extract_code_claim(step: str) -> CodeClaim | None:
    m = _SNIPPET.search(step)
    if not m:
        return None
    after = step[m.end():]
    said = _CLAIMED.search(after) or _CLAIMED.search(step[: m.start()])
    return CodeClaim(m.group(1), said.group(1).rstrip(".") if said else None)


def check_code(claim: CodeClaim, limits: SandboxLimits, same_value) -> tuple[bool | None, dict]:
    """(holds, evidence). ``same_value(a, b)`` compares the printed and the claimed value."""
    if claim.claimed is None:
        return None, {"checker": "code", "reason": "no stated result to compare"}
    result = run_snippet(claim.source, limits)
    evidence = {"checker": "code", "claimed": claim.claimed, "stdout": result.stdout[-300:]}
    if result.reason.startswith("raised"):
        return False, {**evidence, "reason": f"the snippet {result.reason}"}
    if not result.ok:
        return None, {**evidence, "reason": result.reason}
    lines = result.stdout.strip().splitlines()
    printed = lines[-1].strip() if lines else ""
    holds = same_value(printed, claim.claimed)
    return holds, {**evidence, "printed": printed,
                   "reason": "output matches" if holds else f"printed {printed!r}, step says {claim.claimed!r}"}
