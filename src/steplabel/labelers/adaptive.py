"""Adaptive Monte Carlo sampling over a cohort of solutions, decided by one pooled fit.

Why a cohort: the noise-aware estimator (``estimate.py``) fits its rates to many solutions'
counts at once, but labelers are called per problem, concurrently. Problems whose
``label_problem`` starts in the same moment (a whole batch: ``label_stage`` and ``evaluate``
start them together) join one cohort; the cohort is sampled in rounds and every solution's
labels come from the fit to all of them. A call that arrives while a cohort runs starts the
next one.

Why rounds: most prefixes are settled by a few completions (a correct prefix that succeeds
often, a wrong one amid wrong ones); only the ones near an uncertain change point need more.
Each round: fit, compute posteriors, and for every solution whose first error is not yet
settled at the configured confidence, draw ``round_size`` more completions at its ``width``
most uncertain prefixes (never more than ``k`` per prefix, never more than ``per_step_budget``
per prefix on average over the solution: the sequential test's truncation). A round's requests for all
problems go to the engine together, so its batches stay large.

Why shared prefixes: solutions of one problem often open alike (the same first steps, word for
word). One prefix is one state: its completions are drawn once (the same prompt and seed would
only bring back the same completions, paid again) and its tally is shared by every solution
that holds it, so they all read the same evidence and get the same label there. Its cost is
carried by the first solution that holds it, and the fit counts it once (from that solution).

Why a root check: when no completion from any prefix of a problem reaches the answer (and no
solution's own answer is right), the counts cannot tell a wrong first step from a question the
policy cannot solve, and the fit would call every first step wrong. Such a problem draws ``k``
completions from the question alone; if none succeeds either, its solutions abstain
(``unsolved``) and stay out of the fit.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

from steplabel.labelers.base import LabelTask
from steplabel.labelers.estimate import PRIOR, Observed, Params, Posterior, fit, posteriors, visible
from steplabel.problems.answers import answer_key, extract_final_answer
from steplabel.problems.steps import stated_value


# A draw whose completions came back but none with a final answer is left unestimated like an
# engine failure, but it is the model's doing: recorded as a ``reason``, not an ``error``
# (``mc.failure_evidence``; a rerun retries engine errors, and the same seeds would give these
# the same completions again).
NO_ANSWER = "no final answer: "


def wrong_answer(task: LabelTask) -> str | None:
    """The solution's own final answer (``answer_key``) if it is wrong, else None."""
    if task.correct:
        return None
    said = extract_final_answer(task.text)
    return answer_key(said) if said else None


def most_alike(wrong: dict[str, int] | None) -> int:
    """Completions that reached the most common wrong answer (``estimate.Observed.agree``)."""
    return max(wrong.values(), default=0) if wrong else 0


def alike_with_own(agree: int, own: int) -> int:
    """``most_alike`` with the solution's own wrong answer counted as one more failure
    (``estimate.Observed.anchor``): ``agree`` the most common wrong answer's count, ``own``
    the completions that reached the solution's answer."""
    return max(agree, own + 1)


def echo_of(nexts: Counter | None, step: str, drawn_here: bool = False) -> tuple[int, int] | None:
    """A step's echo (``estimate.Observed.echo``) as (echo, trials): of the completions drawn
    before it whose first step states a value (``nexts``, counted), those that state the
    step's. ``drawn_here``: the step's own solution is one of those completions (left out).
    None where nothing was drawn or the step states no value."""
    value = stated_value(step)
    if not nexts or value is None:
        return None
    own = int(drawn_here)
    return max(nexts[value] - own, 0), sum(nexts.values()) - own


