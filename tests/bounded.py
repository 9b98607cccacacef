"""Run a call under a generous limit, so a hang fails its test instead of stalling the suite.
The limit is a bound, not a measurement: nothing asserts how fast anything is."""

from __future__ import annotations

import concurrent.futures

GENEROUS_S = 120.0


def bounded(fn, *args, limit_s: float = GENEROUS_S, **kwargs):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn, *args, **kwargs).result(timeout=limit_s)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
