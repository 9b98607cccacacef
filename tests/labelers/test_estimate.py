"""The noise-aware estimator: counts in, first error and confidence out.

Counts come from a small generative model written here (not the sandbox): correct prefixes
succeed at a rate that falls with the steps remaining and varies by prefix; wrong prefixes
recover by luck at a low rate. The estimator is never told these rates.
"""

import ast
import math
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from steplabel.labelers import difficulty, estimate
from steplabel.labelers.estimate import Observed, any_of_k, fit, posterior, posteriors


def simulate(n_solutions=300, k=32, luck=0.08, seed=0):
    rng = random.Random(seed)
    pool, truth = [], []
    for _ in range(n_solutions):
        n = rng.randint(3, 10)
        t = rng.choice([-1, -1] + list(range(n)))
        correct, total = [], []
        for i in range(n - 1):
            remaining = n - 1 - i
            if t == -1 or i < t:
                p = min(0.97, max(0.2, rng.betavariate(8, 2) * 0.93 ** remaining))
            else:
                p = luck
            correct.append(sum(rng.random() < p for _ in range(k)))
            total.append(k)
        final = t == -1 or (rng.random() < 0.03)  # now and then a wrong step ends right
        pool.append(Observed(tuple(correct), tuple(total), final))
        truth.append(t)
    return pool, truth


def accuracy(pred, truth):
    return sum(p == t for p, t in zip(pred, truth)) / len(truth)


def test_noise_aware_beats_any_of_k_where_luck_fools_it():
    pool, truth = simulate(k=32)
    params = fit(pool)
    noise = accuracy([p.first_error for p in posteriors(pool, params)], truth)
    anyk = accuracy([any_of_k(o) for o in pool], truth)
    # With 32 samples a wrong prefix passes "any of k" with probability 1 - 0.92^32 = 93%.
    assert anyk < 0.6
    assert noise > 0.9, (noise, anyk)


def test_more_samples_do_not_make_it_worse():
    scores = []
    for k in (4, 8, 16, 32):
        pool, truth = simulate(k=k, seed=1)
        scores.append(accuracy([p.first_error for p in posteriors(pool, fit(pool))], truth))
    assert scores == sorted(scores) or min(scores[1:]) >= scores[0] - 0.01
    assert scores[-1] >= scores[0]


def test_recovery_rate_is_estimated_from_the_counts_and_does_not_collapse():
    for luck in (0.03, 0.1):
        pool, _ = simulate(luck=luck, seed=2)
        params = fit(pool)
        fitted = sum(params.mu_bad[:4]) / 4
        assert luck / 2 < fitted < luck * 2, (luck, params.mu_bad)
        assert min(params.mu_good[:3]) > 0.5


def test_a_lucky_success_does_not_make_a_wrong_prefix_correct():
    pool, _ = simulate(seed=3)
    params = fit(pool)
    lucky = Observed((25, 22, 2, 3, 0, 1), (32,) * 6, False)
    post = posterior(lucky, params)
    assert any_of_k(lucky) == 4
    assert post.first_error == 2 and post.confidence > 0.9
    assert post.step_correct[1] > 0.9 and post.step_correct[2] < 0.1


def test_posterior_is_a_distribution_and_confidence_matches_it():
    pool, _ = simulate(seed=4, n_solutions=50)
    params = fit(pool)
    for obs in pool:
        post = posterior(obs, params)
        assert sum(post.first_error_probs) == pytest.approx(1.0)
        assert len(post.first_error_probs) == obs.num_steps + 1
        best = post.first_error if post.first_error >= 0 else obs.num_steps
        assert post.confidence == pytest.approx(post.first_error_probs[best])
        assert all(0.0 <= post.label_confidence(i) <= 1.0 for i in range(obs.num_steps))


def test_final_answer_decides_when_counts_are_silent():
    # One step: nothing to sample, only the final answer.
    assert posterior(Observed((), (), True)).first_error == -1
    assert posterior(Observed((), (), False)).first_error == 0
    # Every prefix succeeds often but the answer is wrong: the last step is the error.
    assert posterior(Observed((30, 28, 29), (32,) * 3, False)).first_error == 3


