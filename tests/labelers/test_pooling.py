"""PooledFit's checkpoint: a batch's searches go on, after their first, with one fit to what
every problem of the batch saw; nobody waits for a problem that left, and nobody waits forever."""

import asyncio

from steplabel.labelers.estimate import PRIOR, Observed
from steplabel.labelers.pooling import PooledFit

# Wrong prefixes that never succeed after correct ones that mostly do: enough to move the rates.
SEEN = [Observed((7, 6, 0, 0), (8, 8, 8, 8), False) for _ in range(30)]


def test_searches_after_the_checkpoint_decide_on_a_fit_to_every_problems_first_search():
    async def main():
        pooled = PooledFit()
        order = []

        async def problem(name, seen, delay):
            ticket = pooled.enter()
            await asyncio.sleep(delay)  # its first search
            await pooled.checkpoint(ticket, seen)
            order.append((name, pooled.search_params))
            return await pooled.leave(ticket, seen, passed=True)

        fast = asyncio.ensure_future(problem("fast", SEEN[:15], 0))
        slow = asyncio.ensure_future(problem("slow", SEEN[15:], 0.05))
        await asyncio.gather(fast, slow)
        return pooled, order

    pooled, order = asyncio.run(main())
    assert [name for name, _ in order] == ["fast", "slow"] or [name for name, _ in order] == ["slow", "fast"]
    (_, first), (_, second) = order
    assert first is second and first is not PRIOR  # the fast one waited for the slow one's counts
    assert first.mu_bad[0] < PRIOR.mu_bad[0] and first.pooled == 30
    assert pooled.params.pooled == 30  # the labels' fit, at the end, as before


def test_a_problem_that_leaves_or_fails_before_its_checkpoint_releases_the_others():
    async def main():
        pooled = PooledFit()

        async def searcher():
            ticket = pooled.enter()
            await pooled.checkpoint(ticket, SEEN)
            return await pooled.leave(ticket, SEEN, passed=True)

        async def set_aside():  # no search at all: leaves without a checkpoint
            ticket = pooled.enter()
            await asyncio.sleep(0.02)
            return await pooled.leave(ticket, [])

        async def broken():
            ticket = pooled.enter()
            await asyncio.sleep(0.04)
            pooled.abandon(ticket)

        return await asyncio.wait_for(asyncio.gather(searcher(), set_aside(), broken()), timeout=5)

    first, second, _ = asyncio.run(main())
    assert first is second and first.pooled == len(SEEN)


def test_a_checkpoint_fit_that_fails_lets_the_searches_go_on_and_the_batch_fit_reports_it(monkeypatch):
    import steplabel.labelers.pooling as pooling

    def broken(pool, start):
        raise ValueError("no fit today")

    monkeypatch.setattr(pooling, "fit", broken)

    async def main():
        pooled = PooledFit()
        ticket = pooled.enter()
        await asyncio.wait_for(pooled.checkpoint(ticket, SEEN), timeout=5)
        assert pooled.search_params is PRIOR  # went on with the last fit
        try:
            await asyncio.wait_for(pooled.leave(ticket, SEEN, passed=True), timeout=5)
        except ValueError as exc:
            return str(exc)

    assert asyncio.run(main()) == "no fit today"
