import asyncio
import json
import math

import pytest

from steplabel.engines import Completion, Generation
from steplabel.labelers.base import LabelTask
from steplabel.config import OmegaSection
from steplabel.labelers.omegaprm import OmegaPRMLabeler, selection_score
from steplabel.problems.prompts import solve_prompt

QUESTION = "Q?"
PROMPT = solve_prompt(QUESTION)


def solution(n_steps: int, tag: str, answer: str) -> str:
    steps = [f"{tag} step {i}." for i in range(n_steps - 1)] + [rf"{tag} done \boxed{{{answer}}}"]
    return "\n\n".join(steps)


def task(text: str, rid: str = "target", correct: bool = False) -> LabelTask:
    steps = text.split("\n\n")
    ends, pos = [], 0
    for s in steps:
        pos = text.index(s, pos) + len(s)
        ends.append(pos)
    return LabelTask("run", rid, "p", QUESTION, "7", PROMPT, text, tuple(ends), tuple(steps), correct, 50)


class ScriptedTreeEngine:
    """Screening prompts get ``screening`` texts; a continuation after d steps of the target
    gets ``good(d)`` correct completions out of n."""

    name, model = "scripted", "script"

    def __init__(self, target: str, good, screening: list[str]):
        self.target, self.good, self.screening = target, good, screening
        self.depths: list[int] = []
        self.prompts: list[str] = []
        self.completions = 0

    async def generate(self, request):
        self.completions += request.n
        self.prompts.append(request.prompt)
        if request.prompt == PROMPT:
            texts = self.screening[: request.n]
        else:
            prefix = request.prompt[len(PROMPT):].rstrip("\n")
            depth = len(prefix.split("\n\n"))
            self.depths.append(depth)
            good = self.good(depth) if self.target.startswith(prefix) else 0
            texts = [r"more \boxed{7}"] * good + ["more.\n\n" + r"end \boxed{0}"] * (request.n - good)
        return Generation([Completion(t, 5) for t in texts], prompt_tokens=20)


def run(labeler, tasks):
    return asyncio.run(labeler.label_problem(tasks))


TARGET = solution(8, "T", "0")  # wrong; its true first error is step 5


def scripted(**cfg):
    screening = [solution(3, "A", "7"), solution(3, "B", "7"), solution(4, "C", "0")]
    engine = ScriptedTreeEngine(TARGET, lambda d: 2 if d <= 5 else 0, screening)
    config = OmegaSection(estimator="any", **{"k": 4, "screen": 4, "search_scope": "targets", **cfg})
    return engine, OmegaPRMLabeler(engine, config)


def target_rows(out):
    return sorted((r for r in out.labels if r.rollout_id == "target"), key=lambda r: r.step_index)


def test_binary_search_asks_for_the_expected_prefixes_and_finds_the_first_error():
    engine, labeler = scripted()
    out = run(labeler, [task(TARGET)])
    # steps 0..7, last judged by its answer: mid 3 (depth 4, MC>0) → mid 5 (depth 6, MC=0) → mid 4 (depth 5, MC>0)
    assert engine.depths == [4, 6, 5]
    rows = target_rows(out)
    assert [r.label for r in rows] == [True] * 5 + [False, None, None]
    assert [r.status for r in rows][5:] == ["labeled", "after_error", "after_error"]
    assert {r.first_error for r in rows} == {5}
    assert rows[3].score == 0.5 and rows[5].score == 0.0
    assert json.loads(rows[5].evidence)["source"] == "search"
    # cost sits on the rows whose state this search created
    assert sum(r.rollouts for r in rows) == 12 and sum(r.engine_requests for r in rows) == 3


def test_screening_counts_the_given_rollouts_and_is_reused_as_root_samples():
    engine, labeler = scripted(search_scope="tree")
    out = run(labeler, [task(TARGET)])
    root = next(t for t in out.trees if t["kind"] == "root")
    assert (root["correct"], root["total"], root["rollouts_spent"]) == (2, 4, 3)
    # the screening samples are solutions of the tree, stored and labeled
    assert len([r for r in out.rollouts if r.sampling and '"from_depth": 0' in r.sampling]) == 3
    correct_ones = {r.rollout_id for r in out.rollouts if r.correct and '"from_depth": 0' in r.sampling}
    assert all(r.label is True for r in out.labels if r.rollout_id in correct_ones)
    assert out.counters["set_aside"] == 0