def test_unsampled_prefixes_carry_no_evidence():
    post = posterior(Observed((20, 0, 0), (32, 0, 0), False))
    assert 0.0 < post.step_correct[1] < 1.0 and post.first_error_probs[0] < 0.05


def test_small_pools_stay_sane():
    params = fit([Observed((3, 0, 0), (4, 4, 4), False)])
    assert 0 < params.mu_bad[0] < 0.3 and params.mu_good[0] > 0.5


def test_the_estimator_sees_counts_only():
    """No world or engine parameter can reach it: it imports nothing of ours but numpy-level
    code, and its inputs are counts, totals, final answers, which problem a solution belongs
    to (an opaque name) and how many completions repeat one wrong answer (a count)."""
    for module, ours in ((estimate, {"steplabel.labelers", "steplabel.labelers.difficulty"}), (difficulty, set())):
        source = Path(module.__file__).read_text()
        imported = [n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m and m.startswith("steplabel") and m not in ours], imported
    assert set(Observed.__dataclass_fields__) == {"correct", "total", "final_correct", "group", "agree", "anchor",
                                                "echo", "echo_trials"}


def simulate_recoveries(n_solutions=400, k=16, luck=0.08, recover=0.3, seed=5):
    """Like ``simulate``, but a wrong solution's own text recovers right after its first error
    with chance ``recover`` (its later prefixes succeed like correct ones, its answer is right)."""
    rng = random.Random(seed)
    pool, truth, recovered = [], [], []
    for _ in range(n_solutions):
        n = rng.randint(4, 10)
        t = rng.choice([-1, -1] + list(range(n - 1)))
        back = t != -1 and rng.random() < recover
        correct = []
        for i in range(n - 1):
            good = t == -1 or i < t or (back and i > t)
            p = min(0.97, max(0.3, rng.betavariate(8, 2) * 0.95 ** (n - 1 - i))) if good else luck
            correct.append(sum(rng.random() < p for _ in range(k)))
        pool.append(Observed(tuple(correct), (k,) * (n - 1), t == -1 or back))
        truth.append(t)
        recovered.append(back)
    return pool, truth, recovered


def test_a_lone_failing_prefix_before_a_recovery_is_the_first_error():
    """A policy that recovers does so at once: one failing prefix amid succeeding ones, and a
    right answer. A single recovery rate for every wrong prefix explains it as bad luck of a
    correct prefix; the first wrong prefix's own recovery rate finds it."""
    pool, truth, recovered = simulate_recoveries()
    params = fit(pool)
    assert 0.15 < params.recover_first < 0.5, params.recover_first
    posts = posteriors(pool, params)
    back = [j for j, r in enumerate(recovered) if r]
    assert len(back) > 30
    assert accuracy([posts[j].first_error for j in back], [truth[j] for j in back]) > 0.8
    # The recovered tail is not correct, but its completions succeed: sampling it more cannot
    # help, and step_bad (what adaptive rounds rank by) says so.
    j = back[0]
    tail = truth[j] + 1
    assert posts[j].step_correct[tail] < 0.2 and posts[j].step_bad[tail] < 0.05


def test_confidence_is_not_overconfident_on_the_model_world():
    """Mean stored confidence is not above the share of first errors found (k = 8, where many
    solutions stay ambiguous), and not far below it: this world has no silent errors, so the
    silent prior only costs a little confidence."""
    pool, truth = simulate(n_solutions=400, k=8, seed=6)
    posts = posteriors(pool, fit(pool))
    hit = accuracy([p.first_error for p in posts], truth)
    mean_conf = sum(p.confidence for p in posts) / len(posts)
    assert hit - 0.05 < mean_conf < hit + 0.01, (mean_conf, hit)
    sure = [(p.first_error == t) for p, t in zip(posts, truth) if p.confidence >= 0.99]
    assert sum(sure) / len(sure) >= 0.97


