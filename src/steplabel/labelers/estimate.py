"""Noise-aware first-error estimation from Monte Carlo counts.

Why: Math-Shepherd's hard label ("a prefix is correct if any of its k completions reaches the
answer") is fooled by lucky recoveries, and the more samples a user pays for, the more wrong
prefixes pass. A correct prefix and a wrong one differ in *how often* completions succeed, so
we model that instead.

The model is a small hidden Markov chain along each solution's steps, one state per prefix
(the solution cut after step i):

- ``G`` the prefix is correct: completions succeed at a rate that varies from prefix to prefix
  (Beta-Binomial) and falls with the steps remaining;
- ``B1`` the prefix ends with the first wrong step, ``B`` the wrong step lies further back:
  completions only succeed by a lucky recovery (a low rate, also Beta-Binomial, also by steps
  remaining);
- ``R`` the solution itself recovered after a wrong step (emits like ``G``). It lets a
  solution with a wrong step and a right final answer keep its first error. A policy that
  recovers mostly does so at once (the next step restates the right value), so the chance
  of recovering from ``B1`` is fitted apart from that of later wrong prefixes: one rate for
  both made a lone failing prefix amid succeeding ones look like bad luck of a correct one.

A wrong prefix fails *alike*: its completions that make no later slip all reach the one wrong
answer its wrong value leads to, while a correct prefix's failures come from different later
slips and scatter. So where the completions' answers are known (MC, OmegaPRM), each prefix emits how
many of its failures repeat its most common wrong answer (``Observed.agree``), at a rate fitted
per state and steps remaining like the success rates. It is the one signal that tells a
correct prefix of a hard problem (2 of 8 right, 6 different wrong answers) from a wrong prefix
that recovers now and then (2 of 8 right, 5 of the 6 others alike). A wrong solution's own
final answer is one more failure from each of its prefixes (its text continued them): counted
among them (``Observed.anchor``), one completion that lands where the solution did marks a
wrong prefix, where the agreement among completions needs two failures to say anything.
Measured on the sandbox and the lucky server: 2-3% of a correct prefix's failures reach the
solution's answer, 43-45% of a wrong prefix's.

Where the completions' text is known (MC, OmegaPRM), each step also emits its *echo*: of the
completions drawn from the prefix before it, how many write as their first step the value the
step states (``Observed.echo``; the last number of a step, ``problems.steps.stated_value``).
It speaks of the move into the step rather than of a state: a step that carries on from a
correct prefix is what most completions write next, a step after a wrong prefix less surely, and
a step that departs from what its prefix leads to (the first wrong step, a silent one, the step
where a solution's text recovers the right value) almost never. So it sees what no count can: a
wrong step whose solution recovers at once (one failing prefix amid succeeding ones, and a right
answer), or that leaves the right value behind. On the lucky server it took MC from 93-98% of
wrong prefixes caught to 98-100%. The three rates are fitted like the others, one per kind of
move, started equal so that a policy whose first steps never restate a step's value changes
nothing.

Solutions of one problem share its difficulty: each problem gets a shift of the correct rate
and one of the hazard, on the log-odds scale (``Params.offsets``, ``Params.hazard_offsets``,
``difficulty.py``).

``G`` is left for good (every prefix after a wrong one is wrong, the change-point structure);
the first error is the first prefix not in ``G``. ``G`` may also pass straight to ``R`` (a
*silent* error: wrong text, right value), which no count can see and only the echo can (see
below); its rate keeps the stored confidence honest on solutions that look right
(``Params.silent``). The last prefix (the whole solution) emits
the solution's own final answer instead of counts. Every parameter is fitted by EM to the
counts of the run itself (pooled over many solutions), with weak generic priors so a tiny pool
stays sane; nothing comes from the engine's or world's configuration. The estimator sees only
counts, the position of each prefix and the steps remaining.

Pure: counts in, a posterior over the first error out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from steplabel.labelers import difficulty
from steplabel.labelers.difficulty import Counts

G, B1, B, R = 0, 1, 2, 3
S = 4  # states
BAD = [B1, B]
MAX_BIN = 8  # prefixes with 8 or more steps remaining share one set of rates
_TINY = 1e-300


@dataclass(frozen=True)
class Observed:
    """One solution's evidence: correct / total completions from the prefix ending at each
    step but the last (total 0 = not sampled), and whether its own final answer is right
    (None: no answer to judge)."""

    correct: tuple[int, ...]
    total: tuple[int, ...]
    final_correct: bool | None
    # Its problem: solutions of one problem share a difficulty (``Params.offsets``,
    # ``Params.hazard_offsets``). None: the run's typical rates.
    group: str | None = None
    # Per prefix, how many completions reached its most common wrong answer (0: none wrong).
    # Empty: the answers are not known (a rerun's rows stored before they were counted).
    agree: tuple[int, ...] = ()
    # Per prefix, ``agree`` with the solution's own wrong final answer counted as one more failure
    # (it too continued that prefix): its most common wrong answer's count, the solution's
    # included. Empty: its answer is right or unknown, or the completions' answers are not
    # known. Where given (not 0), it replaces ``agree``; 0 at a prefix whose completions
    # already hold the solution (a tree solution's own state).
    anchor: tuple[int, ...] = ()
    # Per step i (0..n-2): of the completions drawn from the prefix before it (``echo_trials``)
    # whose first step states a value, how many state the value step i states (``echo``).
    # Empty: not known (no such completions, or a labeler that does not read them).
    echo: tuple[int, ...] = ()
    echo_trials: tuple[int, ...] = ()

    @property
    def num_steps(self) -> int:
        return len(self.correct) + 1


@dataclass(frozen=True)
class Params:
    """Fitted rates; index ``b`` of the per-bin tuples is ``min(steps remaining, MAX_BIN) - 1``."""

    mu_good: tuple[float, ...] = (0.85, 0.75, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4)
    rho_good: float = 0.15  # intra-prefix correlation: spread of success rates of correct prefixes
    mu_bad: tuple[float, ...] = (0.1,) * MAX_BIN
    rho_bad: float = 0.1
    hazard: float = 0.1  # chance that the next step is the first wrong one
    recover_first: float = 0.05  # chance a solution's text recovers right after its first wrong step
    recover: float = 0.02  # chance it recovers at a later step
    # A solution whose every step is right has the right answer, by definition: a wrong final
    # answer is (almost) proof of a wrong step. Fixed, not fitted: counts cannot tell a wrong
    # last step from a right solution with a wrong answer, so EM would chase its own tail.
    final_wrong_if_good: float = 1e-3
    final_right_if_bad: float = 0.05
    # A step can be wrong in its text while what it leaves behind is right (a wrong operand that
    # lands on the right value, a recovered slip): completions from it succeed as from a correct
    # prefix, so no count can see it. Only the echo can (``Observed.echo``: completions from the
    # prefix before it state another value): fitted by EM, which leaves it at this prior where
    # no echo is known (its likelihood is then flat in it). Without it every unseen error would
    # be claimed impossible, and confidences on long solutions that look right would be too
    # high. Sampling decisions ignore it (more completions from its prefix cannot resolve it):
    # see ``visible``.
    silent: float = 0.005
    # Where silent errors may be: "all" (labels), "echo" (steps whose echo more completions can
    # still sharpen: not the first, with no completions before it, nor the last, judged by its
    # answer) or "none". ``visible`` picks the view adaptive rounds settle on.
    silent_where: str = "all"
    # A hard question is hard from every prefix: its correct prefixes succeed less often than
    # the run's typical ones at the same steps remaining (an easy one more often). Per problem
    # (``Observed.group``), a shift of the correct rate on the log-odds scale, fitted to the
    # problem's own counts and shrunk towards 0 (``difficulty.py``). Without it a hard problem's
    # correct prefixes (7 of 32 where the typical rate is 0.5) look half wrong.
    offsets: tuple[tuple[str, float], ...] = ()
    # A hard question also trips the policy more often: per problem, a shift of ``hazard`` on
    # the log-odds scale, fitted to the first errors its own solutions show (``difficulty.py``).
    # One rate for the run fits errors that crowd in hard problems, and then sees them, at the
    # run's average, in an easy problem's solutions whose right answers nothing probed.
    hazard_offsets: tuple[tuple[str, float], ...] = ()
    # Of a prefix's f failures, how often each one after the first repeats its most common wrong
    # answer (m - 1 of f - 1), per steps-remaining bin: rare for a correct prefix, common for a
    # wrong one (see the module's docstring).
    agree_good: tuple[float, ...] = (0.1,) * MAX_BIN
    rho_agree_good: float = 0.1
    agree_bad: tuple[float, ...] = (0.5,) * MAX_BIN
    rho_agree_bad: float = 0.1
    # The same with the solution's own wrong answer among the failures (``Observed.anchor``): a
    # wrong prefix's completions that make no later slip land where the solution did, a correct
    # prefix's only by repeating its later slip. Unlike ``agree`` it speaks from the first
    # failure on.
    anchor_good: tuple[float, ...] = (0.05,) * MAX_BIN
    rho_anchor_good: float = 0.1
    anchor_bad: tuple[float, ...] = (0.4,) * MAX_BIN
    rho_anchor_bad: float = 0.1
    # How often a completion from the prefix before step i writes, as its first step, the value
    # step i states (``Observed.echo``): often where step i carries on as the policy would from
    # a correct prefix (``echo_on``), less surely where both build on a wrong prefix
    # (``echo_on_wrong``: the wrong prefix's own muddle, a skipped operation, say), rarely where
    # step i departs from what the prefix leads to (``echo_off``: the first wrong step, a silent
    # one, or a solution's text recovering the right value).
    # One rate per kind of move, not per bin: a bin with few steps would keep its prior. A fit
    # starts them equal (the echo says nothing until the run's counts tell the moves apart), and
    # shrinks each towards ``_ECHO_PRIOR``. Started apart, a policy whose first steps never
    # state a given step's value looked full of silent errors after one step of EM, and the
    # silent rate, flat in the likelihood from then on, stayed there.
    echo_on: tuple[float, ...] = (0.5,) * MAX_BIN
    rho_echo_on: float = 0.1
    echo_on_wrong: tuple[float, ...] = (0.5,) * MAX_BIN
    rho_echo_on_wrong: float = 0.1
    echo_off: tuple[float, ...] = (0.5,) * MAX_BIN
    rho_echo_off: float = 0.1
    iterations: int = 0
    pooled: int = 0  # solutions the fit saw
    # Completions with a final answer the fit counted (beyond the solutions' own answers). 0: the
    # rates are the prior's, measured on nothing of this run. Final answers alone cannot tell a
    # solution without error from one that recovered (a wrong step, then the right option of a
    # multiple-choice question): on BIG-Bench Mistake's logical deduction, a fit to the answers
    # alone called 14 erroneous solutions error-free at 0.94 (3 of its 17 right answers are).
    counted: int = 0

    def shifts(self) -> dict[str, float]:
        return dict(self.offsets)

    def hazard_shifts(self) -> dict[str, float]:
        return dict(self.hazard_offsets)


PRIOR = Params()
# Prior strength, in pseudo-completions per bin / pseudo-events: weak against a run's thousands
# of completions, strong enough that a handful of solutions cannot collapse a component.
_PRIOR_N = 40.0
_PRIOR_EVENTS = 20.0
# What the echo rates shrink towards: a departing step's value is rarely written (completions
# would have to make its very mistake), so silent errors can be seen in a run whose counts show
# no other error.
_ECHO_PRIOR = {"echo_on": 0.5, "echo_on_wrong": 0.5, "echo_off": 0.1}


@dataclass
class Posterior:
    """What the evidence says about one solution."""

    first_error_probs: list[float]  # P(first error = j) for j < n, then P(no error) last
    step_correct: list[float]  # P(prefix through step i is correct)
    first_error: int  # the most probable first error, -1 for none
    confidence: float  # its posterior probability
    # P(completions from prefix i fail like a wrong prefix's: B1 or B). Not 1 - step_correct:
    # a recovered solution is not correct, yet its completions succeed; sampling can only tell
    # this apart, so adaptive rounds rank prefixes by it.
    step_bad: list[float] = field(default_factory=list)
    # P(step i departs from what the prefix before it leads to): its echo settles this, and more
    # completions from that prefix sharpen it. Index 0: from the question.
    step_departs: list[float] = field(default_factory=list)

    @property
    def num_steps(self) -> int:
        return len(self.step_correct)

    def label_confidence(self, i: int) -> float:
        """Posterior probability that step i's hard label (derived from ``first_error``) is right."""
        if self.first_error == -1 or i < self.first_error:
            return self.step_correct[i]
        return 1.0 - self.step_correct[i]