def test_last_step_is_judged_by_the_answer():
    text = solution(2, "S", "0")
    engine, labeler = scripted()
    engine.target = text
    out = run(labeler, [task(text)])
    assert engine.depths == [1]  # mid 0 only; the last step is never rolled out
    rows = target_rows(out)
    assert rows[-1].label is False and json.loads(rows[-1].evidence)["source"] == "final_answer"


def test_questions_all_right_or_all_wrong_are_set_aside_unless_kept():
    engine = ScriptedTreeEngine(TARGET, lambda d: 1, [solution(3, "W", "0")] * 3)
    out = run(OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4)), [task(TARGET)])
    assert out.counters["set_aside"] == 1 and engine.depths == []
    assert all(r.label is None for r in target_rows(out))
    engine = ScriptedTreeEngine(TARGET, lambda d: 1, [solution(3, "W", "0")] * 3)
    out = run(OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4, keep_extremes=True)), [task(TARGET)])
    assert out.counters["set_aside"] == 0 and engine.depths


def test_a_labeler_of_given_rollouts_screens_none_and_sets_no_question_aside():
    # Every screening sample would be wrong (the question would be set aside in a tree), yet
    # the given rollout is what the user asked to have labeled: it is searched, nothing screened.
    engine = ScriptedTreeEngine(TARGET, lambda d: 2 if d <= 5 else 0, [solution(3, "W", "0")] * 3)
    out = run(OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4, search_scope="targets")),
              [task(TARGET)])
    root = next(t for t in out.trees if t["kind"] == "root")
    assert (root["total"], root["rollouts_spent"]) == (1, 0)
    assert out.counters["set_aside"] == 0 and engine.depths == [4, 6, 5]
    assert {r.first_error for r in target_rows(out)} == {5}


def test_budget_is_never_exceeded_even_mid_search():
    for budget in range(0, 20):
        engine, labeler = scripted(rollout_budget=budget, search_scope="tree")
        out = run(labeler, [task(TARGET)])
        assert engine.completions <= budget
        assert out.counters["rollouts"] <= budget
    engine, labeler = scripted(rollout_budget=11)  # 3 screening + 2 estimates of 4; the third cannot be paid
    out = run(labeler, [task(TARGET)])
    assert engine.depths == [4, 6] and out.counters["budget_exhausted"] == 1
    rows = target_rows(out)
    assert [r.label for r in rows[:4]] == [True] * 4 and rows[0].first_error is None


def test_selection_score_matches_the_paper():
    cfg = OmegaSection(estimator="any")
    q = 0.5 ** (1 - 0.25) * 0.9 ** (100 / 500)
    u = 0.125 * math.sqrt(9) / (1 + 2)
    assert selection_score(0.25, 100, 2, 9, cfg) == pytest.approx(q + u)
    # higher MC and shorter rollouts score higher; much-visited states score lower
    assert selection_score(0.75, 100, 0, 4, cfg) > selection_score(0.25, 100, 0, 4, cfg)
    assert selection_score(0.5, 50, 0, 4, cfg) > selection_score(0.5, 900, 0, 4, cfg)
    assert selection_score(0.5, 100, 0, 4, cfg) > selection_score(0.5, 100, 3, 4, cfg)


def test_popped_pairs_never_come_back_and_N_counts_selections(monkeypatch):
    engine = ScriptedTreeEngine(TARGET, lambda d: 2 if d <= 5 else 0,
                                [solution(4, "X", "0"), solution(5, "Y", "0"), solution(3, "A", "7")])
    labeler = OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4, max_searches=50, rollout_budget=10_000))
    picked = []
    original = labeler._select

    def spy(tree):
        pair = original(tree)
        assert pair not in tree.pool
        picked.append(pair)
        return pair

    monkeypatch.setattr(labeler, "_select", spy)
    out = run(labeler, [task(TARGET)])
    assert len(picked) == len(set(picked)) == out.counters["searches"] > 3
    n_total = sum(t["n"] for t in out.trees)
    assert n_total == len(picked)
    root = next(t for t in out.trees if t["kind"] == "root")
    assert root["n"] == sum(1 for s, _ in picked if s == 0)
    # the given rollout was searched first
    assert picked[0] == (0, 0)


