"""OmegaPRM (Luo et al. 2024): binary-search Monte Carlo tree search for the first wrong step.

Per question:
1. Screening: ``screen`` solutions from the question (the given rollouts count among them).
   MC(root) is their success rate. If all or none are correct the question is set aside
   (``keep_extremes`` searches it anyway). Screening solutions are the root's MC samples and
   the first pool entries; none is thrown away.
2. The pool holds (state, wrong solution) pairs from states with 0 < MC < 1. Selection takes
   argmax Q + U with Q = α^(1−MC(s)) · β^(len(r)/L) (len in tokens of r beyond s) and
   U = c_puct · √(Σ N) / (1 + N(s)); the pair leaves the pool and N(s) grows by one.
   With ``prioritize_targets`` the given rollouts are picked first (by the same score), so each
   gets its first error; the remaining budget grows the tree as in the paper, unless
   ``search_scope = "targets"`` stops there (a labeler of given rollouts only: it screens
   nothing and sets no question aside).
3. Binary search over the solution's steps after s: estimate MC at the midpoint prefix with k
   completions; MC > 0 puts the first error to the right, MC = 0 to the left; stop when one
   step is left. The last step is judged by the final answer, never by rollouts. States with a
   known MC are reused, not estimated again. Every completion becomes a solution in the tree,
   and its wrong ones join the pool when their state has 0 < MC < 1.
4. Limits: ``max_searches`` selections and a ``rollout_budget`` that is checked before every
   estimate, so it is never exceeded, even in the middle of a binary search.

Noise-aware (``estimator = "noise_aware"``, the default): a wrong prefix still succeeds now
and then, so MC > 0 is evidence, not proof. Each probe of the binary search draws
``round_size`` completions at a time until the estimator (``estimate.py``, fitted to the
counts of every problem labeled together) settles that prefix at ``confidence`` (or ``k``
is reached); the next probe is the median of the posterior over the first error, so a probe
that contradicts an earlier one is weighed, not obeyed. A right final answer is one more
observation, and every touched solution's labels (tree solutions included) come from its
posterior with their confidence. Solutions join the pool from states that are probably
correct. States are keyed by their normalised steps, so a completion that starts with a
blank line reuses the state it continues. A wrong solution's own answer joins its prefixes'
failures (``estimate.Observed.anchor``), so a probe of two completions often settles. Before
labels are written, a state on which several solutions' first errors hinge is drawn to ``k``
(``_shore_up``): a tree inherits one state's reading in every solution sampled through it.
Searches decide on the batch's fit at its checkpoint; once the batch's final fit is known, a
given rollout that fit leaves unsure is searched again (``_resettle``).

With ``estimator = "any"``, labels (hard = MC > 0) go to every solution touched. A prefix is correct if it is known to
have MC > 0 or a longer prefix of the same solution does (a completion that reaches the answer
from the longer prefix also does from the shorter one); a correct solution witnesses every
prefix of itself. Where the search did not reach, labels stay unknown.

``score``: the prefix's MC value (the share of its completions that reach the reference
answer, Math-Shepherd's soft label), read as the probability that the step is correct; 1.0 or
0.0 for the last step, judged by the final answer. Null where the prefix was never estimated,
after the first error, and where the step is known correct by inference while its own samples
all missed (its MC estimate of 0.0 would contradict what is known).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from steplabel.config import OmegaSection
from steplabel.engines.base import Engine
from steplabel.labelers.base import LabelOutput, LabelTask
from steplabel.labelers.context import observed_from_rows
from steplabel.labelers.estimate import Observed, Params, Posterior, posterior, posteriors, visible
from steplabel.labelers.adaptive import NO_ANSWER, alike_with_own, echo_of, most_alike, wrong_answer
from steplabel.labelers.mc import TOP_P, sample_from_prefix
from steplabel.labelers.pooling import PooledFit
from steplabel.labelers.token_prefix import TokenPrefixes
from steplabel.problems.answers import answer_key
from steplabel.problems.prompts import continuation_prompt
from steplabel.problems.steps import DEFAULT_SEPARATOR, split_steps
from steplabel.schemas import AFTER_ERROR, UNSOLVED, Rollout, Step, StepLabel, new_id


@dataclass
class State:
    index: int
    parent: int | None
    prefix: str  # solution text up to the end of the state's last step ("" for the root)
    depth: int  # steps in the prefix
    owner: int | None  # the solution whose text holds the prefix
    kind: str = "search"
    correct: int = 0
    total: int = 0
    n: int = 0
    spent: int = 0
    requests: int = 0
    drawn: int = 0  # completions that came back, with or without a final answer
    prompt_tokens: int = 0
    generated_tokens: int = 0
    prefix_ids: tuple[int, ...] | None = None  # the prefix's token ids, where known (token_prefix.py)
    wrong: Counter = field(default_factory=Counter)  # wrong answers (``answer_key``), counted
    next: Counter = field(default_factory=Counter)  # values its completions' first steps state (``stated_value``)

    @property
    def agree(self) -> int:
        return most_alike(self.wrong)

    @property
    def mc(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass
class Solution:
    index: int
    rollout_id: str
    text: str
    steps: list[str]
    ends: list[int]
    state: int  # the state it was sampled from
    correct: bool
    num_tokens: int  # tokens beyond its state
    task: LabelTask | None = None  # set for the given rollouts
    first_error: int | None = None  # found by a binary search
    record: Rollout | None = None
    token_ids: tuple[int, ...] | None = None  # its token ids after the prompt, where known
    token_at: dict[int, int] | None = None  # character offset -> tokens, at token boundaries
    unanswered: str | None = None  # a probe of it brought back no final answer: the model's doing
    answer: str | None = None  # its own final answer (``answer_key``) where wrong (``Observed.anchor``)


@dataclass
class Tree:
    states: list[State] = field(default_factory=list)
    by_prefix: dict[str, int] = field(default_factory=dict)
    solutions: list[Solution] = field(default_factory=list)
    pool: list[tuple[int, int]] = field(default_factory=list)  # (state, solution)
    spent: int = 0
    searches: int = 0
    reused: int = 0
    failures: int = 0
    error: str | None = None  # the first engine error: the tree is incomplete, redo it on a rerun
    budget_hit: bool = False
    unsolved: str | None = None  # nothing ever reached the answer: why no step can be placed
    problem: str | None = None  # its problem: the pooled fit's group (``Observed.group``)

    def failed(self, error: str | None) -> None:
        self.failures += 1
        self.error = self.error or f"engine error: {error or 'no completions came back'}"

    def add_state(self, parent: int | None, prefix: str, depth: int, owner: int | None, kind: str,
                  key: str | None = None) -> State:
        state = State(len(self.states), parent, prefix, depth, owner, kind)
        self.states.append(state)
        self.by_prefix[prefix if key is None else key] = state.index
        return state

    def state_at(self, solution: Solution, step: int) -> State | None:
        idx = self.by_prefix.get(step_key(solution.steps[: step + 1]))
        return self.states[idx] if idx is not None else None


def step_key(steps: Sequence[str]) -> str:
    """A prefix's identity: its steps, whitespace-normalised. Raw text would give the same
    steps a new key when a completion starts with a blank line."""
    return "\x1f".join(" ".join(s.split()) for s in steps)


def selection_score(mc: float, length: int, n: int, total_n: int, cfg: OmegaSection) -> float:
    """Q(s, r) + U(s) of the paper."""
    q = cfg.alpha ** (1.0 - mc) * cfg.beta ** (length / cfg.length_scale)
    u = cfg.c_puct * math.sqrt(total_n) / (1 + n)
    return q + u


class OmegaPRMLabeler:
    name = "omegaprm"

    def __init__(self, engine: Engine, config: OmegaSection | None = None, seed: int = 0,
                 step_separator: str = DEFAULT_SEPARATOR) -> None:
        self.engine = engine
        self.config = config or OmegaSection()
        self.seed = seed
        self.step_separator = step_separator
        self.pooled = PooledFit()
        self.tokens = TokenPrefixes(engine)

    @classmethod
    def from_config(cls, section: OmegaSection, config, engine: Engine) -> "OmegaPRMLabeler":
        return cls(engine, section, seed=config.run.seed, step_separator=config.problems.step_separator)

    def use_context(self, tasks: Sequence[LabelTask], rows: Sequence[StepLabel]) -> None:
        """A rerun's problems that keep their labels join the pooled fit with their stored counts."""
        self.pooled.context = observed_from_rows(tasks, rows)

    def _search_params(self) -> Params:
        """What a search decides on: the batch's checkpoint fit (``PooledFit``), in its view of
        what completions can resolve."""
        return visible(self.pooled.search_params)

    @property
    def noise_aware(self) -> bool:
        return self.config.estimator != "any"

    # ------------------------------------------------------------------ the search

    async def label_problem(self, tasks: Sequence[LabelTask]) -> LabelOutput:
        if not self.noise_aware:
            return await self._label_problem(tasks)
        ticket = self.pooled.enter()
        passed = False

        async def checkpoint(tree: Tree) -> None:
            nonlocal passed
            passed = True
            await self.pooled.checkpoint(ticket, self._fit_evidence(tree))

        try:
            tree, first, counters = await self._search(tasks, checkpoint)
        except BaseException:
            self.pooled.abandon(ticket, passed)
            raise
        params = await self.pooled.leave(ticket, self._fit_evidence(tree), passed)
        await self._resettle(tree, first, counters, params)
        return self._output(tree, first, counters, params)

    async def _resettle(self, tree: Tree, first: LabelTask, counters: dict, params: Params) -> None:
        """Search again, on the batch's fit that labels come from, the given rollouts whose
        first error that fit leaves less sure than ``confidence``. Searches decided on the fit
        at the checkpoint, before the batch's other probes were counted, and the two can
        disagree: a right answer settled at 0.84 there was labeled at 0.70. Within the budget;
        the new counts join the labels' evidence, not the batch's fit (it is done). On the
        benchmark this moved most labels stated below 0.8 up (seeds 1, 2, 4: 942 to 116 of
        about 26,000) and the share right in the 0.8 to 0.9 bin from 0.06 above its confidence
        to 0.05."""
        if tree.error or tree.unsolved or counters.get("set_aside") or tree.budget_hit:
            return
        given = [sol for sol in tree.solutions if sol.task is not None and not sol.unanswered]
        await self._search_each(tree, first, given, params=visible(params))
        _count(tree, counters)

    async def _label_problem(self, tasks: Sequence[LabelTask]) -> LabelOutput:
        tree, first, counters = await self._search(tasks)
        return self._output(tree, first, counters)

    async def _search(self, tasks: Sequence[LabelTask], checkpoint=None):
        """The tree: screening, searches, and (noise-aware) the root check and shoring.
        ``checkpoint(tree)`` is awaited once, after the first search."""
        cfg, first = self.config, tasks[0]
        tree = Tree(problem=first.problem_id)
        root = tree.add_state(None, "", 0, None, "root", key="\x00root")
        for task in tasks:
            tree.solutions.append(Solution(
                len(tree.solutions), task.rollout_id, task.text, list(task.steps), list(task.step_ends),
                root.index, task.correct, task.num_tokens, task=task, token_ids=task.token_ids,
                token_at=self.tokens.known(task.step_ends, task.step_token_ends), answer=wrong_answer(task)))
        root.prefix_ids = () if self.tokens.enabled else None
        # Screening picks questions and seeds a tree; a labeler of the given rollouts only
        # (``search_scope = "targets"``) searches every wrong one it was given, so it screens none.
        targets_only = cfg.search_scope == "targets"
        extra = 0 if targets_only else min(cfg.screen - len(tasks), cfg.rollout_budget)
        if extra > 0:
            prompt = first.prompt
            sampled = await self._sample(prompt, first, extra, salt="screen", state=root)
            self._adopt(tree, root, sampled, first, extra)
            if sampled.generation.error:
                tree.failed(sampled.generation.error)
        root.correct += sum(s.correct for s in tree.solutions if s.task is not None)
        root.total += len(tasks)
        counters = {"questions": 1, "set_aside": 0}
        if root.mc in (0.0, 1.0) and not (cfg.keep_extremes or targets_only):
            counters["set_aside"] = 1
        else:
            tree.pool = [(root.index, s.index) for s in tree.solutions if not s.correct]
            while tree.pool and tree.searches < cfg.max_searches:
                if cfg.search_scope == "targets" and not any(tree.solutions[i].task for _, i in tree.pool):
                    break
                state_idx, sol_idx = self._select(tree)
                tree.states[state_idx].n += 1
                tree.searches += 1
                search = self._noisy_search if self.noise_aware else self._binary_search
                if not await search(tree, tree.states[state_idx], tree.solutions[sol_idx], first):
                    break  # the budget cannot pay for another estimate
                if checkpoint is not None:
                    await checkpoint(tree)
                    checkpoint = None
                if self.noise_aware and root.total > len(tasks) and not _solved(tree) and not tree.error:
                    # Screened, searched once, and nothing ever reached the answer: decide now
                    # whether the question is beyond the policy, before more searches that could
                    # only end in abstentions (and whose counts would pull the pooled fit).
                    await self._check_root(tree, root, first, len(tasks))
                    if tree.unsolved:
                        break
        if self.noise_aware and not tree.error and not counters["set_aside"] and not _solved(tree) \
                and not tree.unsolved:
            await self._check_root(tree, root, first, len(tasks))
        if self.noise_aware and not tree.error and not tree.unsolved and not counters["set_aside"]:
            await self._settle_right_answers(tree, first)
            await self._shore_up(tree, first)
        _count(tree, counters)
        return tree, first, counters

    async def _check_root(self, tree: Tree, root: State, first: LabelTask, given: int) -> None:
        """No completion reached the answer: from the counts, a wrong first step and a question
        the policy cannot solve look the same. The question alone decides (``screen`` draws,
        within the budget, unless screening already drew them); if it fails too, the problem
        is ``unsolved`` and its solutions abstain."""
        cfg = self.config
        probes = sum(st.total for st in tree.states if st.kind != "root")
        drawn = root.total - given  # screening samples (the given rollouts are counted at the root)
        if probes + max(drawn, 0) == 0:
            return  # nothing was counted at all (no answers came back): nothing to explain
        if drawn <= 0:
            n = min(cfg.screen, cfg.rollout_budget - tree.spent)
            if n > 0:
                sampled = await self._sample(first.prompt, first, n, salt="root", state=root)
                self._adopt(tree, root, sampled, first, n)
                if sampled.generation.error or not sampled.generation.completions:
                    tree.failed(sampled.generation.error)
                    return
                drawn = root.total - given
        if _solved(tree):
            return
        tree.unsolved = (f"no completion reached the reference answer: 0 of {probes} from probed prefixes, "
                         f"0 of {max(drawn, 0)} from the question alone; the counts cannot tell a wrong "
                         "step from a question the policy cannot solve")

    def _select(self, tree: Tree) -> tuple[int, int]:
        cfg = self.config
        candidates = tree.pool
        if cfg.prioritize_targets:
            targets = [p for p in tree.pool if tree.solutions[p[1]].task is not None]
            candidates = targets or tree.pool
        total_n = sum(s.n for s in tree.states)

        def score(pair):
            state, sol = tree.states[pair[0]], tree.solutions[pair[1]]
            return selection_score(state.mc, sol.num_tokens, state.n, total_n, cfg)

        best = max(candidates, key=score)  # first of equals: deterministic
        tree.pool.remove(best)  # a popped pair never comes back
        return best

    async def _binary_search(self, tree: Tree, start: State, sol: Solution, first: LabelTask) -> bool:
        lo, hi = start.depth, len(sol.steps) - 1  # hi is wrong: the final answer says so
        left = start
        while lo < hi:
            mid = (lo + hi) // 2
            state = tree.state_at(sol, mid)
            if state is not None and state.total:
                tree.reused += 1
            else:
                if tree.spent + self.config.k > self.config.rollout_budget:
                    tree.budget_hit = True
                    return False
                if state is None:
                    state = tree.add_state(left.index, sol.text[: sol.ends[mid]], mid + 1, sol.index, "search",
                                           key=step_key(sol.steps[: mid + 1]))
                    state.prefix_ids = self._cut(sol, mid)
                prompt = continuation_prompt(first.prompt, sol.text, sol.ends[mid])
                sampled = await self._sample(prompt, first, self.config.k, salt="", state=state)
                self._adopt(tree, state, sampled, first, self.config.k)
                if sampled.generation.error or not sampled.generation.completions:
                    tree.failed(sampled.generation.error)  # give up this search; a rerun redoes the tree
                    return True
                if not state.total:
                    sol.unanswered = _no_answer(state)  # the model's doing: a rerun would repeat it
                    return True
            if state.mc > 0:
                lo, left = mid + 1, state
            else:
                hi = mid
        sol.first_error = lo
        return True

    async def _noisy_search(self, tree: Tree, start: State, sol: Solution, first: LabelTask,
                            probe_once: bool = False, params: Params | None = None) -> bool:
        """Probabilistic bisection: probe the median of the posterior over the first error,
        draw ``round_size`` at a time until that prefix is settled (or at ``k``), and stop
        when the first error is settled at ``confidence`` (``probe_once``: not before one probe)."""
        cfg = self.config
        if params is None:
            params = self._search_params()  # search on what completions can resolve
        probed = not probe_once
        while True:
            post = posterior(self._observed(tree, sol), params)
            if post.confidence >= cfg.confidence and probed:
                break
            probed = True
            probe = self._probe(tree, sol, post, start.depth)
            if probe is None:
                break
            state = tree.state_at(sol, probe)
            if state is not None and state.total and state.owner != sol.index:
                tree.reused += 1
            while True:  # settle this probe
                n = min(cfg.round_size, cfg.k - (state.drawn if state is not None else 0))
                if tree.spent + n > cfg.rollout_budget:
                    tree.budget_hit = True
                    sol.first_error = post.first_error
                    return False
                if state is None:
                    parent = tree.state_at(sol, probe - 1) if probe > 0 else None
                    state = tree.add_state(parent.index if parent else tree.states[0].index,
                                           sol.text[: sol.ends[probe]], probe + 1, sol.index, "search",
                                           key=step_key(sol.steps[: probe + 1]))
                    state.prefix_ids = self._cut(sol, probe)
                if not await self._draw(tree, state, first, n, sol, probe):
                    return True
                if not state.total and state.drawn >= cfg.k:
                    sol.unanswered = _no_answer(state)  # the model's doing: a rerun would repeat it
                    return True
                p_good = posterior(self._observed(tree, sol), params).step_correct[probe]
                if min(p_good, 1 - p_good) < 1 - cfg.confidence or state.drawn >= cfg.k:
                    break
        sol.first_error = post.first_error
        return True

    async def _settle_right_answers(self, tree: Tree, first: LabelTask) -> None:
        """Search the given rollouts whose answer is right but whose "no error" is less sure than
        ``confidence``: a right answer is evidence, not proof. Nothing else probes them (the
        searches follow wrong answers), so their labels rested on the fitted rates alone, and a
        long solution in a problem whose other solutions go wrong early was judged at 0.6 to
        0.8 either way. Most right answers are settled already, and their search stops before
        its first draw; within the budget. A problem of which nothing was counted yet (no
        wrong answer was searched, nothing screened) probes each right answer once, so that its
        label rests on something measured about the problem; a batch whose fit counted nothing
        at all (no completion had an answer) abstains (``Params.counted``)."""
        given = sum(s.task is not None for s in tree.solutions)
        unmeasured = not any(st.total for st in tree.states[1:]) and tree.states[0].total <= given
        right = [sol for sol in tree.solutions if sol.task is not None and sol.correct]
        await self._search_each(tree, first, right, probe_once=unmeasured)

    async def _search_each(self, tree: Tree, first: LabelTask, solutions: list[Solution], **how) -> None:
        """``_noisy_search`` from the root on each of ``solutions`` in turn, until the budget
        cannot pay for another estimate or the engine fails."""
        for sol in solutions:
            if not await self._noisy_search(tree, tree.states[0], sol, first, **how) or tree.error:
                return

    async def _shore_up(self, tree: Tree, first: LabelTask) -> None:
        """Draw to ``k`` the states on which many solutions' claims hinge. A state probed until
        it looked settled for one search (a few completions, at ``confidence``) is read by every
        tree solution sampled through it: where it is the first error (or the last correct
        step) that several of them would claim, one unlucky draw there becomes a wrong label on
        each. Within the budget, most-shared first. With ``search_scope = "targets"`` only the
        given rollouts count."""
        cfg = self.config
        params = self._search_params()
        hinges: Counter = Counter()
        targets_only = cfg.search_scope == "targets"  # tree solutions are by-products there
        counted = [sol for sol in tree.solutions if not (targets_only and sol.task is None)]
        for sol, post in zip(counted, posteriors([self._observed(tree, sol) for sol in counted], params)):
            claim = 0.5 if sol.task is not None else cfg.claim
            if post.first_error < 0 or post.confidence < claim:
                continue
            for j in (post.first_error - 1, post.first_error):
                st = tree.state_at(sol, j) if 0 <= j < len(sol.steps) - 1 else None
                if st is not None and st.kind == "search" and st.drawn < cfg.k:
                    hinges[st.index] += 1
        for idx, count in hinges.most_common():
            if count < 2:
                break
            state = tree.states[idx]
            n = cfg.k - state.drawn
            if tree.spent + n > cfg.rollout_budget:
                tree.budget_hit = True
                return
            if not await self._draw(tree, state, first, n, tree.solutions[state.owner], state.depth - 1):
                return

    async def _draw(self, tree: Tree, state: State, first: LabelTask, n: int, sol: Solution, step: int) -> bool:
        """``n`` more completions of ``state`` (``sol`` cut after ``step``), each round with a
        seed of its own; False (and the tree marked failed) when none came back."""
        prompt = continuation_prompt(first.prompt, sol.text, sol.ends[step])
        sampled = await self._sample(prompt, first, n, salt=f"{state.drawn}" if state.drawn else "", state=state)
        self._adopt(tree, state, sampled, first, n)
        if sampled.generation.error or not sampled.generation.completions:
            tree.failed(sampled.generation.error)
            return False
        return True

    def _probe(self, tree: Tree, sol: Solution, post: Posterior, lo: int) -> int | None:
        """The prefix at the posterior median of the first error that can still be sampled."""
        m = len(sol.steps)
        mass, cumulative = post.first_error_probs[:m], 0.0
        order = []
        for j in range(m - 1):  # the last step is judged by the final answer
            cumulative += mass[j]
            order.append((abs(cumulative - 0.5), j))
        for _, j in sorted(order):
            st = tree.state_at(sol, j)
            if st is None or st.drawn < self.config.k:
                return j
        return None

    def _observed(self, tree: Tree, sol: Solution, owned_only: bool = False,
                  final: bool = True) -> Observed:
        """A solution's evidence: the counts of every known state along it (``owned_only``: of
        the states probed on its own text), and its final answer unless ``final`` is False."""
        every = [tree.state_at(sol, j) for j in range(len(sol.steps) - 1)]
        states = [st if st is not None and (not owned_only or st.owner == sol.index) else None for st in every]
        echo, trials = self._echoes(tree, sol, every, owned_only)
        return Observed(tuple(st.correct if st is not None else 0 for st in states),
                        tuple(st.total if st is not None else 0 for st in states),
                        sol.correct if final else None,
                        agree=tuple(st.agree if st is not None else 0 for st in states),
                        anchor=tuple(alike_with_own(st.agree, st.wrong[sol.answer])
                                     if st is not None and st.index != sol.state else 0
                                     for st in states) if sol.answer else (),
                        echo=echo, echo_trials=trials, group=tree.problem)

    def _echoes(self, tree: Tree, sol: Solution, states: list[State | None],
                owned_only: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Per step but the last, of the completions drawn from the state before it (the root's
        for step 0) whose first step states a value, those that state the step's
        (``estimate.Observed.echo``). A tree solution sampled from that state is one of them: its
        own first step is left out (a given rollout, also "from the root", was not drawn
        there). ``owned_only`` (the fit's view): a step's echo counts once, for the solution
        holding the state it leads to (or, where that state was never probed, the state before
        it)."""
        echo, trials = [0] * len(states), [0] * len(states)
        for j in range(len(states)):
            before = tree.states[0] if j == 0 else states[j - 1]
            if before is None:
                continue
            holder = states[j] if states[j] is not None else before
            found = echo_of(before.next, sol.steps[j], drawn_here=sol.task is None and sol.state == before.index)
            if found and (not owned_only or holder.owner == sol.index):
                echo[j], trials[j] = found
        return (tuple(echo), tuple(trials)) if any(trials) else ((), ())

    def _fit_evidence(self, tree: Tree) -> list[Observed]:
        """The tree's evidence for the pooled fit, each count once. A state's counts belong to
        the solution whose text was probed there (its owner), and a completion's final answer
        is already one of the counts of the state it was sampled from: only the solutions
        sampled from the root (the given rollouts, screening samples) keep theirs. Fitting every
        solution's full view instead counted a probed state once per completion drawn through
        it (thousands of copies of a few hundred counts), and the fit collapsed: a first
        recovery rate near zero and over-confident labels at the first error."""
        if tree.unsolved:
            return []  # nothing to learn rates from: every count is zero for a reason of its own
        out = []
        for sol in tree.solutions:
            from_root = sol.state == tree.states[0].index
            observed = self._observed(tree, sol, owned_only=True, final=from_root)
            if from_root or any(observed.total):
                out.append(observed)
        return out

    async def _sample(self, prompt: str, first: LabelTask, n: int, salt: str, state: State | None = None):
        """``n`` completions of ``prompt``, sent as the state's token ids where they are known
        (the root's: the prompt's ids), so the prefix cache sees one shared prefix."""
        cfg = self.config
        seed = self.seed if not salt else int(new_id(self.seed, salt)[:7], 16)
        ids = None
        if state is not None and state.prefix_ids is not None and first.prompt_token_ids is not None:
            ids = tuple(first.prompt_token_ids) + state.prefix_ids if state.kind == "root" else \
                self.tokens.prompt(first.prompt_token_ids, state.prefix_ids)
        return await sample_from_prefix(self.engine, prompt, first.reference_answer, n,
                                        cfg.max_tokens, cfg.temperature, TOP_P, seed, ids)

    def _cut(self, sol: Solution, step: int) -> tuple[int, ...] | None:
        """The solution's token ids up to the end of ``step`` (its boundaries found when first needed)."""
        if sol.token_at is None and sol.token_ids is not None:
            sol.token_at = self.tokens.boundaries(sol.token_ids) or {}
        return self.tokens.cut(sol.token_ids, sol.token_at, sol.ends[step])

    def _adopt(self, tree: Tree, state: State, sampled, first: LabelTask, asked: int) -> None:
        """Count a state's samples and make each completion a solution of the tree."""
        gen = sampled.generation
        tree.spent += asked  # paid for, whatever came back
        state.spent += asked
        state.requests += 1
        state.prompt_tokens += gen.prompt_tokens
        state.generated_tokens += gen.generated_tokens
        offset = state.drawn  # a state sampled in several rounds: its samples are numbered on
        state.drawn += len(gen.completions)
        # A completion with no final answer (truncated, unparsable) says nothing about the
        # prefix (as in MC): it is neither counted nor kept as a solution.
        state.correct += sum(sampled.correct)
        state.total += sum(a is not None for a in sampled.answers)
        state.wrong.update(sampled.wrong_answers())
        state.next.update(sampled.next_values(self.step_separator))
        new_wrong = []
        for i, (completion, answer, ok) in enumerate(zip(gen.completions, sampled.answers, sampled.correct)):
            if answer is None:
                continue
            text = (state.prefix + "\n\n" + completion.text) if state.prefix else completion.text
            spans = split_steps(text, self.step_separator)
            if len(spans) <= state.depth:
                continue  # nothing beyond the prefix: a failed sample, not a solution
            rid = new_id(first.run_id, first.problem_id, self.name, state.prefix, offset + i)
            sol = Solution(len(tree.solutions), rid, text, [s.text for s in spans], [s.end for s in spans],
                           state.index, ok, completion.num_tokens, answer=None if ok else answer_key(answer))
            sol.token_ids = self.tokens.grown(state.prefix_ids, completion.token_ids)
            sol.record = Rollout(
                rollout_id=rid, problem_id=first.problem_id, run_id=first.run_id, sample_index=offset + i,
                engine=self.engine.name, model=self.engine.model,
                sampling=json.dumps({"n": asked, "max_tokens": self.config.max_tokens,
                                     "temperature": self.config.temperature, "from_depth": state.depth}),
                prompt=first.prompt, text=text, final_answer=answer, correct=ok, num_steps=len(spans),
                prompt_tokens=gen.prompt_tokens, generated_tokens=completion.num_tokens,
                finish_reason=completion.finish_reason, origin=self.name,
            )
            tree.solutions.append(sol)
            if not ok:
                new_wrong.append((state.index, sol.index))
        if state.kind == "root" or state.mc is None or state.mc == 0:
            return
        if self.noise_aware:
            # Only from a prefix that is probably correct: a wrong one with a lucky success
            # would hand "correct" to everything sampled from it.
            owner = tree.solutions[state.owner]
            p_good = posterior(self._observed(tree, owner), self._search_params()).step_correct[state.depth - 1]
            if p_good >= 0.5:
                tree.pool.extend(new_wrong)
        elif state.mc < 1:
            tree.pool.extend(new_wrong)

    # ------------------------------------------------------------------ labels

    def _output(self, tree: Tree, first: LabelTask, counters: dict, params: Params | None = None) -> LabelOutput:
        out = LabelOutput(counters=counters)
        for sol in tree.solutions:
            if params is not None:
                out.labels.extend(self._noise_aware_labels(tree, sol, first, params))
            else:
                out.labels.extend(self._labels(tree, sol, first))
            if sol.record is not None:
                out.rollouts.append(sol.record)
                for j, (text, end) in enumerate(zip(sol.steps, sol.ends)):
                    out.steps.append(Step(sol.rollout_id, first.problem_id, first.run_id, j, text,
                                          end - len(text), end))
        for st in tree.states:
            owner = tree.solutions[st.owner].rollout_id if st.owner is not None else None
            out.trees.append({
                "run_id": first.run_id, "problem_id": first.problem_id, "labeler": self.name,
                "node_id": new_id(first.problem_id, st.prefix),
                "parent_id": new_id(first.problem_id, tree.states[st.parent].prefix) if st.parent is not None else None,
                "rollout_id": owner, "depth": st.depth, "mc": st.mc, "correct": st.correct,
                "total": st.total, "n": st.n, "rollouts_spent": st.spent, "kind": st.kind,
            })
        return out

    def _labels(self, tree: Tree, sol: Solution, first: LabelTask) -> list[StepLabel]:
        m = len(sol.steps)
        states = [tree.state_at(sol, j) for j in range(m)]
        if sol.correct:
            decided = [(True, "labeled", "own_answer") for _ in range(m)]
        else:
            # Deepest prefix known to be correct: its own state if that has MC > 0, any known
            # state with MC > 0 along it, or what a binary search established.
            origin = tree.states[sol.state]
            good = origin.depth if origin.mc is not None and origin.mc > 0 else 0
            for j, st in enumerate(states):
                if st is not None and st.mc is not None and st.mc > 0:
                    good = max(good, j + 1)
            if sol.first_error is not None:
                good = max(good, sol.first_error)
            decided = [(True, "labeled", "inferred") for _ in range(min(good, m))]
            if good < m:
                st = states[good]
                if good == m - 1:
                    decided.append((False, "labeled", "final_answer"))
                elif st is not None and st.mc == 0:
                    decided.append((False, "labeled", "search"))
                else:
                    decided.append((None, "abstained", "not_reached"))
                rest = AFTER_ERROR if decided[-1][0] is False else "abstained"
                decided += [(None, rest, "") for _ in range(good + 1, m)]
        first_error = next((j for j, d in enumerate(decided) if d[0] is False),
                           -1 if all(d[0] for d in decided) else None)
        rows = []
        for j, (label, status, source) in enumerate(decided):
            st = states[j]
            own = st is not None and st.owner == sol.index and st.kind == "search"
            evidence = {"source": source}
            score = None
            if st is not None and st.total:
                evidence.update(correct=st.correct, total=st.total, agree=st.agree, node=new_id(first.problem_id, st.prefix))
                score = st.mc
            if source == "final_answer" or (source == "own_answer" and j == m - 1):
                score = float(sol.correct)
            if label is True and source == "inferred" and st is not None and st.total and st.mc > 0:
                evidence["source"] = "search"
            if label is True and score == 0.0:
                # Known correct (a longer prefix, or the solution itself, reaches the answer) while
                # this prefix's own k samples all missed: 0.0 would call a correct step hopeless.
                score = None
            if tree.error:
                evidence["tree_error"] = tree.error
            rows.append(StepLabel(
                run_id=first.run_id, rollout_id=sol.rollout_id, problem_id=first.problem_id, step_index=j,
                labeler=self.name, label=label, score=score if status != AFTER_ERROR else None,
                first_error=first_error, status=status, evidence=json.dumps(evidence),
                rollouts=st.spent if own else 0, prompt_tokens=st.prompt_tokens if own else 0,
                generated_tokens=st.generated_tokens if own else 0, engine_requests=1 if own else 0,
                engine=self.engine.name, model=self.engine.model,
            ))
        return rows

    def _noise_aware_labels(self, tree: Tree, sol: Solution, first: LabelTask, params: Params) -> list[StepLabel]:
        """Labels from the solution's posterior (the counts of every known state along it and
        its final answer, right or wrong), each with its confidence. A first error less sure
        than ``claim`` (an even chance for the given rollouts) is not claimed: those steps
        abstain (``unsettled``). Most tree solutions were never probed themselves (their
        evidence is the counts of the states they pass and a wrong final answer), so an even
        chance claimed many wrong first errors on them; a tree solution's abstention costs an
        extra label, a wrong one teaches the PRM a wrong step. The given rollouts were searched
        until settled (or out of budget) and are what the user asked to have labeled."""
        m = len(sol.steps)
        post = posterior(self._observed(tree, sol), params)
        states = [tree.state_at(sol, j) for j in range(m)]
        fe = post.first_error
        claim = 0.5 if sol.task is not None else self.config.claim
        why = tree.error and "tree_error" or sol.unanswered and "no_answer" or tree.unsolved and "unsolved" \
            or not params.counted and "unmeasured"
        settled = post.confidence >= claim and not why
        rows = []
        for j in range(m):
            st = states[j]
            own = st is not None and st.owner == sol.index and st.kind == "search"
            evidence: dict = {"estimator": "noise_aware", "source": "posterior"}
            score = None
            if st is not None and st.total:
                evidence.update(correct=st.correct, total=st.total, agree=st.agree, node=new_id(first.problem_id, st.prefix))
                if sol.answer is not None and st.index != sol.state:  # its own state's counts hold it already
                    evidence["own_answer"] = st.wrong.get(sol.answer, 0)
                score = st.mc
            if j == m - 1:
                score = float(sol.correct)
            if not settled:
                label, status = None, "abstained"
                evidence["source"] = why or "unsettled"
                if why in ("unsolved", "no_answer"):
                    evidence["reason"] = UNSOLVED + tree.unsolved if why == "unsolved" else sol.unanswered
                elif why == "unmeasured":
                    evidence["reason"] = UNMEASURED
            elif fe != -1 and j > fe:
                label, status, score = None, AFTER_ERROR, None
            else:
                label, status = (fe == -1 or j < fe), "labeled"
            if status == "labeled":
                evidence["confidence"] = round(post.label_confidence(j), 6)
                evidence["first_error_confidence"] = round(post.confidence, 6)
                evidence["p_correct"] = round(post.step_correct[j], 6)
            if tree.error:
                evidence["tree_error"] = tree.error
            rows.append(StepLabel(
                run_id=first.run_id, rollout_id=sol.rollout_id, problem_id=first.problem_id, step_index=j,
                labeler=self.name, label=label, score=score, first_error=fe if settled else None,
                status=status, evidence=json.dumps(evidence),
                rollouts=st.spent if own else 0, prompt_tokens=st.prompt_tokens if own else 0,
                generated_tokens=st.generated_tokens if own else 0, engine_requests=st.requests if own else 0,
                engine=self.engine.name, model=self.engine.model,
            ))
        return rows


def _count(tree: Tree, counters: dict) -> None:
    """The tree's counters, as they stand."""
    counters.update(searches=tree.searches, rollouts=tree.spent, states=len(tree.states),
                    reused_states=tree.reused, budget_exhausted=int(tree.budget_hit),
                    engine_failures=tree.failures, unsolved=int(tree.unsolved is not None),
                    solutions=len(tree.solutions))


def _solved(tree: Tree) -> bool:
    """Whether any completion or given solution of the tree reached the reference answer."""
    return any(s.correct for s in tree.solutions) or any(st.correct for st in tree.states)


UNMEASURED = ("no completion of this batch had a final answer to count: the rates are the prior's, and "
              "a right final answer alone cannot tell a solution without error from one that recovered")


def _no_answer(state: State) -> str:
    return f"{NO_ANSWER}none of {state.drawn} completions from step {state.depth} had a final answer"
