from steplabel.labelers.verify.logic import check_deduction
from steplabel.problems.worlds import logic

FACTS = (("Bob", "round", True), ("Bob", "kind", True))
RULES = (
    logic.Rule((("Bob", "round", True), ("Bob", "kind", True)), ("Bob", "big", True)),
    logic.Rule((("Bob", "big", True),), ("Bob", "cold", False)),
)
PROBLEM = logic.LogicProblem(FACTS, RULES, ("Bob", "cold", True), ())


def test_valid_step():
    valid, evidence = check_deduction(PROBLEM, "From f1, f2 and r1: Bob is big.", [])
    assert valid is True and evidence["reason"] == "follows"


def test_missing_premise_is_invalid_with_a_countermodel():
    valid, evidence = check_deduction(PROBLEM, "From f1 and r1: Bob is big.", [])
    assert valid is False and evidence["reason"] == "does not follow"
    model = evidence["countermodel"]
    assert model["Bob is big"] is False and model["Bob is round"] is True


def test_negation_slip_and_wrong_answer_are_invalid():
    earlier = [("Bob", "big", True)]
    assert check_deduction(PROBLEM, "From step 0 and r2: Bob is cold.", earlier)[0] is False
    ok = "From step 0 and r2: Bob is not cold. So the statement is False. \\boxed{False}"
    assert check_deduction(PROBLEM, ok, earlier)[0] is True
    wrong = "From step 0 and r2: Bob is not cold. So the statement is True. \\boxed{True}"
    valid, evidence = check_deduction(PROBLEM, wrong, earlier)
    assert valid is False and "answer True does not follow" in evidence["reason"]


def test_citations_that_do_not_exist_are_refuted():
    valid, evidence = check_deduction(PROBLEM, "From f9, step 3 and r1: Bob is big.", [])
    assert valid is False and "f9, step 3" in evidence["reason"]


def test_not_a_deduction_is_unknown():
    assert check_deduction(PROBLEM, "Let me think about Bob.", [])[0] is None
