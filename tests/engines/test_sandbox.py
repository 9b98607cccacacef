import asyncio
import random

import pytest

from steplabel.engines import GenerationRequest
from steplabel.engines.sandbox import ArithPolicy, PolicyConfig, SandboxBackend
from steplabel.problems import prompts
from steplabel.problems.answers import check_answer
from steplabel.problems.worlds import arith

PROBLEMS = arith.generate_problems(60, seed=11)


def generate(backend, requests):
    return asyncio.run(backend.generate_batch(requests))


def solve(p, n=4, seed=0, **kw):
    return GenerationRequest(prompt=prompts.solve_prompt(p.question()), n=n, seed=seed, **kw)


def test_same_request_same_text_whatever_the_batch():
    backend = SandboxBackend()
    alone = generate(backend, [solve(PROBLEMS[5])])[0]
    batched = generate(backend, [solve(p) for p in PROBLEMS])[5]
    assert [c.text for c in alone.completions] == [c.text for c in batched.completions]
    other_seed = generate(backend, [solve(PROBLEMS[5], seed=1)])[0]
    assert [c.text for c in other_seed.completions] != [c.text for c in alone.completions]


def test_perfect_skill_solves_everything_and_low_skill_makes_every_kind_of_mistake():
    perfect = SandboxBackend(PolicyConfig(skill=1.0, format_error_rate=0.0))
    for p, g in zip(PROBLEMS, generate(perfect, [solve(p, n=1) for p in PROBLEMS])):
        assert g.completions[0].text == p.reference_solution()
    sloppy = SandboxBackend(PolicyConfig(skill=0.6, recovery=0.0, format_error_rate=0.0))
    gens = generate(sloppy, [solve(p, n=8) for p in PROBLEMS])
    kinds = {"wrong": 0, "skip": 0, "correct": 0}
    for p, g in zip(PROBLEMS, gens):
        for c in g.completions:
            steps = c.text.split("\n\n")
            kinds["skip"] += len(steps) < len(p.ops)
            kinds["wrong"] += arith.first_error(p, steps) >= 0
            kinds["correct"] += check_answer(p.answer, c.text)[1]
    assert kinds["skip"] > 0 and kinds["wrong"] > 100 and kinds["correct"] > 20


def test_errors_propagate_from_a_prefix():
    """A continuation builds on the value the prefix states, right or wrong."""
    p = arith.generate_problems(1, seed=2, config=arith.WorldConfig(min_steps=6, max_steps=6))[0]
    steps = p.reference_solution().split("\n\n")
    good_prompt = prompts.solve_prompt(p.question()) + "\n\n".join(steps[:2]) + "\n\n"
    y = arith.stated_result(steps[1])
    bad_steps = [steps[0], steps[1].replace(f"= {arith.fmt(y)}", f"= {arith.fmt(y + 7)}")]
    bad_prompt = prompts.solve_prompt(p.question()) + "\n\n".join(bad_steps) + "\n\n"
    policy = PolicyConfig(skill=1.0, recovery=0.0, format_error_rate=0.0)
    good, bad = generate(SandboxBackend(policy), [GenerationRequest(prompt=good_prompt, n=8),
                                                  GenerationRequest(prompt=bad_prompt, n=8)])
    assert all(check_answer(p.answer, c.text)[1] for c in good.completions)
    assert not any(check_answer(p.answer, c.text)[1] for c in bad.completions)
    # The continuation starts at the third operation, from the stated (wrong) value.
    assert bad.completions[0].text.split("\n\n")[0].count(arith.fmt(y + 7)) == 1


def test_recovery_reaches_the_right_answer_after_a_wrong_step():
    policy = ArithPolicy(PolicyConfig(skill=1.0, recovery=1.0, format_error_rate=0.0))
    p = arith.generate_problems(1, seed=4, config=arith.WorldConfig(min_steps=5, max_steps=5))[0]
    steps = p.reference_solution().split("\n\n")
    y = arith.stated_result(steps[0])
    wrong = steps[0].replace(f"= {arith.fmt(y)}", f"= {arith.fmt(y + 3)}")
    text = policy.continue_solution(p, [wrong], random.Random(0))
    assert check_answer(p.answer, text)[1]


def test_max_tokens_and_stop_truncate():
    p = PROBLEMS[0]
    g = generate(SandboxBackend(PolicyConfig(skill=1.0)), [solve(p, n=1, max_tokens=5)])[0]
    assert g.completions[0].finish_reason == "length" and g.completions[0].num_tokens == 5
    g = generate(SandboxBackend(PolicyConfig(skill=1.0)), [solve(p, n=1, stop=("\n\n",))])[0]
    assert "\n\n" not in g.completions[0].text


def test_a_prompt_from_outside_the_world_gets_no_answer():
    g = generate(SandboxBackend(), [GenerationRequest(prompt="Tell me a joke.")])[0]
    assert check_answer("1", g.completions[0].text) == (None, False)
    with pytest.raises(ValueError):
        generate(SandboxBackend(), [GenerationRequest(prompt_token_ids=(1, 2))])
