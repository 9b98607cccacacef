import random

from steplabel.engines.logic_policy import LogicPolicy, LogicPolicyConfig, plan
from steplabel.problems.worlds import logic, truth_oracle


def test_generation_is_deterministic_and_reads_back():
    a = logic.generate_problems(40, seed=2)
    assert a == logic.generate_problems(40, seed=2)
    for p in a:
        q = logic.parse_question(p.question())
        assert (q.facts, q.rules, q.hypothesis) == (p.facts, p.rules, p.hypothesis)
        assert 3 <= len(p.proof) <= 8
    assert {p.answer for p in a} == {"True", "False"}


def test_oracle_accepts_reference_proofs_and_finds_broken_steps():
    for p in logic.generate_problems(40, seed=3):
        steps = p.reference_solution().split("\n\n")
        assert logic.first_error(p, steps) == -1
        # leaving out the first step's premises breaks it
        broken = "From " + steps[0].split(": ", 1)[0].rsplit(" and ", 1)[-1] + ": " + steps[0].split(": ", 1)[1]
        if len(p.proof[0].facts) + len(p.proof[0].steps) > 0:
            assert logic.first_error(p, [broken] + steps[1:]) == 0
        flipped = steps[-1].replace("\\boxed{True}", "\\boxed{X}").replace("\\boxed{False}", "\\boxed{True}")
        flipped = flipped.replace("\\boxed{X}", "\\boxed{False}")
        assert logic.first_error(p, steps[:-1] + [flipped]) == len(steps) - 1


def test_the_policy_plans_a_proof_and_makes_a_reasoners_mistakes():
    problems = logic.generate_problems(60, seed=4)
    perfect = LogicPolicy(LogicPolicyConfig(skill=1.0, recovery=0.0))
    for i, p in enumerate(problems):
        q = logic.parse_question(p.question())
        assert plan(q) is not None
        text = perfect.continue_solution(q, [], random.Random(i))
        assert logic.first_error(p, text.split("\n\n")) == -1 and text.endswith(f"\\boxed{{{p.answer}}}")
    sloppy = LogicPolicy(LogicPolicyConfig(skill=0.7, recovery=0.0))
    errors = right_after_error = 0
    for i, p in enumerate(problems):
        text = sloppy.continue_solution(logic.parse_question(p.question()), [], random.Random(i))
        fe = logic.first_error(p, text.split("\n\n"))
        errors += fe >= 0
        right_after_error += fe >= 0 and text.endswith(f"\\boxed{{{p.answer}}}")
    assert errors > 20 and 0 < right_after_error < errors


def test_truth_oracle_for_the_logic_world():
    p = logic.generate_problems(1, seed=0)[0]
    oracle = truth_oracle("synthetic:logic", p.question())
    assert oracle(p.reference_solution().split("\n\n")) == -1