def test_states_are_reused_not_estimated_twice():
    engine, labeler = scripted()
    twin = TARGET.replace("T done", "T end")  # same prefixes, other last step
    out = run(labeler, [task(TARGET), task(twin, rid="twin")])
    assert engine.depths == [4, 6, 5]  # the twin's search reuses every state
    assert out.counters["reused_states"] == 3
    twin_rows = sorted((r for r in out.labels if r.rollout_id == "twin"), key=lambda r: r.step_index)
    assert twin_rows[0].first_error == 5


def test_engine_failure_abandons_the_search_without_guessing():
    class Failing(ScriptedTreeEngine):
        async def generate(self, request):
            if request.prompt != PROMPT:
                return Generation([], 0, error="HTTP 500")
            return await super().generate(request)

    engine = Failing(TARGET, lambda d: 1, [solution(3, "A", "7"), solution(3, "B", "7"), solution(3, "C", "0")])
    out = run(OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4, search_scope="targets")), [task(TARGET)])
    assert out.counters["engine_failures"] == 1
    rows = target_rows(out)
    assert rows[0].first_error is None and rows[0].label is None


def test_a_step_known_correct_by_inference_has_no_made_up_zero_score():
    """Issue #16.4: "a longer prefix proves a shorter one" gave label True with score 0.0."""
    from steplabel.labelers.omegaprm import Solution, Tree, step_key

    text = solution(4, "S", "0")
    t = task(text)
    tree = Tree()
    root = tree.add_state(None, "", 0, None, "root")
    sol = Solution(0, "target", text, list(t.steps), list(t.step_ends), root.index, False, 50, task=t)
    tree.solutions.append(sol)
    shallow = tree.add_state(root.index, text[: t.step_ends[0]], 1, 0, "search", key=step_key(t.steps[:1]))
    shallow.correct, shallow.total = 0, 4  # its own samples all missed...
    deep = tree.add_state(shallow.index, text[: t.step_ends[1]], 2, 0, "search", key=step_key(t.steps[:2]))
    deep.correct, deep.total = 1, 4  # ...but the longer prefix reaches the answer
    engine, labeler = scripted()
    rows = labeler._labels(tree, sol, t)
    assert [r.label for r in rows[:2]] == [True, True]
    assert rows[0].score is None and rows[1].score == 0.25
    for r in rows:
        assert r.score is None or r.label is None or (r.label is False) == (r.score == 0.0)


# ------------------------------------------------------------------ noise-aware (the default)

from steplabel.labelers.omegaprm import step_key  # noqa: E402


def noisy(good, **cfg):
    screening = [solution(3, "A", "7"), solution(3, "B", "7"), solution(4, "C", "0")] * 3
    engine = ScriptedTreeEngine(TARGET, good, screening)
    config = OmegaSection(**{"k": 8, "screen": 4, "search_scope": "targets", **cfg})
    return engine, OmegaPRMLabeler(engine, config)


def test_noise_aware_search_is_not_walked_past_the_error_by_lucky_probes():
    # Wrong prefixes (depth >= 6) still succeed once in 8: "any" walks past the error.
    good = lambda d: 6 if d <= 5 else 1  # noqa: E731
    engine, labeler = noisy(good, estimator="any")
    assert {r.first_error for r in target_rows(run(labeler, [task(TARGET)]))} == {7}
    engine, labeler = noisy(good)
    rows = target_rows(run(labeler, [task(TARGET)]))
    assert {r.first_error for r in rows} == {5}
    assert [r.label for r in rows] == [True] * 5 + [False, None, None]
    ev = json.loads(rows[5].evidence)
    assert ev["estimator"] == "noise_aware" and 0.5 < ev["first_error_confidence"] <= 1.0


def test_noise_aware_budget_is_exact_and_never_exceeded():
    for budget in (8, 13, 40):
        engine, labeler = noisy(lambda d: 6 if d <= 5 else 1, rollout_budget=budget)
        out = run(labeler, [task(TARGET)])
        assert engine.completions == out.counters["rollouts"] <= budget