def test_silent_errors_cap_confidence_but_not_sampling():
    """A solution that looks right everywhere may still hold an error no completion can see:
    its confidence falls with its length under the full model, not under ``visible`` (which
    adaptive rounds use, so they do not sample what samples cannot settle)."""
    params = fit(simulate(seed=7)[0])
    short = Observed((30, 29), (32, 32), True)
    long = Observed((30,) * 9, (32,) * 9, True)
    full_short, full_long = posterior(short, params), posterior(long, params)
    assert full_short.first_error == full_long.first_error == -1
    assert full_long.confidence < full_short.confidence < 1.0
    assert full_long.step_correct[-1] < full_long.step_correct[0]
    assert posterior(long, estimate.visible(params)).confidence > 0.99 > full_long.confidence + 0.02


def test_the_fixed_order_product_equals_the_matrix_product_for_every_state_count():
    """The forward-backward pass sums each ``rows[r] @ matrices[r]`` by hand (BLAS thread
    counts change the last bits): it must stay the same product whatever the model's number of states."""
    import numpy as np

    from steplabel.labelers.estimate import _times

    rng = np.random.default_rng(0)
    for states in (2, 3, 4, 5):
        rows, matrices = rng.random((7, states)), rng.random((7, states, states))
        assert np.allclose(_times(rows, matrices), np.einsum("rs,rst->rt", rows, matrices))


def simulate_hard_problems(problems=80, per_problem=4, k=16, seed=7):
    """Solutions of problems of varied difficulty: a hard problem's correct prefixes succeed at
    a fraction of the typical rate (log-odds 2 lower), an easy one's more often; wrong prefixes
    recover at 5% everywhere."""
    rng = random.Random(seed)
    pool, truth, hard = [], [], []
    for q in range(problems):
        shift = -2.0 if q % 4 == 0 else rng.uniform(-0.3, 0.6)
        for _ in range(per_problem):
            n = rng.randint(4, 9)
            t = rng.choice([-1, -1, -1] + list(range(n)))
            correct, total = [], []
            for i in range(n - 1):
                remaining = n - 1 - i
                base = 0.9 * 0.95 ** remaining
                good = 1 / (1 + math.exp(-(math.log(base / (1 - base)) + shift)))
                p = 0.05 if 0 <= t <= i else good
                correct.append(sum(rng.random() < p for _ in range(k)))
                total.append(k)
            pool.append(Observed(tuple(correct), tuple(total), t == -1, f"q{q}"))
            truth.append(t)
            hard.append(shift < -1)
    return pool, truth, hard


def test_a_hard_problems_correct_prefixes_are_not_taken_for_errors():
    """Correct prefixes of a hard problem succeed rarely from every prefix: read against the
    run's typical rates they look wrong; fitted with the problem's own shift they do not."""
    pool, truth, hard = simulate_hard_problems()
    anonymous = [Observed(o.correct, o.total, o.final_correct) for o in pool]

    def right_on_hard(observed):
        post = posteriors(observed, fit(observed))
        return sum(p.first_error == t for p, t, h in zip(post, truth, hard) if h) / sum(hard)

    grouped, typical = right_on_hard(pool), right_on_hard(anonymous)
    assert grouped >= 0.9 and grouped >= typical + 0.1, (grouped, typical)
    params = fit(pool)
    shifts = params.shifts()
    assert all(shifts[f"q{q}"] < -1.0 for q in range(0, 80, 4))  # the hard ones are found hard


def simulate_failing_alike(n_solutions=400, k=8, seed=11):
    """Solutions whose correct prefixes succeed at rates from 0.2 to 0.9 (hard and easy
    prefixes mixed, so a rate alone often cannot place the error at k = 8) and whose wrong
    prefixes recover at 0.15. A correct prefix's failures scatter (each repeats another with
    chance 0.1); a wrong prefix's failures mostly reach its one wrong answer (chance 0.7)."""
    rng = random.Random(seed)
    pool, truth = [], []
    for _ in range(n_solutions):
        n = rng.randint(4, 9)
        t = rng.choice([-1, -1] + list(range(n)))
        correct, total, agree = [], [], []
        for i in range(n - 1):
            wrong = 0 <= t <= i
            p, alike = (0.15, 0.7) if wrong else (rng.uniform(0.2, 0.9), 0.1)
            c = sum(rng.random() < p for _ in range(k))
            same = sum(rng.random() < alike for _ in range(k - c))
            correct.append(c)
            total.append(k)
            agree.append(max(same, 1 if k - c - same else 0))
        pool.append(Observed(tuple(correct), tuple(total), t == -1, agree=tuple(agree)))
        truth.append(t)
    return pool, truth


