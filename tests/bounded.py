"""Run a call under a generous limit, so a hang fails its test instead of stalling the suite.
The limit is a bound, not a measurement: nothing asserts how fast anything is. The call runs on
a daemon thread, so one that never returns cannot keep the test process alive at exit either.
``STEPLABEL_TEST_BOUND_S`` lowers the limit (``benchmarks/hostile_corpus.py`` does, to run the
corpus against older code whose hangs would otherwise take the full limit each)."""

from __future__ import annotations

import os
import queue
import threading

GENEROUS_S = float(os.environ.get("STEPLABEL_TEST_BOUND_S", "120"))


class Hang(AssertionError):
    pass


def bounded(fn, *args, limit_s: float | None = None, **kwargs):
    limit = GENEROUS_S if limit_s is None else limit_s
    done: queue.Queue = queue.Queue(maxsize=1)

    def call():
        try:
            done.put((True, fn(*args, **kwargs)))
        except BaseException as exc:  # handed to the caller as it is
            done.put((False, exc))

    threading.Thread(target=call, daemon=True).start()
    try:
        ok, value = done.get(timeout=limit)
    except queue.Empty:
        raise Hang(f"{getattr(fn, '__name__', fn)} did not return within {limit:g} s") from None
    if not ok:
        raise value
    return value
