"""Helpers for tests that start servers: a free loopback port, and stopping a process group."""

import os
import socket
import subprocess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None) -> None:
    """Kill a process started with ``start_new_session=True`` and everything it spawned."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass
    proc.wait(30)