def fitted_right(pool, truth):
    """Share of first errors right under a fit to the pool itself."""
    return accuracy([p.first_error for p in posteriors(pool, fit(pool))], truth)


def test_failures_that_agree_on_one_wrong_answer_mark_a_wrong_prefix():
    """Where rates overlap, how the failures spread tells a hard correct prefix (failures
    scatter) from a wrong one (they repeat its wrong answer); the fit learns both rates."""
    pool, truth = simulate_failing_alike()
    blind = [Observed(o.correct, o.total, o.final_correct) for o in pool]
    seeing, rates_only = fitted_right(pool, truth), fitted_right(blind, truth)
    assert seeing >= rates_only + 0.1, (seeing, rates_only)
    params = fit(pool)
    assert max(params.agree_good) < 0.25 < 0.5 < min(params.agree_bad), params


def test_answers_known_only_for_some_solutions_mix_in_one_fit():
    """A rerun's older rows carry no agreement: those solutions are fitted on their counts."""
    pool, truth = simulate_failing_alike(n_solutions=120, seed=12)
    mixed = [o if j % 2 else Observed(o.correct, o.total, o.final_correct) for j, o in enumerate(pool)]
    post = posteriors(mixed, fit(mixed))
    assert accuracy([p.first_error for p in post], truth) > 0.6


def simulate_own_answer(n_solutions=300, k=2, second_slip=0.0, seed=13):
    """Wrong solutions (wrong final answer) probed with few completions per prefix, rates
    overlapping (correct prefixes 0.2-0.9, wrong ones recover at 0.15). A wrong prefix's
    failures reach its wrong answer W with chance 0.6; the solution's own answer is W unless
    its text slipped again later (``second_slip``). A correct prefix's failures scatter, and
    reach the solution's answer only by repeating its later slip (0.03)."""
    rng = random.Random(seed)
    pool, truth = [], []
    for s in range(n_solutions):
        n = rng.randint(4, 9)
        t = rng.randrange(n)
        own = "W2" if rng.random() < second_slip else "W"
        correct, total, agree, anchor = [], [], [], []
        for i in range(n - 1):
            wrong = t <= i
            p = 0.15 if wrong else rng.uniform(0.2, 0.9)
            c = sum(rng.random() < p for _ in range(k))
            failures = Counter()
            for f in range(k - c):
                hit = rng.random() < (0.6 if wrong else 0.03)
                failures["W" if wrong and hit else own if hit else f"{s}.{i}.{f}"] += 1
            correct.append(c)
            total.append(k)
            agree.append(max(failures.values(), default=0))
            anchor.append(max((failures + Counter({own: 1})).values()))
        pool.append(Observed(tuple(correct), tuple(total), False, agree=tuple(agree), anchor=tuple(anchor)))
        truth.append(t)
    return pool, truth


def test_the_solutions_own_wrong_answer_places_the_error_from_the_first_failure():
    """With two completions per prefix, agreement among the completions alone says little (a
    repeat needs two failures); counting the solution's own wrong answer among them, one failure
    that lands where the solution did marks a wrong prefix."""
    pool, truth = simulate_own_answer()
    without = [replace(o, anchor=()) for o in pool]
    anchored, agree_only = fitted_right(pool, truth), fitted_right(without, truth)
    assert anchored >= agree_only + 0.1, (anchored, agree_only)
    params = fit(pool)
    assert max(params.anchor_good) < 0.1 < 0.3 < min(params.anchor_bad), params


