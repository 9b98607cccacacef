from steplabel.problems.worlds import arith, truth_oracle


def test_generation_is_deterministic_and_in_range():
    a = arith.generate_problems(50, seed=3)
    b = arith.generate_problems(50, seed=3)
    assert a == b
    assert a != arith.generate_problems(50, seed=4)
    assert all(3 <= len(p.ops) <= 12 for p in a)
    assert {len(p.ops) for p in a} > {3, 12} - {3, 12} and len({len(p.ops) for p in a}) > 5


def test_values_stay_positive_integers():
    for p in arith.generate_problems(200, seed=0):
        assert all(v > 0 and float(v).is_integer() for v in p.values())


def test_question_reads_back_into_the_same_problem():
    for p in arith.generate_problems(100, seed=1):
        assert arith.parse_question(p.question()) == p


def test_foreign_question_is_not_parsed():
    assert arith.parse_question("What is the capital of France?") is None
    assert arith.parse_question("Ava has 3 cats. She flies to the moon. How many cats?") is None


def test_oracle_finds_the_first_departure():
    p = arith.generate_problems(1, seed=7, config=arith.WorldConfig(min_steps=5, max_steps=5))[0]
    steps = p.reference_solution().split("\n\n")
    assert arith.first_error(p, steps) == -1
    broken = list(steps)
    y = arith.stated_result(broken[2])
    broken[2] = broken[2].replace(f"= {arith.fmt(y)}", f"= {arith.fmt(y + 1)}")
    assert arith.first_error(p, broken) == 2
    # A later step that lands back on the right value does not undo the error.
    assert arith.first_error(p, broken[:3] + steps[3:]) == 2
    # A skipped operation is wrong where the skip shows.
    assert arith.first_error(p, steps[:1] + steps[2:]) == 1


def test_truth_oracle_only_for_synthetic_sources():
    p = arith.generate_problems(1, seed=0)[0]
    oracle = truth_oracle("synthetic:arith", p.question())
    assert oracle(p.reference_solution().split("\n\n")) == -1
    assert truth_oracle("data.jsonl", p.question()) is None