def _bins(num_steps: int) -> np.ndarray:
    remaining = num_steps - 1 - np.arange(num_steps - 1)
    return np.minimum(remaining, MAX_BIN) - 1


def _log_bb(c: np.ndarray, n: np.ndarray, mu: np.ndarray, rho: float) -> np.ndarray:
    """log Beta-Binomial pmf without the binomial coefficient (it cancels between states)."""
    rho = min(max(rho, 1e-4), 0.95)
    mu = np.clip(mu, 1e-4, 1 - 1e-4)
    s = (1.0 - rho) / rho
    a, b = mu * s, (1.0 - mu) * s
    lg = np.vectorize(math.lgamma, otypes=[float])
    return lg(a + c) + lg(b + n - c) - lg(a + b + n) - (lg(a) + lg(b) - lg(a + b))


def _log_emissions(group: Sequence[Observed], p: Params) -> np.ndarray:
    """[R, n, S] log P(evidence at prefix i | state) for solutions of one length n."""
    n = group[0].num_steps
    out = np.zeros((len(group), n, S))
    if n > 1:
        c = np.array([o.correct for o in group], float)
        t = np.array([o.total for o in group], float)
        bins = _bins(n)[None, :]
        sampled = t > 0
        shifts = p.shifts()
        shift = np.array([[shifts.get(o.group, 0.0)] for o in group]) if shifts else 0.0
        good = np.where(sampled, _log_bb(c, t, _shifted(np.asarray(p.mu_good)[bins], shift), p.rho_good), 0.0)
        bad = np.where(sampled, _log_bb(c, t, np.asarray(p.mu_bad)[bins], p.rho_bad), 0.0)
        out[:, :-1, G] = out[:, :-1, R] = good
        out[:, :-1, B] = out[:, :-1, B1] = bad
        for kind, x, trials in _alike(group):
            known = trials > 0
            good_rates, rho_good, bad_rates, rho_bad = _alike_params(p, kind)
            alike = np.where(known, _log_bb(x, trials, np.asarray(good_rates)[bins], rho_good), 0.0)
            differ = np.where(known, _log_bb(x, trials, np.asarray(bad_rates)[bins], rho_bad), 0.0)
            out[:, :-1, G] += alike
            out[:, :-1, R] += alike
            out[:, :-1, B] += differ
            out[:, :-1, B1] += differ
    ok_good, right_bad = 1 - p.final_wrong_if_good, p.final_right_if_bad
    for j, o in enumerate(group):
        if o.final_correct is not None:
            out[j, -1, G] = out[j, -1, R] = math.log(ok_good if o.final_correct else 1 - ok_good)
            out[j, -1, B] = out[j, -1, B1] = math.log(right_bad if o.final_correct else 1 - right_bad)
    return out