def test_a_later_slip_in_the_solutions_own_text_does_not_hide_its_first_error():
    """The solution's answer differs from the one its wrong prefixes lead to where its text
    slipped again: those prefixes' failures still agree with each other, and counting the
    solution's answer in (the most common wrong answer's count, its answer included) keeps that.
    Counting only the completions that reach the solution's answer would call those prefixes
    correct (0.63 right here). Where every solution slips again, the anchor costs a little
    against the agreement alone (0.92 against 0.97). On the sandbox and the lucky server 44-47%
    of wrong solutions end elsewhere than their first wrong prefix's most common wrong answer."""
    pool, truth = simulate_own_answer(k=8, second_slip=1.0, seed=14)
    without = [replace(o, anchor=()) for o in pool]
    anchored, agree_only = fitted_right(pool, truth), fitted_right(without, truth)
    assert anchored >= 0.85 and anchored >= agree_only - 0.08, (anchored, agree_only)


def simulate_echoes(n_solutions=400, k=8, seed=21):
    """Solutions whose errors the counts show (a wrong answer), whose text recovers the right value
    at the next step, or whose wrong step leaves the right value behind (silent), and right ones.
    Each step's echo: of k completions from the prefix before it, how many write the value it
    states: most where it carries on from a correct prefix, fewer after a wrong one, almost none
    where it departs (the first wrong step, the step that recovers)."""
    rng = random.Random(seed)
    pool, truth, kinds = [], [], []
    for _ in range(n_solutions):
        n = rng.randint(4, 9)
        kind = rng.choice(["right", "shows", "shows", "recovers", "silent"])
        t = -1 if kind == "right" else rng.randrange(1, n - 1)
        state = []  # per step: "G" correct so far, "B1" first wrong, "B" wrong since, "R" right value again
        for i in range(n):
            if t == -1 or i < t:
                state.append("G")
            elif i == t:
                state.append("R" if kind == "silent" else "B1")
            else:
                state.append("R" if kind in ("recovers", "silent") else "B")
        correct, echo = [], []
        for i in range(n - 1):
            p = 0.12 if state[i] in ("B1", "B") else rng.uniform(0.3, 0.9)
            correct.append(sum(rng.random() < p for _ in range(k)))
            move = (state[i - 1] if i else "G", state[i])
            rate = 0.9 if move in (("G", "G"), ("R", "R")) else 0.7 if state[i] == "B" else 0.03
            echo.append(sum(rng.random() < rate for _ in range(k)) if i else 0)
        pool.append(Observed(tuple(correct), (k,) * (n - 1), kind != "shows",
                             echo=tuple(echo), echo_trials=(0,) + (k,) * (n - 2)))
        truth.append(t)
        kinds.append(kind)
    return pool, truth, kinds


def test_the_value_a_step_states_against_what_completions_write_next_finds_hidden_errors():
    """Where a solution's text recovers right after its wrong step, or the wrong step leaves the
    right value behind, every count but one (or none) looks right, and a right final answer says
    nothing: counts alone find few of these first errors. Whether the completions from the prefix
    before a step write the value it states (its echo) shows where the solution departed from
    what that prefix leads to (measured: 0.93 of these first errors found, none from the counts
    alone)."""
    pool, truth, kinds = simulate_echoes()
    hidden = [j for j, kind in enumerate(kinds) if kind in ("recovers", "silent")]
    right = [j for j, kind in enumerate(kinds) if kind == "right"]

    def found(observed):
        posts = posteriors(observed, fit(observed))
        return ([posts[j].first_error == truth[j] for j in hidden], [posts[j].first_error == -1 for j in right])

    with_echo, kept = found(pool)
    counts_only, _ = found([replace(o, echo=(), echo_trials=()) for o in pool])
    assert sum(counts_only) / len(hidden) < 0.6, sum(counts_only) / len(hidden)
    assert sum(with_echo) / len(hidden) >= 0.9, sum(with_echo) / len(hidden)
    assert sum(kept) / len(right) >= 0.97
    params = fit(pool)
    assert min(params.echo_on) > 0.75 > max(params.echo_off) and max(params.echo_off) < 0.15, params


