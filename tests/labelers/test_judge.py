import asyncio
import json
import random

import pytest

from steplabel.engines import Completion, Generation
from steplabel.engines.sandbox import CriticConfig, SimulatedCritic
from steplabel.config import JudgeSection
from steplabel.labelers.judge import JudgeLabeler, Verdict, judge_prompt, load_template, majority, parse_verdict
from steplabel.problems.prompts import read_judge_prompt
from steplabel.problems.worlds import arith
from tests.labelers.test_mc import make_task

CORPUS = [
    # well-formed
    (r"Paragraph 2 is wrong. \boxed{2}", 2, "boxed"),
    (r"All good. \boxed{-1}", -1, "boxed"),
    (r"\boxed{ 3 }", 3, "boxed"),
    (r"\boxed{\text{paragraph_1}}", 1, "boxed"),
    # chatty: reasoning before and after, several boxes (the last one counts)
    ("Let me think.\nFirst I thought \\boxed{0} but paragraph 0 is fine.\nSo the answer is \\boxed{4}.\nDone.", 4, "boxed"),
    ("Paragraph 0 checks out.\nParagraph 1 checks out.\nThe earliest error is in paragraph 2.", 2, "stated"),
    ("Paragraph 3 contains an error: 4 * 5 is not 21.", 3, "stated"),
    ("I checked everything and all paragraphs are correct.", -1, "stated"),
    ("There are no errors in this solution.", -1, "stated"),
]
ABSTAIN = [
    ("", "no verdict"),
    (":", "no verdict"),  # "one token to fool LLM-as-a-judge"
    ("Thought process:", "no verdict"),
    ("Solution", "no verdict"),
    (r"\boxed{unclear}", "not an index"),
    (r"\boxed{7}", "out of range"),
    (r"\boxed{-2}", "out of range"),
    (r"\boxed{", "no verdict"),
    ("The earliest error is in paragraph 1. The first error is paragraph 3.", "conflicting"),
    ("x" * 100_000, "no verdict"),
]


@pytest.mark.parametrize("text, index, how", CORPUS)
def test_verdicts_are_read(text, index, how):
    verdict = parse_verdict(text, num_steps=5)
    assert verdict.index == index and verdict.reason.startswith(how)


@pytest.mark.parametrize("text, reason", ABSTAIN)
def test_bad_verdicts_abstain_with_a_reason(text, reason):
    v = parse_verdict(text, num_steps=5)
    assert v.index is None and reason in v.reason


def test_majority_vote():
    assert majority([Verdict(2, "boxed"), Verdict(2, "boxed"), Verdict(-1, "boxed")]).index == 2
    assert majority([Verdict(2, "b"), Verdict(None, "no verdict"), Verdict(None, "no verdict")]).index == 2
    tie = majority([Verdict(2, "b"), Verdict(3, "b")])
    assert tie.index is None and "tied" in tie.reason
    none = majority([Verdict(None, "no verdict")])
    assert none.index is None and none.reason == "no verdict"


class Voters:
    name, model = "scripted", "judge"

    def __init__(self, texts=None, error=None):
        self.texts, self.error, self.prompts = texts, error, []

    async def generate(self, request):
        self.prompts.append(request.prompt)
        if self.error:
            return Generation([], 0, error=self.error)
        return Generation([Completion(t, 4) for t in self.texts[: request.n]], prompt_tokens=30)


def test_judge_labels_from_a_majority_and_keeps_the_votes():
    engine = Voters([r"\boxed{2}", "Paragraph 2 is incorrect.", r"\boxed{-1}"])
    rows = asyncio.run(JudgeLabeler(engine, JudgeSection(samples=3, temperature=0.7)).label(make_task(5)))
    assert [r.label for r in rows] == [True, True, False, None, None]
    assert [r.status for r in rows][3:] == ["after_error", "after_error"]
    evidence = json.loads(rows[0].evidence)
    assert evidence["votes"] == [2, 2, -1] and evidence["verdict"] == 2
    assert [r.score for r in rows[:3]] == [1.0, 1.0, pytest.approx(1 / 3)]
    assert rows[0].rollouts == 3 and sum(r.engine_requests for r in rows) == 1
    # the prompt shows every paragraph, tagged and indexed from 0
    problem, paragraphs = read_judge_prompt(engine.prompts[0])
    assert problem == "Q?" and paragraphs == [f"Step {i} text." for i in range(5)]