@dataclass
class Tally:
    """Everything drawn from one prefix so far."""

    correct: int = 0
    total: int = 0
    unparsable: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    requests: int = 0
    token_prompt: bool = False
    failed: str | None = None
    wrong: Counter | None = None  # wrong answers (``answer_key``) and their counts; None: unknown
    next: Counter | None = None  # values the completions' first steps state, counted; None: unknown

    @property
    def agree(self) -> int:
        return most_alike(self.wrong)

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class Decided:
    """One solution's tallies per prefix (steps 0..n-2) and its posterior."""

    task: LabelTask
    tallies: list[Tally]
    posterior: Posterior | None = None
    params: Params | None = None
    rounds: int = 0
    root: Tally | None = None  # completions from the question alone (the root check)
    root_paid: bool = False  # the problem's first solution carries the root check's cost
    unsolved: str | None = None  # why its counts cannot place a first error
    # Per prefix: whether this solution holds the prefix's tally first (draws for it, carries its
    # cost, and brings its counts to the fit); a solution sharing the prefix reads the same tally.
    owned: list[bool] = field(default_factory=list)
    # Its own final answer (``answer_key``) where it is wrong: completions from a wrong prefix
    # land there (``estimate.Observed.anchor``). None: right, or no answer to read.
    answer: str | None = None

    @property
    def live(self) -> bool:
        return self.failed_at is None and self.unsolved is None

    @property
    def failed_at(self) -> int | None:
        return next((i for i, t in enumerate(self.tallies) if t.failed), None)

    def owns(self, i: int) -> bool:
        return not self.owned or self.owned[i]

    def observed(self, owned_only: bool = False) -> Observed:
        """Its evidence; ``owned_only``: shared prefixes count only for the solution that holds
        them first (the fit's view: each state's counts once)."""
        tallies = [t if not owned_only or self.owns(i) else Tally() for i, t in enumerate(self.tallies)]
        known = all(t.wrong is not None for t in tallies if t.total) and bool(tallies)
        anchor = tuple(alike_with_own(t.agree, (t.wrong or {}).get(self.answer, 0)) for t in tallies) \
            if known and self.answer else ()
        echo, echo_trials = self.echoes(owned_only)
        return Observed(tuple(t.correct for t in tallies), tuple(t.total for t in tallies),
                        self.task.correct, self.task.problem_id,
                        tuple(t.agree for t in tallies) if known else (), anchor, echo, echo_trials)

    def echoes(self, owned_only: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(echo, trials) per step but the last (``estimate.Observed.echo``): of the completions
        from the prefix before step i whose first step states a value, those that state step
        i's. Step 0 has none (no completions from the question); a step that states no value
        has none. ``owned_only``: a step counts for the solution that holds its prefix first."""
        echo, trials = [0] * len(self.tallies), [0] * len(self.tallies)
        for i in range(1, len(self.tallies)):
            found = echo_of(self.tallies[i - 1].next, self.task.steps[i])
            if found and (not owned_only or self.owns(i)):
                echo[i], trials[i] = found
        return (tuple(echo), tuple(trials)) if any(trials) else ((), ())


@dataclass(frozen=True)
class Policy:
    k: int = 32  # most completions per prefix
    initial: int = 4  # completions per prefix in the first round
    round_size: int = 4
    width: int = 1  # prefixes per unsettled solution per round
    confidence: float = 0.995
    per_step_budget: float = 10.0  # most completions per solution, per prefix on average
    max_rounds: int = 64

    def settled(self, d: Decided) -> bool:
        """Sure enough, or out of budget: a solution that stays ambiguous (a correct prefix
        that rarely succeeds, say) must not eat the run's samples."""
        spent = sum(t.total for t in d.tallies)
        return d.posterior.confidence >= self.confidence or spent >= self.per_step_budget * len(d.tallies)

    def pick(self, d: Decided) -> list[int]:
        """The prefixes worth another round, not yet at k: those least sure to emit like a
        correct prefix or like a wrong one, or before a step that may or may not depart from
        what they lead to (their completions' first steps are its echo): the doubts
        completions can resolve."""
        post = d.posterior
        floor = (1.0 - self.confidence) / 2
        n = len(d.tallies)
        departs = post.step_departs if any(t.next for t in d.tallies) else []

        def doubt(i: int) -> float:
            own = min(post.step_bad[i], 1 - post.step_bad[i])
            after = departs[i + 1] if i + 1 < min(n, len(departs)) else 0.0
            return max(own, min(after, 1 - after))

        ranked = sorted(((doubt(i), i) for i in range(n) if d.tallies[i].total < self.k and doubt(i) > floor),
                        reverse=True)
        return [i for _, i in ranked[: self.width]]


# draw(task, step_index, n, round) -> Tally of that request; step_index -1: the question alone
ROOT = -1
Draw = Callable[[LabelTask, int, int, int], Awaitable[Tally]]


async def sample_adaptively(tasks: Sequence[LabelTask], draw: Draw, policy: Policy,
                            start: Params = PRIOR, context: Sequence[Observed] = ()) -> tuple[list[Decided], Params]:
    """Rounds of sampling until every solution is settled (or at k everywhere it is unsure).
    ``context``: counts of rollouts labeled before (a rerun's kept ones), fitted with these."""
    cohort = _shared_cohort(tasks)

    async def run(requests: list[tuple[Decided, int, int]], rnd: int) -> None:
        got = await asyncio.gather(*(draw(d.task, i, n, rnd) for d, i, n in requests))
        for (d, i, _), tally in zip(requests, got):
            merge(d.tallies[i], tally)

    await run([(d, i, min(policy.initial, policy.k)) for d in cohort for i in range(len(d.tallies))
               if d.owns(i)], 0)
    await _check_roots(cohort, draw, policy.k)
    params = start
    for rnd in range(1, policy.max_rounds + 1):
        params = _decide(cohort, params, visible, context)
        requests, asked = [], set()
        for d in cohort:
            if d.live and not policy.settled(d):
                for i in policy.pick(d):
                    if id(d.tallies[i]) not in asked:  # a shared prefix is drawn once a round
                        asked.add(id(d.tallies[i]))
                        requests.append((d, i, min(policy.round_size, policy.k - d.tallies[i].total)))
                    d.rounds = rnd
        if not requests:
            break
        await run(requests, rnd)
    # The labels' confidence: the full model, silent errors included.
    params = _decide(cohort, params, lambda p: p, context)
    return cohort, params


def _shared_cohort(tasks: Sequence[LabelTask]) -> list[Decided]:
    """One ``Decided`` per solution, prefixes that read the same (same problem, same prompt,
    same text) sharing one tally."""
    seen: dict[tuple[str, str, str], Tally] = {}
    cohort = []
    for t in tasks:
        tallies, owned = [], []
        for i in range(t.num_steps - 1):
            key = (t.problem_id, t.prompt, t.text[: t.step_ends[i]])
            owned.append(key not in seen)
            tallies.append(seen.setdefault(key, Tally()))
        cohort.append(Decided(t, tallies, owned=owned, answer=wrong_answer(t)))
    return cohort


async def _check_roots(cohort: list[Decided], draw: Draw, n: int) -> None:
    """Problems with no success anywhere draw ``n`` completions from the question; those that
    fail there too (or bring back no answer) are ``unsolved``."""
    problems: dict[str, list[Decided]] = {}
    for d in cohort:
        problems.setdefault(d.task.problem_id, []).append(d)
    unanswered = [ds for ds in problems.values()
              if all(d.failed_at is None for d in ds)
              and not any(d.task.correct or any(t.correct for t in d.tallies) for d in ds)]
    if not unanswered:
        return
    got = await asyncio.gather(*(draw(ds[0].task, ROOT, n, 0) for ds in unanswered))
    for ds, root in zip(unanswered, got):
        drawn = sum(t.total for d in ds for i, t in enumerate(d.tallies) if d.owns(i))
        reason = None
        if root.failed and not root.total:
            reason = f"no success in {drawn} completions from its prefixes, and the question alone " \
                     f"could not be sampled ({root.failed})"
        elif root.correct == 0:
            reason = f"no completion reached the reference answer: 0 of {drawn} from its prefixes, " \
                     f"0 of {root.total} from the question alone; the counts cannot tell a wrong " \
                     f"step from a question the policy cannot solve"
        for d in ds:
            d.root, d.unsolved = root, reason
        ds[0].root_paid = True


def _decide(cohort: list[Decided], params: Params, view: Callable[[Params], Params],
            context: Sequence[Observed] = ()) -> Params:
    """Fit the live solutions and set their posteriors under ``view`` of the fit: rounds
    decide on the ``visible`` model (what more completions can resolve), labels on the
    full one."""
    live = [d for d in cohort if d.live]
    if not live:
        return params
    params = fit([d.observed(owned_only=True) for d in live] + list(context), start=params)
    for d, post in zip(live, posteriors([d.observed() for d in live], view(params))):
        d.posterior, d.params = post, params
    return params


def merge(into: Tally, new: Tally) -> None:
    into.correct += new.correct
    into.total += new.total
    into.unparsable += new.unparsable
    into.prompt_tokens += new.prompt_tokens
    into.generated_tokens += new.generated_tokens
    into.requests += new.requests
    into.token_prompt = into.token_prompt or new.token_prompt
    # A later round whose completions all lack an answer adds nothing to a prefix that has counts:
    # it must not make the whole solution abstain (an engine error still does).
    if not (new.failed and new.failed.startswith(NO_ANSWER) and into.total):
        into.failed = into.failed or new.failed
    if new.wrong is not None:
        into.wrong = (into.wrong or Counter()) + new.wrong
    if new.next is not None:
        into.next = (into.next or Counter()) + new.next


@dataclass
class Cohorts:
    """Gathers the ``label_problem`` calls that start together into one cohort."""

    run: Callable[[list[LabelTask]], Awaitable[list[Decided]]]
    gather_rounds: int = 8
    _pending: list[tuple[list[LabelTask], asyncio.Future]] = field(default_factory=list)
    _driver: asyncio.Task | None = None

    async def decide(self, tasks: Sequence[LabelTask]) -> list[Decided]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((list(tasks), future))
        if self._driver is None or self._driver.done() or self._driver.get_loop() is not loop:
            self._driver = loop.create_task(self._drive())
        return await future

    async def _drive(self) -> None:
        while self._pending:
            for _ in range(self.gather_rounds):  # let every problem started with this one join
                before = len(self._pending)
                await asyncio.sleep(0)
                if len(self._pending) == before:
                    break
            members, self._pending = self._pending, []
            flat = [t for tasks, _ in members for t in tasks]
            try:
                decided = await self.run(flat)
            except BaseException as exc:  # noqa: BLE001 - every waiting problem must hear of it
                for _, future in members:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            at = 0
            for tasks, future in members:
                if not future.done():
                    future.set_result(decided[at: at + len(tasks)])
                at += len(tasks)