def test_echo_that_says_nothing_costs_nothing():
    """Where completions' first steps never state a given step's value whatever the step (a
    policy that words its steps otherwise), the fitted echo rates agree, the silent rate stays
    at its prior, and the labels are those of the counts alone (measured: 0 of 400 first errors
    move). Fits that started the rates apart made 36 to 63 of them move, by silent errors."""
    pool, truth, _ = simulate_echoes(seed=22)
    mute = [replace(o, echo=(0,) * len(o.echo)) for o in pool]
    bare = [replace(o, echo=(), echo_trials=()) for o in pool]
    params = fit(mute)
    assert abs(params.echo_on[3] - params.echo_off[3]) < 0.02 and params.silent < 0.01, params
    muted, counts_only = posteriors(mute, params), posteriors(bare, fit(bare))
    assert sum(a.first_error != b.first_error for a, b in zip(muted, counts_only)) <= 0.02 * len(pool)


def _easy_and_hard(grouped: bool, rng: random.Random) -> list[Observed]:
    """40 hard problems (three of four solutions go wrong at step 1, probed) and 40 easy ones
    (four right answers, nothing probed)."""
    pool = []
    for k in range(40):
        group = f"hard{k}" if grouped else None
        for _ in range(3):
            pool.append(Observed((sum(rng.random() < 0.6 for _ in range(8)), 0, 0, 0, 0), (8, 8, 0, 0, 0), False, group))
        pool.append(Observed((0,) * 5, (0,) * 5, True, group))
    for k in range(40):
        pool += [Observed((0,) * 5, (0,) * 5, True, f"easy{k}" if grouped else None) for _ in range(4)]
    return pool


def test_each_problem_has_its_own_hazard():
    """An easy problem's right answers that nothing probed are not doubted at the rate the
    hard problems' errors set: with the problems known, they are surer of having no error than
    the hard problem's right answer is, and surer than with one hazard for the run."""
    sure = {}
    for grouped in (False, True):
        pool = _easy_and_hard(grouped, random.Random(0))
        params = fit(pool)
        post = posteriors(pool, params)
        sure[grouped] = ([q.first_error_probs[-1] for q in post[160:]],
                         [q.first_error_probs[-1] for o, q in zip(pool[:160], post) if o.final_correct])
    easy, hard = (sum(x) / len(x) for x in sure[True])
    assert easy > sure[False][0][0] + 0.04 and easy > hard + 0.05
    shifts = params.hazard_shifts()
    assert all(shifts[f"easy{k}"] < 0 < shifts[f"hard{k}"] for k in range(40))


def test_without_problems_the_hazard_is_the_plain_rate():
    params = difficulty.fit_hazard({None: [30.0, 200.0]}, estimate.PRIOR, 0.1, 20.0)
    assert params == {"hazard": (30.0 + 2.0) / 220.0, "hazard_offsets": ()}


def test_the_fit_says_how_many_completions_it_counted():
    """``counted`` tells a fit measured on completions from one that rests on the prior: final
    answers alone leave it at 0 (labelers abstain on such a fit), counts add up."""
    answers_only = [Observed((0, 0, 0), (0, 0, 0), ok) for ok in (True, False, True, False)]
    assert estimate.PRIOR.counted == 0 and fit(answers_only).counted == 0
    pool, _ = simulate(n_solutions=40, k=8)
    assert fit(pool).counted == sum(sum(o.total) for o in pool) > 0


def test_a_lone_solution_gives_its_problem_no_hazard_shift():
    """One solution per problem (ProcessBench's shape): a shift fitted to a lone solution's own
    evidence would weigh that evidence twice (a right answer sets its problem's hazard low, then
    counts again as proof of no error). Its tally joins the run's typical rate; problems with
    two solutions or more keep their shifts."""
    pool = _easy_and_hard(True, random.Random(0))
    lone = [replace(o, group=f"p{j}") for j, o in enumerate(pool)]
    params = fit(lone)
    assert params.hazard_offsets == () and params.hazard_shifts() == {}
    assert abs(params.hazard - fit([replace(o, group=None) for o in pool]).hazard) < 0.02
    pairs = [replace(o, group=f"p{j // 2}") for j, o in enumerate(pool)]
    assert len(fit(pairs).hazard_offsets) == len(pool) // 2