def _alike(group: Sequence[Observed]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """How the failures of each prefix [R, n-1] repeat one wrong answer: repeats m - 1 of its
    most common wrong answer of f - 1 chances (``agree``), or, where the solution's own wrong
    answer joins the failures (``anchor``), m' - 1 of f. Chances 0 where a kind does not apply
    or says nothing. Kinds no solution of the group knows are left out."""
    n = group[0].num_steps - 1
    fails = np.array([o.total for o in group], float) - np.array([o.correct for o in group], float)
    out = []
    anchored = np.array([o.anchor if o.anchor else (0,) * n for o in group], float)
    if anchored.any():
        chances = np.where(anchored >= 1, fails, 0.0)
        out.append(("anchor", np.where(chances > 0, anchored - 1, 0.0), chances))
    known = np.array([[bool(o.agree)] * n for o in group]) & (anchored < 1)
    if known.any():
        agree = np.array([o.agree if o.agree else (0,) * n for o in group], float)
        chances = np.where(known & (fails >= 2) & (agree >= 1), fails - 1, 0.0)
        out.append(("agree", np.where(chances > 0, agree - 1, 0.0), chances))
    return out


def _alike_params(p: Params, kind: str) -> tuple[tuple[float, ...], float, tuple[float, ...], float]:
    if kind == "anchor":
        return p.anchor_good, p.rho_anchor_good, p.anchor_bad, p.rho_anchor_bad
    return p.agree_good, p.rho_agree_good, p.agree_bad, p.rho_agree_bad


def _shifted(mu: np.ndarray, shift) -> np.ndarray:
    """Rates moved by ``shift`` on the log-odds scale."""
    mu = np.clip(mu, 1e-4, 1 - 1e-4)
    return 1.0 / (1.0 + np.exp(-(np.log(mu / (1.0 - mu)) + shift)))


def _transitions(p: Params, hazards: np.ndarray) -> np.ndarray:
    """[R, S, S]: one transition matrix per solution, each with its problem's hazard."""
    q1, q, s = p.recover_first, p.recover, p.silent
    out = np.zeros((len(hazards), S, S))
    out[:, G, G], out[:, G, B1], out[:, G, R] = 1 - hazards - s, hazards, s
    out[:, B1, B], out[:, B1, R] = 1 - q1, q1
    out[:, B, B], out[:, B, R] = 1 - q, q
    out[:, R, B1], out[:, R, R] = hazards, 1 - hazards
    return out


_MAX_HAZARD = 0.9  # leaves room for the silent rate in a row of G's moves


def _hazards(group: Sequence[Observed], p: Params) -> np.ndarray:
    """[R]: each solution's chance per step of a first wrong step, its problem's shift applied."""
    shifts = p.hazard_shifts()
    shift = np.array([shifts.get(o.group, 0.0) for o in group]) if shifts else np.zeros(len(group))
    return np.minimum(_shifted(np.full(len(group), p.hazard), shift), _MAX_HAZARD)


# Moves along which step i carries on from the prefix before it: from a correct one (a correct
# step, a recovered solution going on: ``Params.echo_on``) or from a wrong one that stays wrong
# (``echo_on_wrong``). Every other move departs from what the prefix leads to (``echo_off``).
# From the question (before step 0) the state is ``G``.
_ON = np.array([[1, 0, 0, 0],
                [0, 0, 0, 0],
                [0, 0, 0, 0],
                [0, 0, 0, 1]], float)
_ON_WRONG = np.array([[0, 0, 0, 0],
                      [0, 0, 1, 0],
                      [0, 0, 1, 0],
                      [0, 0, 0, 0]], float)
_OFF = 1.0 - _ON - _ON_WRONG
_START_ON = np.array([1.0, 0.0, 0.0, 0.0])


# The fitted echo tells a departing step from one that carries on (carrying on this much more
# often): then sampling can see silent errors, from the prefix before them.
_ECHO_SEPARATES = 0.3


def visible(p: Params) -> Params:
    """The model of what sampling can still resolve: silent errors only where the echo can show
    them (the fitted echo rates apart, and a step between the first and the last), none
    otherwise. Adaptive rounds settle on it; stored confidences use the full model."""
    seen = max(p.echo_on) - max(p.echo_off) >= _ECHO_SEPARATES
    return replace(p, silent_where="echo" if seen else "none")


def _times(rows: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """``rows[r] @ matrices[r]`` for every solution r, summed state by state in a fixed order:
    BLAS may split a product across threads (a Dask worker runs it with one), which changes the
    last bits, and a label's stored confidence must not depend on where it ran."""
    out = rows[:, 0:1] * matrices[:, 0]
    for k in range(1, matrices.shape[1]):
        out = out + rows[:, k : k + 1] * matrices[:, k]
    return out


def _echo_likelihoods(group: Sequence[Observed], p: Params) -> tuple[np.ndarray, ...] | None:
    """(on, on_wrong, off) [R, n]: each step's echo under a move that carries on from a correct
    prefix, from a wrong one, and one that departs, scaled per step (1 where unknown); None
    where no solution of the group has any."""
    n = group[0].num_steps
    if n < 2 or not any(o.echo_trials and any(o.echo_trials) for o in group):
        return None
    x = np.zeros((len(group), n))
    trials = np.zeros((len(group), n))
    for j, o in enumerate(group):
        if o.echo_trials:
            x[j, :-1], trials[j, :-1] = o.echo, o.echo_trials
    bins = np.append(_bins(n), 0)[None, :]
    known = trials > 0
    logs = [np.where(known, _log_bb(x, trials, np.asarray(rates)[bins], rho), 0.0)
            for rates, rho in ((p.echo_on, p.rho_echo_on), (p.echo_on_wrong, p.rho_echo_on_wrong),
                               (p.echo_off, p.rho_echo_off))]
    top = np.maximum.reduce(logs)
    return tuple(np.exp(x - top) for x in logs)


def _step_moves(group: Sequence[Observed], p: Params) -> tuple[np.ndarray, np.ndarray]:
    """(start [R, S], moves [R, n, S, S]): the chance of each state at step 0 and of each move
    into step i (``moves[:, 0]`` unused), each weighted by how step i's echo fits the move."""
    n = group[0].num_steps
    hidden = replace(p, silent=0.0)
    h = _hazards(group, p)
    A = np.repeat(_transitions(hidden if p.silent_where == "none" else p, h)[:, None], n, axis=1)
    first = p if p.silent_where == "all" else hidden
    if p.silent_where == "echo":
        A[:, -1] = _transitions(hidden, h)
    start = np.stack([1 - h - first.silent, h, np.zeros_like(h), np.full_like(h, first.silent)], axis=1)
    echo = _echo_likelihoods(group, p)
    if echo is None:
        return start, A
    on, on_wrong, off = (x[:, :, None, None] for x in echo)
    starts = start * (_START_ON * on[:, 0, 0] + (1 - _START_ON) * off[:, 0, 0])
    moves = A * (_ON * on + _ON_WRONG * on_wrong + _OFF * off)
    return starts, moves


def _forward_backward(group: Sequence[Observed], p: Params):
    """(gamma [R, n, S], xi [R, n-1, S, S]): posterior state and transition marginals of
    solutions of one length, all at once."""
    e = _log_emissions(group, p)
    e = np.exp(e - e.max(axis=2, keepdims=True))  # per-position scale cancels in the marginals
    start, moves = _step_moves(group, p)
    r, n, _ = e.shape
    alpha = np.zeros((r, n, S))
    alpha[:, 0] = start * e[:, 0]
    alpha[:, 0] /= alpha[:, 0].sum(axis=1, keepdims=True) + _TINY
    for i in range(1, n):
        alpha[:, i] = _times(alpha[:, i - 1], moves[:, i]) * e[:, i]
        alpha[:, i] /= alpha[:, i].sum(axis=1, keepdims=True) + _TINY
    beta = np.ones((r, n, S))
    for i in range(n - 2, -1, -1):
        beta[:, i] = _times(e[:, i + 1] * beta[:, i + 1], np.swapaxes(moves[:, i + 1], 1, 2))
        beta[:, i] /= beta[:, i].sum(axis=1, keepdims=True) + _TINY
    gamma = alpha * beta
    gamma /= gamma.sum(axis=2, keepdims=True) + _TINY
    xi = alpha[:, :-1, :, None] * moves[:, 1:] * (e[:, 1:] * beta[:, 1:])[:, :, None, :]
    xi /= xi.sum(axis=(2, 3), keepdims=True) + _TINY
    return gamma, xi


def _by_length(pool: Sequence[Observed]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for j, o in enumerate(pool):
        groups.setdefault(o.num_steps, []).append(j)
    return groups


def posteriors(pool: Sequence[Observed], params: Params = PRIOR) -> list[Posterior]:
    """P(first error = j) for every step j and for "none", and the most probable one, for
    each solution."""
    out: list[Posterior | None] = [None] * len(pool)
    for n, idx in _by_length(pool).items():
        gamma, xi = _forward_backward([pool[j] for j in idx], params)
        for row, j in enumerate(idx):
            probs = ([float(1 - gamma[row, 0, G])] + [float(x) for x in xi[row, :, G, B1] + xi[row, :, G, R]]
                     + [float(gamma[row, -1, G])])
            total = sum(probs) or 1.0
            probs = [x / total for x in probs]
            best = max(range(n + 1), key=lambda m: probs[m])
            departs = [float(1 - gamma[row, 0, G])] + [float((x * _OFF).sum()) for x in xi[row]]
            out[j] = Posterior(probs, [float(g) for g in gamma[row, :, G]], -1 if best == n else best, probs[best],
                               [float(b) for b in gamma[row, :, B] + gamma[row, :, B1]], departs)
    return out


def posterior(obs: Observed, params: Params = PRIOR) -> Posterior:
    return posteriors([obs], params)[0]


def fit(pool: Sequence[Observed], start: Params = PRIOR, iterations: int = 40, tol: float = 1e-4) -> Params:
    """EM over a pool of solutions: rates per steps-remaining bin, dispersion, hazard,
    recovery, and how far the final answer is to be trusted. Generic weak priors (``PRIOR``)
    keep a small pool from collapsing a component."""
    pool = [o for o in pool if o.num_steps >= 1]
    p = start
    if not pool:
        return p
    counted = int(sum(sum(o.total) for o in pool))
    sizes = Counter(o.group for o in pool)
    shared = frozenset(g for g, size in sizes.items() if g is not None and size >= 2)
    for it in range(1, iterations + 1):
        stats = _Stats(shared=shared)
        for idx in _by_length(pool).values():
            group = [pool[j] for j in idx]
            gamma, xi = _forward_backward(group, p)
            stats.add(group, gamma, xi)
        new = stats.m_step(p)
        new = replace(new, iterations=it, pooled=len(pool), counted=counted)
        moved = max(abs(a - b) for a, b in zip(_flat(new), _flat(p)))
        p = new
        if moved < tol:
            break
    return p


def _flat(p: Params) -> list[float]:
    return [*p.mu_good, *p.mu_bad, p.rho_good, p.rho_bad, p.hazard, p.silent, p.recover, p.recover_first,
            p.final_wrong_if_good, p.final_right_if_bad, *(d for _, d in p.offsets),
            *(d for _, d in p.hazard_offsets),
            *p.agree_good, *p.agree_bad, p.rho_agree_good, p.rho_agree_bad,
            *p.anchor_good, *p.anchor_bad, p.rho_anchor_good, p.rho_anchor_bad,
            *p.echo_on, *p.echo_on_wrong, *p.echo_off, p.rho_echo_on, p.rho_echo_on_wrong, p.rho_echo_off]


@dataclass
class _Stats:
    """Weighted sufficient statistics of one E-step."""

    c: list = field(default_factory=list)
    n: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    bins: list = field(default_factory=list)
    w_good: list = field(default_factory=list)
    w_bad: list = field(default_factory=list)
    alike: dict = field(default_factory=dict)  # kind -> [(hits, chances, bins, w_good, w_bad) per group]
    echo: list = field(default_factory=list)  # [(echo, trials, bins, w_on, w_on_wrong, w_off) per group]
    stays: float = 0.0
    recoveries: float = 0.0
    bad_time: float = 0.0
    first_recoveries: float = 0.0
    first_time: float = 0.0
    silents: float = 0.0
    final: list = field(default_factory=lambda: [0.0, 0.0])  # bad & right answer, bad
    at_risk: dict = field(default_factory=dict)  # group (None too) -> [exits, stays]
    # Problems with two solutions or more in the pool: only they get a hazard shift. A lone
    # solution's shift would be fitted to its own evidence and then weigh that evidence again:
    # a right answer set its problem's hazard low and then counted as proof of no error (one
    # solution per problem, as in ProcessBench: step labels stated 0.94 were right 0.89 of the
    # time; without the shift, within 0.02). Its tally joins the run's typical rate.
    shared: frozenset = frozenset()

    def add(self, group: Sequence[Observed], gamma: np.ndarray, xi: np.ndarray) -> None:
        """One length group's marginals: gamma [R, n, S], xi [R, n-1, S, S]."""
        n = group[0].num_steps
        if n > 1:
            t = np.array([o.total for o in group], float)
            keep = t > 0
            self.c.append(np.array([o.correct for o in group], float)[keep])
            self.n.append(t[keep])
            self.groups.append(np.broadcast_to(np.array([[o.group] for o in group], object), t.shape)[keep])
            self.bins.append(np.broadcast_to(_bins(n), t.shape)[keep])
            self.w_good.append((gamma[:, :-1, G] + gamma[:, :-1, R])[keep])
            self.w_bad.append((gamma[:, :-1, B] + gamma[:, :-1, B1])[keep])
            for kind, x, chances in _alike(group):
                m = chances > 0
                self.alike.setdefault(kind, []).append(
                    (x[m], chances[m], np.broadcast_to(_bins(n), t.shape)[m],
                     (gamma[:, :-1, G] + gamma[:, :-1, R])[m], (gamma[:, :-1, B] + gamma[:, :-1, B1])[m]))
            self._add_echo(group, gamma, xi)
        exits = gamma[:, 0, B1] + xi[:, :, G, B1].sum(axis=1)
        stays = 1.0 + gamma[:, :-1, G].sum(axis=1)
        for o, x, t in zip(group, exits, stays):
            tally = self.at_risk.setdefault(o.group if o.group in self.shared else None, [0.0, 0.0])
            tally[0] += float(x)
            tally[1] += float(t)
        self.silents += float(gamma[:, 0, R].sum() + xi[:, :, G, R].sum())
        self.stays += float(stays.sum())
        self.recoveries += float(xi[:, :, B, R].sum())
        self.bad_time += float(gamma[:, :-1, B].sum())
        self.first_recoveries += float(xi[:, :, B1, R].sum())
        self.first_time += float(gamma[:, :-1, B1].sum())
        for j, o in enumerate(group):
            if o.final_correct is not None:
                bad = gamma[j, -1, B] + gamma[j, -1, B1]
                self.final[1] += bad
                self.final[0] += bad if o.final_correct else 0.0

    def _add_echo(self, group: Sequence[Observed], gamma: np.ndarray, xi: np.ndarray) -> None:
        n = group[0].num_steps
        trials = np.array([o.echo_trials if o.echo_trials else (0,) * (n - 1) for o in group], float)
        if not trials.any():
            return
        x = np.array([o.echo if o.echo_trials else (0,) * (n - 1) for o in group], float)
        # The chance of each kind of move into step i (step 0: from the question, always correct).
        on = np.concatenate([gamma[:, 0, G:G + 1], (xi[:, : n - 2] * _ON).sum(axis=(2, 3))], axis=1)
        on_wrong = np.concatenate([np.zeros((len(group), 1)), (xi[:, : n - 2] * _ON_WRONG).sum(axis=(2, 3))], axis=1)
        m = trials > 0
        self.echo.append((x[m], trials[m], np.broadcast_to(_bins(n), trials.shape)[m], on[m], on_wrong[m],
                          np.clip(1.0 - on[m] - on_wrong[m], 0.0, 1.0)))

    def m_step(self, p: Params) -> Params:
        def rate(events, chances, prior):
            return float((events + _PRIOR_EVENTS * prior) / (chances + _PRIOR_EVENTS))

        out = replace(
            p,
            silent=rate(self.silents, self.stays, PRIOR.silent),
            recover=rate(self.recoveries, self.bad_time, PRIOR.recover),
            recover_first=rate(self.first_recoveries, self.first_time, PRIOR.recover_first),
            final_right_if_bad=rate(self.final[0], self.final[1], PRIOR.final_right_if_bad),
            **difficulty.fit_hazard(self.at_risk, p, PRIOR.hazard, _PRIOR_EVENTS),
        )
        if not self.c:
            return out
        c, n, bins = np.concatenate(self.c), np.concatenate(self.n), np.concatenate(self.bins)
        mu_g, rho_g = _rates(c, n, bins, np.concatenate(self.w_good), PRIOR.mu_good, PRIOR.rho_good)
        mu_b, rho_b = _rates(c, n, bins, np.concatenate(self.w_bad), PRIOR.mu_bad, PRIOR.rho_bad)
        counts = Counts(c, n, np.asarray(mu_g)[bins.astype(int)], np.concatenate(self.w_good),
                        np.concatenate(self.groups))
        out = replace(out, mu_good=mu_g, rho_good=rho_g, mu_bad=mu_b, rho_bad=rho_b,
                      offsets=difficulty.fit_offsets(counts, p))
        for kind, parts in self.alike.items():
            x, chances, bins_a, wg, wb = (np.concatenate(part) for part in zip(*parts))
            prior_g, prior_rg, prior_b, prior_rb = _alike_params(PRIOR, kind)
            a_g, r_g = _rates(x, chances, bins_a, wg, prior_g, prior_rg)
            a_b, r_b = _rates(x, chances, bins_a, wb, prior_b, prior_rb)
            out = replace(out, **{f"{kind}_good": a_g, f"rho_{kind}_good": r_g,
                                  f"{kind}_bad": a_b, f"rho_{kind}_bad": r_b})
        if self.echo:
            x, trials, bins_e, *weights = (np.concatenate(part) for part in zip(*self.echo))
            for kind, w in zip(("echo_on", "echo_on_wrong", "echo_off"), weights):
                rates, rho = _rates(x, trials, np.zeros_like(bins_e), w, (_ECHO_PRIOR[kind],) * MAX_BIN,
                                    getattr(PRIOR, f"rho_{kind}"))
                rates = (rates[0],) * MAX_BIN  # one rate for every bin (see ``Params.echo_on``)
                out = replace(out, **{kind: rates, f"rho_{kind}": rho})
        return out


_RHO_GRID = np.geomspace(1e-3, 0.5, 28)


def _rates(c, n, bins, w, prior_mu, prior_rho) -> tuple[tuple[float, ...], float]:
    """Per-bin mean success rate (shrunk towards the component's pooled rate, which is shrunk
    towards the prior) and the intra-prefix correlation by weighted maximum likelihood on a
    grid. Likelihood, not moments: sampling is adaptive (ambiguous prefixes get more
    completions), which biases moment estimates but not the likelihood."""
    pooled = (np.sum(w * c) + _PRIOR_N * float(np.mean(prior_mu))) / (np.sum(w * n) + _PRIOR_N)
    mu = []
    for b in range(MAX_BIN):
        m = bins == b
        prior = 0.5 * pooled + 0.5 * prior_mu[b]
        mu.append(float((np.sum(w[m] * c[m]) + _PRIOR_N * prior) / (np.sum(w[m] * n[m]) + _PRIOR_N)))
    # Distinct (c, n, bin) rows with summed weights: a few hundred, whatever the pool's size.
    keys, inverse = np.unique(np.stack([c, n, bins]), axis=1, return_inverse=True)
    weight = np.bincount(inverse.ravel(), weights=w, minlength=keys.shape[1])
    kc, kn, kb = keys
    mu_each = np.asarray(mu)[kb.astype(int)]
    many = kn > 1  # a single completion says nothing about spread
    if not np.any(many) or weight[many].sum() <= 0:
        return tuple(mu), prior_rho
    scores = [float(np.sum(weight[many] * _log_bb(kc[many], kn[many], mu_each[many], r))) for r in _RHO_GRID]
    scores = np.asarray(scores) - 0.5 * (np.log(_RHO_GRID / prior_rho) ** 2)  # weak log-normal prior
    return tuple(mu), float(_RHO_GRID[int(np.argmax(scores))])


def any_of_k(obs: Observed) -> int | None:
    """Math-Shepherd's rule: the first prefix none of whose completions reached the answer;
    the final answer judges the last step. None if a prefix before it was never sampled."""
    for i, (c, t) in enumerate(zip(obs.correct, obs.total)):
        if t == 0:
            return None
        if c == 0:
            return i
    if obs.final_correct is None:
        return None
    return -1 if obs.final_correct else obs.num_steps - 1