def test_states_are_keyed_by_normalised_steps():
    assert step_key(["a  b ", "\nc"]) == step_key(["a b", "c"])
    engine, labeler = noisy(lambda d: 6 if d <= 5 else 1)
    run(labeler, [task(TARGET)])
    blank = TARGET.replace("\n\nT step 4.", "\n\n\n\n  T step 4.")  # same steps, other whitespace
    from steplabel.labelers.omegaprm import Solution, Tree

    tree = Tree()
    state = tree.add_state(None, "x", 5, None, "search", key=step_key(TARGET.split("\n\n")[:5]))
    sol = Solution(0, "s", blank, [s.strip() for s in blank.split("\n\n") if s.strip()], [], 0, False, 1)
    assert tree.state_at(sol, 4) is state


def test_a_state_sampled_in_several_rounds_gives_every_solution_its_own_id():
    """Noise-aware probes draw a state in rounds: ids numbered per round collided (two label rows
    for one rollout step, stored rollouts overwritten by the next round's)."""
    engine, labeler = noisy(lambda d: 6 if d <= 5 else 1)
    out = run(labeler, [task(TARGET)])
    ids = [r.rollout_id for r in out.rollouts]
    assert len(ids) == len(set(ids)) > 0
    keys = [(r.rollout_id, r.step_index) for r in out.labels]
    assert len(keys) == len(set(keys))


def test_the_pooled_fit_sees_each_count_once(monkeypatch):
    """Every completion drawn through a probed state used to carry that state's counts into the
    fit (and its own final answer, already one of those counts): the fit saw many copies of
    few counts and its recovery rate collapsed. Each state's counts now enter once."""
    import steplabel.labelers.pooling as pooling

    seen = []
    real_fit = pooling.fit
    monkeypatch.setattr(pooling, "fit", lambda pool, start: seen.append(list(pool)) or real_fit(pool, start=start))
    for scope in ("targets", "tree"):
        seen.clear()
        engine, labeler = noisy(lambda d: 6 if d <= 5 else 1, search_scope=scope)
        trees = _searched(labeler)
        run(labeler, [task(TARGET)])
        (tree,) = trees
        pool = seen[-1]  # the batch's fit (an earlier one, at the checkpoint, guides its searches)
        probed = [st for st in tree.states[1:] if st.total]
        assert len(tree.solutions) > 10 and probed
        # the counts of every probed state, once each
        assert sum(sum(o.total) for o in pool) == sum(st.total for st in probed)
        assert sum(sum(o.correct) for o in pool) == sum(st.correct for st in probed)
        # only solutions drawn from the root keep their final answer (a probe's completions are its counts)
        from_root = [s for s in tree.solutions if s.state == 0]
        assert sum(o.final_correct is not None for o in pool) == len(from_root)


def test_a_question_the_policy_never_solves_abstains_instead_of_refuting_step_one():
    """No completion ever reaches the answer: from the counts a wrong first step and a question
    the policy cannot solve look alike, so the question alone is sampled (within the budget)."""
    never = [solution(3, "A", "0"), solution(4, "B", "1")] * 4
    engine = ScriptedTreeEngine(TARGET, lambda d: 0, never)
    labeler = OmegaPRMLabeler(engine, OmegaSection(k=8, screen=4, search_scope="targets", rollout_budget=60))
    out = run(labeler, [task(TARGET)])
    rows = target_rows(out)
    assert {r.status for r in rows} == {"abstained"} and {r.first_error for r in rows} == {None}
    evidence = json.loads(rows[0].evidence)
    assert evidence["reason"].startswith("unsolved") and "tree_error" not in evidence
    assert out.counters["unsolved"] == 1 and engine.completions == out.counters["rollouts"] <= 60
    assert labeler.pooled.params.pooled == 0  # an unsolved tree stays out of the fit
    # The same search on a question the policy can solve: the first step is wrong.
    solvable = [solution(3, "A", "7")] + never
    engine = ScriptedTreeEngine(TARGET, lambda d: 0, solvable)
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, screen=4, search_scope="targets")), [task(TARGET)])
    rows = target_rows(out)
    assert rows[0].first_error == 0 and rows[0].label is False and out.counters["unsolved"] == 0