def test_judge_at_temperature_0_asks_for_one_sample_and_says_so():
    engine = Voters([r"\boxed{1}", r"\boxed{1}", r"\boxed{1}"])
    engine.requests = []
    original = engine.generate

    async def generate(request):
        engine.requests.append(request)
        return await original(request)

    engine.generate = generate
    rows = asyncio.run(JudgeLabeler(engine, JudgeSection(samples=3, temperature=0.0)).label(make_task(3)))
    assert [r.n for r in engine.requests] == [1]
    evidence = json.loads(rows[0].evidence)
    assert evidence["votes"] == [1] and evidence["samples_requested"] == 3 and evidence["samples_sent"] == 1
    assert rows[0].rollouts == 1 and [r.score for r in rows] == [1.0, 0.0, None]


def test_a_plurality_is_not_a_majority_and_scores_agree_with_labels():
    assert majority([Verdict(0, "b"), Verdict(0, "b"), Verdict(1, "b"), Verdict(1, "b"), Verdict(3, "b"),
                     Verdict(3, "b"), Verdict(3, "b")]).reason.startswith("no majority")
    engine = Voters([r"\boxed{1}", r"\boxed{3}", r"\boxed{3}", r"\boxed{-1}", r"\boxed{3}"])
    rows = asyncio.run(JudgeLabeler(engine, JudgeSection(samples=5, temperature=1.0)).label(make_task(5)))
    for r in rows:
        if r.label is not None:
            assert (r.score > 0.5) == r.label, (r.step_index, r.label, r.score)
    assert [r.score for r in rows] == [1.0, pytest.approx(0.8), pytest.approx(0.8), pytest.approx(0.2), None]


@pytest.mark.parametrize("engine", [Voters([":"]), Voters(error="HTTP 503")])
def test_judge_abstains_instead_of_crashing(engine):
    rows = asyncio.run(JudgeLabeler(engine).label(make_task(3)))
    assert all(r.label is None and r.status == "abstained" for r in rows)
    assert rows[0].first_error is None and json.loads(rows[0].evidence)["reason"]


def test_prompt_template_is_a_replaceable_file(tmp_path):
    custom = tmp_path / "t.txt"
    custom.write_text("Check this.\n{problem}\n---\n{paragraphs}\nIndex in \\boxed{}.")
    labeler = JudgeLabeler(Voters([r"\boxed{-1}"]), JudgeSection(prompt_file=str(custom)))
    rows = asyncio.run(labeler.label(make_task(2)))
    assert labeler.engine.prompts[0].startswith("Check this.\nQ?\n---\n<paragraph_0>")
    assert rows[0].first_error == -1
    bad = tmp_path / "bad.txt"
    bad.write_text("no fields")
    with pytest.raises(ValueError, match="lacks"):
        load_template(str(bad))


def test_simulated_critic_accuracy_and_failure_modes():
    problems = arith.generate_problems(150, seed=5)
    from steplabel.engines.sandbox import ArithPolicy, PolicyConfig

    policy = ArithPolicy(PolicyConfig(skill=0.75, recovery=0.0, format_error_rate=0.0))
    cases = []
    for i, p in enumerate(problems):
        steps = policy.continue_solution(p, [], random.Random(i)).split("\n\n")
        cases.append((p, steps, arith.first_error(p, steps)))
    perfect = SimulatedCritic(CriticConfig(accuracy=1.0, malformed=0.0))
    for i, (p, steps, truth) in enumerate(cases):
        assert parse_verdict(perfect.critique(p, steps, random.Random(i)), len(steps)).index == truth
    critic = SimulatedCritic(CriticConfig(accuracy=0.7, malformed=0.1))
    verdicts = [parse_verdict(critic.critique(p, s, random.Random(i)), len(s)) for i, (p, s, _) in enumerate(cases)]
    right = sum(v.index == t for v, (_, _, t) in zip(verdicts, cases))
    abstained = sum(v.index is None for v in verdicts)
    assert 0.5 < right / len(cases) < 0.8 and 3 <= abstained <= 30
    template = load_template(None)
    p, steps, _ = cases[0]
    assert read_judge_prompt(judge_prompt(template, p.question(), steps)) == (p.question(), steps)
