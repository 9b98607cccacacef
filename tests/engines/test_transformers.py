import asyncio

import pytest

from steplabel.engines import BatchingEngine, GenerationRequest
from steplabel.problems.answers import check_answer
from steplabel.problems.prompts import solve_prompt
from steplabel.problems.worlds import arith

pytest.importorskip("transformers")

PROBLEMS = arith.generate_problems(6, seed=31, config=arith.WorldConfig(min_steps=3, max_steps=5))


@pytest.fixture(scope="module")
def backend(tiny_model):
    from steplabel.engines.transformers import TransformersBackend

    return TransformersBackend(tiny_model, max_batch_rows=8, chat_template=True)


def run(backend, requests):
    return asyncio.run(backend.generate_batch(requests))


def test_batched_sampling_writes_solutions_in_the_world_format(backend):
    gens = run(backend, [GenerationRequest(prompt=solve_prompt(p.question()), n=3, max_tokens=160,
                                           temperature=0.7, seed=1) for p in PROBLEMS])
    assert [len(g.completions) for g in gens] == [3] * len(PROBLEMS)
    answered = sum(check_answer(p.answer, c.text)[0] is not None for p, g in zip(PROBLEMS, gens) for c in g.completions)
    assert answered >= 12  # the model learned to end with \boxed{}
    for g in gens:
        assert g.prompt_tokens > 20
        for c in g.completions:
            assert 0 < c.num_tokens <= 160 and c.token_ids and len(c.token_ids) == c.num_tokens
            assert backend.tokenizer.decode(list(c.token_ids), skip_special_tokens=True) == c.text


def test_stop_strings_and_max_tokens(backend):
    (g,) = run(backend, [GenerationRequest(prompt=solve_prompt(PROBLEMS[0].question()), n=2, max_tokens=60,
                                           temperature=0.7, seed=2, stop=("\n\n",))])
    assert all("\n\n" not in c.text and c.finish_reason == "stop" for c in g.completions)
    (g,) = run(backend, [GenerationRequest(prompt=solve_prompt(PROBLEMS[0].question()), n=1, max_tokens=3,
                                           temperature=0.7, seed=2)])
    assert g.completions[0].num_tokens <= 3


def test_token_id_prompts_are_the_same_prompts(backend):
    text = solve_prompt(PROBLEMS[1].question())
    ids = tuple(backend.encode(text))
    by_text, by_ids = run(backend, [GenerationRequest(prompt=text, n=2, max_tokens=40, temperature=0.0, seed=3),
                                    GenerationRequest(prompt_token_ids=ids, n=2, max_tokens=40, temperature=0.0, seed=3)])
    assert [c.text for c in by_text.completions] == [c.text for c in by_ids.completions]
    assert backend.token_ends(ids)[-1] == len(text)


def test_chat_template_wraps_the_first_turn(backend):
    assert backend.format_prompt("hello") == "hello"  # the tiny model's template is the bare content
    assert BatchingEngine(backend).format_prompt("x") == "x"