def test_a_screened_question_that_nothing_solves_is_given_up_after_one_search():
    """Screening and one search found no success: the question is judged at once (from the
    screening draws), not after searching every wrong solution, whose abstentions would be
    paid for and whose counts would pull the pooled fit meanwhile."""
    never = [solution(3, "A", "0"), solution(4, "B", "1")] * 4
    targets = [task(TARGET.replace("T step", f"T{j} step"), rid=f"t{j}") for j in range(4)]  # four wrong ones
    engine = ScriptedTreeEngine(TARGET, lambda d: 0, never)
    config = OmegaSection(k=8, screen=8, search_scope="tree", keep_extremes=True, rollout_budget=400)
    out = run(OmegaPRMLabeler(engine, config), targets)
    assert out.counters["unsolved"] == 1 and out.counters["searches"] == 1
    assert {r.status for r in out.labels if r.rollout_id.startswith("t")} == {"abstained"}
    assert out.counters["rollouts"] <= 4 + 8 * 7  # the screening draws and one search's probes


class _Unanswered(ScriptedTreeEngine):
    """Every second continuation stops before a final answer; ``all_cut`` stops them all."""

    def __init__(self, *args, all_cut=False):
        super().__init__(*args)
        self.all_cut = all_cut

    async def generate(self, request):
        gen = await super().generate(request)
        if request.prompt == PROMPT:
            return gen
        cut = [Completion("more steps, and then", 5) if self.all_cut or i % 2 else c
               for i, c in enumerate(gen.completions)]
        return Generation(cut, prompt_tokens=gen.prompt_tokens)


def test_completions_without_an_answer_are_neither_counted_nor_refutations():
    engine = _Unanswered(TARGET, lambda d: 8 if d <= 5 else 0, [])
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, search_scope="targets")), [task(TARGET)])
    for r in target_rows(out):
        ev = json.loads(r.evidence)
        if "total" in ev:  # half of each draw had no answer and is not in the count
            assert ev["correct"] in (0, ev["total"]) and ev["total"] <= 4
    assert {r.first_error for r in target_rows(out)} == {5}
    assert all(rollout.final_answer is not None for rollout in out.rollouts)  # no answerless tree solutions
    engine = _Unanswered(TARGET, lambda d: 8, [], all_cut=True)
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, search_scope="targets")), [task(TARGET)])
    rows = target_rows(out)
    assert {r.status for r in rows} == {"abstained"} and {r.first_error for r in rows} == {None}
    evidence = json.loads(rows[0].evidence)
    assert evidence["reason"].startswith("no final answer") and "tree_error" not in evidence  # not retried
    assert engine.completions <= 8  # the prefix was drawn up to k, then given up


def _first_error_claims(out, tree):
    """{state: (solutions claiming it as their first error, completions drawn there)}."""
    from steplabel.schemas import new_id

    claims = {}
    for r in out.labels:
        if r.status == "labeled" and r.label is False and "node" in json.loads(r.evidence):
            node = json.loads(r.evidence)["node"]
            claims[node] = claims.get(node, 0) + 1
    drawn = {new_id("p", st.prefix): st.drawn for st in tree.states}
    return {node: (n, drawn[node]) for node, n in claims.items()}


def _searched(labeler):
    trees = []
    real = labeler._search

    async def search(tasks, checkpoint=None):
        found = await real(tasks, checkpoint)
        trees.append(found[0])
        return found

    labeler._search = search
    return trees


