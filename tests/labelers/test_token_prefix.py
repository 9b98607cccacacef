"""Token-id prompts for OmegaPRM and the judge (a prefix cache needs the exact same ids).

The engine here tokenizes one character per token, so ids decode back to the exact text a
text prompt would have carried: a labeler that sends ids must send the same prompts, and label
the same way, as one that sends text.
"""

import asyncio

from steplabel.config import JudgeSection, OmegaSection
from steplabel.engines import Completion, Generation
from steplabel.labelers.judge import JudgeLabeler, judge_prompt, load_template
from steplabel.labelers.omegaprm import OmegaPRMLabeler
from steplabel.labelers.token_prefix import TokenPrefixes
from steplabel.problems.prompts import continuation_prompt
from tests.labelers.test_judge import make_task
from tests.labelers.test_omegaprm import PROMPT, TARGET, ScriptedTreeEngine, run, solution, task


def ids(text: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in text)


def text_of(token_ids) -> str:
    return "".join(chr(t) for t in token_ids)


class CharTokens:
    """Wraps a scripted engine: one token per character, token-id prompts decoded for it."""

    def __init__(self, inner):
        self.inner, self.name, self.model = inner, inner.name, inner.model
        self.requests = []

    token_prompts = True

    def encode(self, text):
        return list(ids(text))

    def token_ends(self, token_ids):
        return list(range(1, len(token_ids) + 1))

    async def generate(self, request):
        self.requests.append(request)
        if request.prompt_token_ids is not None:
            from dataclasses import replace

            request = replace(request, prompt=text_of(request.prompt_token_ids), prompt_token_ids=None)
        gen = await self.inner.generate(request)
        gen.completions = [Completion(c.text, len(c.text), c.finish_reason, ids(c.text)) for c in gen.completions]
        return gen


def token_task(text: str):
    t = task(text)
    from dataclasses import replace

    return replace(t, prompt_token_ids=ids(PROMPT), token_ids=ids(text), step_token_ends=t.step_ends)


def scripted_engine():
    screening = [solution(3, "A", "7"), solution(3, "B", "7"), solution(4, "C", "0")]
    return ScriptedTreeEngine(TARGET, lambda d: 2 if d <= 5 else 0, screening)


def test_omegaprm_sends_token_ids_that_decode_to_its_text_prompts_and_labels_the_same():
    cfg = OmegaSection(estimator="any", k=4, screen=4, search_scope="tree", max_searches=6)
    plain = run(OmegaPRMLabeler(scripted_engine(), cfg), [task(TARGET)])
    engine = CharTokens(scripted_engine())
    out = run(OmegaPRMLabeler(engine, cfg), [token_task(TARGET)])
    # every request, screening and search, tree solutions' states included, went as token ids
    assert engine.requests and all(r.prompt_token_ids is not None and r.prompt is None for r in engine.requests)
    assert text_of(engine.requests[0].prompt_token_ids) == PROMPT
    searched = [text_of(r.prompt_token_ids) for r in engine.requests[1:]]
    assert continuation_prompt(PROMPT, TARGET, TARGET.index("T step 3.") + len("T step 3.")) in searched
    assert any(not p.startswith(PROMPT + "T ") for p in searched)  # a tree solution's own state
    assert [(r.rollout_id, r.step_index, r.label) for r in out.labels] == \
        [(r.rollout_id, r.step_index, r.label) for r in plain.labels]


def test_omegaprm_falls_back_to_text_where_a_step_ends_inside_a_token():
    engine = CharTokens(scripted_engine())
    t = token_task(TARGET)
    from dataclasses import replace

    t = replace(t, step_token_ends=tuple(None for _ in t.step_ends))  # no step ends on a token boundary
    run(OmegaPRMLabeler(engine, OmegaSection(estimator="any", k=4, screen=4, search_scope="tree", max_searches=1)), [t])
    screening, *searches = engine.requests
    assert screening.prompt_token_ids is not None  # the root is the prompt itself
    assert searches and all(r.prompt_token_ids is None and r.prompt.startswith(PROMPT) for r in searches)


class IdVoters:
    name, model, token_prompts = "scripted", "judge", True

    def __init__(self):
        self.requests = []

    def encode(self, text):
        return list(ids(text))

    def token_ends(self, token_ids):
        return list(range(1, len(token_ids) + 1))

    async def generate(self, request):
        self.requests.append(request)
        return Generation([Completion(r"\boxed{1}", 4)], prompt_tokens=len(request.prompt_token_ids or ()))


def test_judge_sends_the_template_head_as_shared_ids_and_the_same_text():
    engine = IdVoters()
    judge = JudgeLabeler(engine, JudgeSection())
    a, b = make_task(3), make_task(5)
    rows = asyncio.run(judge.label(a))
    asyncio.run(judge.label(b))
    template = load_template(None)
    first, second = engine.requests
    assert first.prompt is None and text_of(first.prompt_token_ids) == judge_prompt(template, a.question, a.steps)
    head = template.partition("{paragraphs}")[0].replace("{problem}", a.question)
    # two solutions of one problem: the same leading ids, the whole head
    common = next(i for i, (x, y) in enumerate(zip(first.prompt_token_ids, second.prompt_token_ids)) if x != y)
    assert common >= len(head)
    assert [r.label for r in rows] == [True, False, None]


def test_prefixes_from_a_stored_rollout_and_a_grown_solution():
    engine = IdVoters()
    tokens = TokenPrefixes(engine)
    at = tokens.known((3, 7), (3, None))
    assert tokens.cut(ids("abc\n\nd"), at, 3) == ids("abc") and tokens.cut(ids("abc\n\nd"), at, 7) is None
    assert tokens.prompt(ids("P:"), ids("abc")) == ids("P:abc\n\n")
    assert tokens.grown((), ids("xy")) == ids("xy") and tokens.grown(ids("ab"), ids("xy")) == ids("ab\n\nxy")
    assert TokenPrefixes(object()).boundaries(ids("ab")) is None  # an engine without a tokenizer