def test_a_state_that_several_tree_solutions_claim_as_their_first_error_is_drawn_to_k():
    """A probe settles on a couple of completions for its own search; tree solutions sampled
    through it inherit its reading. Where several would claim it as their first error, it is
    drawn to ``k`` first (it stayed at 2 draws, claimed by 5 solutions, before), within the budget."""
    for good in (lambda d: 6 if d <= 5 else 1, lambda d: 3 if d <= 5 else 1):
        engine, labeler = noisy(good, search_scope="tree", round_size=2)
        trees = _searched(labeler)
        out = run(labeler, [task(TARGET)])
        shared = [(n, drawn) for n, drawn in _first_error_claims(out, trees[0]).values() if n >= 2]
        assert shared and all(drawn == 8 for _, drawn in shared), shared
        assert engine.completions == out.counters["rollouts"]
    for budget in (9, 12, 15):
        engine, labeler = noisy(lambda d: 6 if d <= 5 else 1, search_scope="tree", round_size=2, rollout_budget=budget)
        out = run(labeler, [task(TARGET)])
        assert engine.completions == out.counters["rollouts"] <= budget


def test_a_wrong_solutions_own_answer_is_stored_where_it_is_not_already_counted():
    """The target's answer (0) joins each probed prefix's failures; a tree solution's own
    answer is already one of the counts of the state it was drawn from, so not there."""
    engine, labeler = noisy(lambda d: 6 if d <= 5 else 1, search_scope="tree")
    trees = _searched(labeler)
    out = run(labeler, [task(TARGET)])
    tree = trees[0]
    target = [json.loads(r.evidence) for r in target_rows(out)]
    probed = [ev for ev in target if "total" in ev][:-1]
    assert probed and all(ev["own_answer"] == ev["total"] - ev["correct"] for ev in probed)  # every failure ends on 0
    by_id = {s.rollout_id: s for s in tree.solutions}
    wrong_drawn = [s for s in tree.solutions if s.task is None and not s.correct and s.state != 0]
    assert wrong_drawn
    for r in out.labels:
        sol = by_id[r.rollout_id]
        if sol in wrong_drawn and r.step_index == tree.states[sol.state].depth - 1:
            assert "own_answer" not in json.loads(r.evidence)
        if sol.correct:
            assert "own_answer" not in json.loads(r.evidence)


def test_a_steps_echo_leaves_out_the_solutions_own_first_step():
    """The echo of step j: of the completions drawn from the state before it, those whose first
    step states step j's value. A tree solution sampled from that state is one of them: counting
    its own first step would make every tree solution echo itself."""
    from collections import Counter

    from steplabel.labelers.omegaprm import Solution, Tree

    _, labeler = noisy(lambda d: 6)
    tree = Tree()
    root = tree.add_state(None, "", 0, None, "root", key="\x00root")
    given = Solution(0, "given", "", ["We get 3.", "We get 5.", "We get 8."], [], root.index, False, 0,
                     task=task("We get 3.\n\nWe get 5.\n\nWe get 8."))
    tree.solutions.append(given)
    state = tree.add_state(root.index, "We get 3.", 1, given.index, "search", key=step_key(given.steps[:1]))
    state.next = Counter({"5": 3, "9": 1})
    sampled = Solution(1, "tree", "", ["We get 3.", "We get 9.", "We get 12."], [], state.index, False, 0)
    tree.solutions.append(sampled)
    assert labeler._echoes(tree, given, [tree.state_at(given, j) for j in range(2)], False) == ((0, 3), (0, 4))
    assert labeler._echoes(tree, sampled, [tree.state_at(sampled, j) for j in range(2)], False) == ((0, 0), (0, 3))
    # The fit's view: the step's echo counts for the solution holding the state before it.
    assert labeler._echoes(tree, sampled, [tree.state_at(sampled, j) for j in range(2)], True) == ((), ())
    assert labeler._observed(tree, given).echo == (0, 3)
    # Step 0's echo comes from the root's draws (screening): a given rollout is not one of them.
    root.next = Counter({"3": 2, "4": 1})
    assert labeler._echoes(tree, given, [tree.state_at(given, j) for j in range(2)], False) == ((2, 3), (3, 4))
    screened = Solution(2, "screened", "", ["We get 4.", "We get 6."], [], root.index, False, 0)
    tree.solutions.append(screened)
    assert labeler._echoes(tree, screened, [None], False) == ((0,), (2,))


def test_a_right_answer_that_is_not_surely_error_free_is_searched_too():
    """A right answer is evidence, not proof: a long given rollout whose text recovered (its
    prefixes from step 5 on fail like wrong ones) is searched like a wrong one, while a short
    right answer, already sure at ``confidence``, costs nothing."""
    recovered = solution(14, "T", "7")
    engine = ScriptedTreeEngine(recovered, lambda d: 6 if d <= 5 else 1, [])
    labeler = OmegaPRMLabeler(engine, OmegaSection(k=8, screen=1, search_scope="targets"))
    out = run(labeler, [task(recovered, correct=True)])
    rows = target_rows(out)
    assert engine.depths and {r.first_error for r in rows} == {5}
    assert [r.label for r in rows[:6]] == [True] * 5 + [False]

    # Beside a wrong solution whose search counted completions, a short right answer already
    # sure at ``confidence`` costs nothing.
    short = solution(2, "S", "7")
    engine = ScriptedTreeEngine(TARGET, lambda d: 6 if d <= 5 else 0, [])
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, screen=1, search_scope="targets")),
              [task(TARGET), task(short, rid="short", correct=True)])
    assert engine.depths and not any("S step" in p for p in engine.prompts)
    assert {r.first_error for r in out.labels if r.rollout_id == "short"} == {-1}


def test_a_right_answer_is_probed_before_it_is_labeled_on_rates_measured_on_nothing():
    """On the prior's rates (nothing of the run counted yet), even a short right answer is
    probed once, and the label then rests on the batch's fit of that probe."""
    short = solution(2, "S", "7")
    engine = ScriptedTreeEngine(short, lambda d: 6, [])
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, screen=1, search_scope="targets")), [task(short, correct=True)])
    rows = target_rows(out)
    assert engine.completions == 2 and engine.depths == [1]  # one round, at the prefix before the answer
    assert {r.first_error for r in rows} == {-1} and {r.status for r in rows} == {"labeled"}


def test_a_right_answer_abstains_where_no_completion_had_an_answer():
    """BIG-Bench Mistake's logical deduction, where the policy cannot continue the text: a fit
    to final answers alone called erroneous solutions error-free at 0.94. A right answer sure
    on the prior's rates is probed once; when nothing comes back with an answer it abstains,
    and says why, instead of being labeled on rates measured on nothing."""
    text = solution(8, "L", "7")
    engine = _Unanswered(text, lambda d: 0, [], all_cut=True)
    out = run(OmegaPRMLabeler(engine, OmegaSection(k=8, search_scope="targets")), [task(text, correct=True)])
    rows = target_rows(out)
    assert engine.completions == 2  # one round of its probe
    assert {r.label for r in rows} == {None} and {r.first_error for r in rows} == {None}
    assert {r.status for r in rows} == {"abstained"}
    evidence = json.loads(rows[0].evidence)
    assert evidence["source"] == "unmeasured" and "recovered" in evidence["reason"]


def measured():
    """A fit that counted completions (the prior's rates, as if measured)."""
    from dataclasses import replace

    from steplabel.labelers.estimate import PRIOR

    return replace(PRIOR, counted=100)


def test_a_given_rollout_the_final_fit_leaves_unsure_is_searched_again(monkeypatch):
    """Searches decide on the checkpoint's fit; labels come from the batch's final fit. Where
    the two disagree (here the final fit finds that wrong steps often recover, so a right answer
    proves less), the rollout is searched again on the final fit before its labels are written,
    and ends settled at ``confidence`` under it."""
    from dataclasses import replace

    from steplabel.labelers.estimate import PRIOR

    text = solution(8, "R", "7")
    engine = ScriptedTreeEngine(text, lambda d: 6, [])
    labeler = OmegaPRMLabeler(engine, OmegaSection(k=8, search_scope="targets"))
    labeler.pooled.search_params = labeler.pooled.params = measured()
    final = replace(PRIOR, hazard=0.3, recover_first=0.6, recover=0.3, counted=100)
    at_leave = {}

    async def leave(ticket, observed, passed=False):
        at_leave["completions"] = engine.completions
        return final

    monkeypatch.setattr(labeler.pooled, "leave", leave)
    out = run(labeler, [task(text, correct=True)])
    rows = target_rows(out)
    assert engine.completions > at_leave["completions"]  # searched again after the final fit
    assert {r.first_error for r in rows} == {-1}
    assert json.loads(rows[-1].evidence)["first_error_confidence"] >= 0.8
