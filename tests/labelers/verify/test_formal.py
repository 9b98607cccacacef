"""The Z3 formalisers of templated reasoning text (swaps, orderings, letter order) and the
entailment rule they share; problems written in BIG-Bench's templates, not copied records."""

import json
import time

import z3

from steplabel.labelers.verify import entail, formal, letters, ordering, swaps
from tests.labelers.verify.test_labeler import label

SWAP_Q = ("Alice, Bob, and Claire are playing a game. At the start of the game, they are each holding a ball: "
          "Alice has a red ball, Bob has a blue ball, and Claire has a green ball.\n"
          "As the game progresses, pairs of players trade balls. First, Alice and Bob swap balls. Then, Bob and "
          "Claire swap balls. Finally, Alice and Claire swap balls. At the end of the game, Bob has the\n"
          "Options:\n(A) red ball.\n(B) blue ball.\n(C) green ball.")
SWAP_STEPS = ["At the start: Alice: red, Bob: blue, Claire: green.",
              "Alice and Bob swap balls: Alice: blue, Bob: red, Claire: green.",
              "Bob and Claire swap balls: Alice: blue, Bob: green, Claire: red.",
              "Alice and Claire swap balls: Alice: red, Bob: green, Claire: blue.",
              "At the end of the game, Bob has the green ball. So the answer is (C)"]

ORDER_Q = ("The following statements each describe a set of three objects arranged in a fixed order. The statements "
           "are logically consistent.\n- On a shelf, there are three books: a red book, a blue book, and a gray book.\n"
           "- The red book is to the left of the gray book.\n- The blue book is the rightmost.\n"
           "Q: Given the above statements, which of the following is correct?\nOptions:\n"
           "(A) The red book is the leftmost.\n(B) The blue book is the leftmost.\n(C) The gray book is the leftmost.")


# --- entailment -------------------------------------------------------------------------------

def test_entailment_has_four_outcomes_and_never_raises():
    x = z3.Int("x")
    assert entail.decide([x > 2], x > 1).status == entail.ENTAILED
    assert entail.decide([x > 2], x < 1).status == entail.CONTRADICTED
    open_ = entail.decide([x > 2], x == 5, show=[x])
    assert open_.status == entail.OPEN and open_.countermodel["x"] != 5
    assert entail.decide([x > 2], x).status == entail.UNKNOWN  # not a formula: unknown, not a crash
    assert [d.status for d in entail.decide_each([x == 3], [x == 3, x == 4])] == [entail.ENTAILED, entail.CONTRADICTED]



def test_a_session_decides_as_decide_does_over_premises_that_grow():
    x, y = z3.Int("x"), z3.Int("y")
    session = entail.Session()
    premises = [x > 2]
    for claim in (x > 1, x < 1, x == 5):
        assert session.decide(premises, claim, show=[x]).status == entail.decide(premises, claim).status
    premises = premises + [y == x + 1]  # a later step cites more: the same solver, one premise added
    open_ = session.decide(premises, y == 6, show=[x, y])
    assert open_.status == entail.OPEN
    world = open_.countermodel  # a world where the premises hold and the claim fails
    assert world["x"] > 2 and world["y"] == world["x"] + 1 and world["y"] != 6
    assert session.decide(premises, x).status == entail.UNKNOWN  # not a formula: unknown, not a crash
    assert session.decide(premises, y > 3).status == entail.ENTAILED  # and the session still works
    assert session.decide([x < 0], x > 2).status == entail.CONTRADICTED  # other premises: a new solver
    assert [d.status for d in session.decide_each([x == 3], [x == 3, x == 4])] == [entail.ENTAILED,
                                                                                   entail.CONTRADICTED]
    assert [d.status for d in session.decide_each([x == 3], [x == 3, x])] == [entail.ENTAILED, entail.UNKNOWN]


def test_a_session_check_is_time_bounded():
    a, b, c = z3.Ints("a b c")
    hard = [a > 0, b > 0, c > 0, a * a * a + b * b * b == c * c * c]  # no solution, and no quick proof
    started = time.monotonic()
    decision = entail.Session(timeout_ms=50).decide(hard, a > 1000)
    assert decision.status == entail.UNKNOWN and decision.reason.startswith("z3: ")
    assert time.monotonic() - started < 2

# --- swaps ------------------------------------------------------------------------------------

def test_swaps_problem_is_read_from_the_template():
    p = swaps.read_problem(SWAP_Q)
    assert p.people == ["Alice", "Bob", "Claire"] and p.items == ["red", "blue", "green"]
    assert p.swaps == [("Alice", "Bob"), ("Bob", "Claire"), ("Alice", "Claire")] and p.asked == "Bob"
    assert p.options == {"A": "red", "B": "blue", "C": "green"}
    assert swaps.read_problem("Alice has 3 apples. Bob has 2. How many?") is None


def test_correct_swap_solution_is_verified_and_a_wrong_state_is_refuted_where_it_is_stated():
    p = swaps.read_problem(SWAP_Q)
    assert [v for v, _ in swaps.check_steps(p, SWAP_STEPS)] == [True] * 5
    wrong = SWAP_STEPS[:2] + ["Bob and Claire swap balls: Alice: blue, Bob: red, Claire: green."] + SWAP_STEPS[3:]
    results = swaps.check_steps(p, wrong)
    assert [v for v, _ in results[:3]] == [True, True, False]
    evidence = results[2][1]
    assert evidence["time"] == 2
    assert {"claim": "Bob holds red after 2 swaps", "status": "contradicted", "premises give": "green"} in evidence["claims"]


def test_swaps_answer_letter_must_name_the_item_held():
    p = swaps.read_problem(SWAP_Q)
    verdict, evidence = swaps.check_steps(p, SWAP_STEPS[:4] + ["At the end of the game, Bob has the green ball. "
                                                               "So the answer is (A)"])[4]
    assert verdict is False and any(c["status"] == "contradicted" for c in evidence["claims"])


def test_swaps_initials_an_out_of_order_swap_and_unknown_items():
    p = swaps.read_problem(SWAP_Q)
    assert swaps.check_steps(p, ["A and B swap: A: blue, B: red, C: green."])[0][0] is True
    # a swap the problem does not list next: that step and the time of later ones are unclear
    results = swaps.check_steps(p, ["Bob and Claire swap balls: Alice: red, Bob: green, Claire: blue.",
                                    "Alice and Bob swap balls: Alice: purple, Bob: red, Claire: green."])
    assert [v for v, _ in results] == [None, None]
    # a state that names no swap does not say which time it means
    assert swaps.check_steps(p, ["A: red, B: blue, C: green"])[0][0] is None
    # an item the problem never mentions is unread, and the step is not called correct
    verdict, evidence = swaps.check_steps(p, ["Alice and Bob swap balls: Alice: blue, Bob: purple, Claire: green."])[0]
    assert verdict is None and evidence["unread"] == ["Bob: purple"]


# --- letters ----------------------------------------------------------------------------------

def test_word_list_is_recognised_only_as_a_bare_lowercase_list():
    assert letters.read_problem("pear apple fig").words == ["pear", "apple", "fig"]
    assert letters.read_problem("Sort the following words alphabetically: List: pear apple fig").words[0] == "pear"
    assert letters.read_problem("What is 3 + 4?") is None and letters.read_problem("pear apple") is None


def test_letter_claims_chains_and_answer():
    p = letters.read_problem("pear apple peach fig")
    steps = ['The first letter: "pear": "p" (16). "apple": "a" (1). "peach": "p" (16). "fig": "f" (6).',
             'We now have: (1) "apple" < (6) "fig" < (16) ["pear" ? "peach"].',
             "Now let's sort this subpart [\"pear\" ? \"peach\"] by looking at their fourth letters. "
             'The fourth letter: "pear": "r" (18). "peach": "c" (3).',
             'We now have: (3) "peach" < (18) "pear" for the subpart. Hence, we have "apple" < "fig" < "peach" < "pear".',
             "I have now sorted all the words. The answer is apple fig peach pear"]
    assert [v for v, _ in letters.check_steps(p, steps)] == [True] * 5
    # a wrong letter; a word put in the wrong bucket; an answer out of order or missing a word
    assert letters.check_steps(p, ['The first letter: "fig": "g" (7).'])[0][0] is False
    verdict, evidence = letters.check_steps(p, ['We now have: (1) ["apple" ? "pear"] < (6) "fig" < (16) "peach".'])[0]
    assert verdict is False and '"pear" < "fig"' in evidence["contradicted"]
    assert letters.check_steps(p, ["The answer is apple fig pear peach"])[0][0] is False
    assert letters.check_steps(p, ["The answer is apple, fig, peach"])[0][0] is False
    assert letters.check_steps(p, ["The answer is apple, fig, peach, pear"])[0][0] is True


def test_letter_rank_tags_are_not_claims_and_unknown_words_stay_unread():
    p = letters.read_problem("pear apple fig")
    # the "(5)" tag is wrong (a is 1) but the order stated is right: not refuted
    assert letters.check_steps(p, ['We now have: (5) "apple" < (6) "fig" < (16) "pear".'])[0][0] is True
    verdict, evidence = letters.check_steps(p, ['We now have: "apple" < "kiwi".'])[0]
    assert verdict is None and evidence["unread"]


# --- orderings --------------------------------------------------------------------------------

def test_ordering_problem_statements_become_facts():
    p = ordering.read_problem(ORDER_Q)
    assert p.objects == ["red book", "blue book", "gray book"] and len(p.statements) == 2
    assert ordering._fact_of(p, "The gray book is to the right of the red book.") == ("<", "red book", "gray book")
    assert ordering._fact_of(p, "The blue book is the second from the right.") == ("=", "blue book", 2)
    assert ordering.read_problem(ORDER_Q.replace("is the rightmost", "is shiny")) is None  # a premise unread


def test_ordering_refutes_premature_and_contradicted_claims_and_accepts_what_follows():
    p = ordering.read_problem(ORDER_Q)
    steps = ["The blue book is the rightmost. So from left to right: first and second can be any book, "
             "then third is the blue book.",
             "The red book is to the left of the gray book. So from left to right: first is the red book, "
             "then second is the gray book, then third is the blue book.",
             "According to this ordering, the leftmost book is the red book. So the answer is (A)"]
    assert [v for v, _ in ordering.check_steps(p, steps)] == [True, True, True]
    # the first step already places the red book: the only statement cited so far leaves it open
    early = ["The blue book is the rightmost. So from left to right: first is the red book, then third is the blue book."]
    verdict, evidence = ordering.check_steps(p, early)[0]
    assert verdict is False
    row = next(c for c in evidence["claims"] if c["claim"].startswith("first is the red book"))
    assert row["status"] == "open" and row["under all statements"] == "entailed" and row["countermodel"]
    # a position past the end and a false answer are contradicted
    assert ordering.check_steps(p, steps[:1] + ["So from left to right: fourth is the red book."])[1][0] is False
    assert ordering.check_steps(p, steps[:2] + ["So the answer is (C)"])[2][0] is False


def test_ordering_reworded_restatement_cites_the_statement():
    p = ordering.read_problem(ORDER_Q)
    steps = ["The gray book is to the right of the red book, so the red book is to the left of the gray book.",
             "The blue book is the rightmost. So from right to left: first is the blue book, then second is the "
             "gray book, then third is the red book."]
    results = ordering.check_steps(p, steps)
    assert results[0][1]["cited"] == ["the red book is to the left of the gray book"]
    assert [v for v, _ in results] == [None, True]


# --- dispatch and the labeler -----------------------------------------------------------------

def test_verify_labels_a_swaps_solution_with_its_parsed_form_in_the_evidence():
    wrong = SWAP_STEPS[:3] + ["Alice and Claire swap balls: Alice: green, Bob: green, Claire: blue."] + SWAP_STEPS[4:]
    rows = label(wrong, question=SWAP_Q)
    assert [r.label for r in rows] == [True, True, True, False, None] and {r.first_error for r in rows} == {3}
    evidence = json.loads(rows[3].evidence)
    assert evidence["checker"] == "z3-swaps" and evidence["first_error_exact"] is True
    assert {"claim": "Alice holds green after 3 swaps", "status": "contradicted", "premises give": "red"} in evidence["claims"]
    assert {r.first_error for r in label(SWAP_STEPS, question=SWAP_Q)} == {-1}


def test_dispatch_leaves_other_text_to_the_other_checkers_and_contains_formaliser_errors():
    assert formal.read("Then 7 + 5 = 12. What is 12 * 2?") is None
    found = formal.read(ORDER_Q)
    assert found[0] is ordering

    class Broken:
        __name__ = "steplabel.labelers.verify.broken"

        @staticmethod
        def check_steps(problem, steps, timeout_ms):
            raise RuntimeError("bug")

    results = formal.check((Broken, None), ["a", "b"], 100)
    assert [v for v, _ in results] == [None, None] and "formaliser error" in results[0][1]["reason"]


def test_letter_groups_share_their_letter_and_chains_list_every_word_once():
    p = letters.read_problem("pear apple peach fig")
    steps = ['The first letter: "pear": "p" (16). "apple": "a" (1). "peach": "p" (16). "fig": "f" (6).']
    # "fig" grouped with the p-words although its first letter differs
    verdict, evidence = letters.check_steps(p, steps + ['We now have: (1) "apple" < (16) ["pear" ? "peach" ? "fig"].'])[1]
    assert verdict is False and any("share letter 1" in c for c in evidence["contradicted"])
    # a chain that drops a word of the list
    verdict, evidence = letters.check_steps(p, steps + ['We now have: (1) "apple" < (16) ["pear" ? "peach"].'])[1]
    assert verdict is False and evidence["contradicted"] == ["the chain lists the words it sorts, each once"]
    # a subpart chain lists the subpart it sorts, not the whole list
    sub = ["Now let's sort this subpart [\"pear\" ? \"peach\"] by looking at their fourth letters. "
           'The fourth letter: "pear": "r" (18). "peach": "c" (3).']
    assert letters.check_steps(p, sub + ['We now have: (3) "peach" < (18) "pear" for the subpart.'])[1][0] is True
    assert letters.check_steps(p, sub + ['We now have: (3) "peach" for the subpart.'])[1][0] is False


def test_bare_states_are_read_in_order_only_when_there_is_one_per_swap():
    p = swaps.read_problem(SWAP_Q)
    bare = ["A: red, B: blue, C: green", "A: blue, B: red", "B: green, C: red", "A: red, C: blue So the answer is (C)"]
    assert [v for v, _ in swaps.check_steps(p, bare)] == [True] * 4
    wrong = bare[:2] + ["B: red, C: green"] + bare[3:]
    assert [v for v, _ in swaps.check_steps(p, wrong)][:3] == [True, True, False]
    # one state missing: which swap each one follows is unclear, so none is checked
    assert [v for v, _ in swaps.check_steps(p, bare[:1] + bare[2:])] == [None] * 3


def test_ordering_reads_pronouns_denials_and_leads():
    p = ordering.read_problem(ORDER_Q)
    assert ordering._fact_of(p, "it is the leftmost", subject="red book") == ("=", "red book", 1)
    assert ordering._fact_of(p, "the gray book cannot be the leftmost") == ("not", ("=", "gray book", 1))
    assert ordering._fact_of(p, "We previously concluded that the blue book is the rightmost") == ("=", "blue book", 3)
    # "is the rightmost, so it is the second from the left" is false for three books
    verdict, evidence = ordering.check_steps(p, ["The blue book is the rightmost, so it is the second from the left."])[0]
    assert verdict is False and evidence["claims"][0]["status"] == "contradicted"
    # a denial the cited statement does not give is premature; one it gives follows
    steps = ["The red book is to the left of the gray book, so the gray book cannot be the leftmost."]
    assert ordering.check_steps(p, steps)[0][0] is True
    steps = ["The red book is to the left of the gray book, so the red book cannot be the second from the left."]
    assert ordering.check_steps(p, steps)[0][0] is False


def test_ordering_a_slot_left_open_that_a_cited_statement_fills_and_either_or_slots():
    p = ordering.read_problem(ORDER_Q)
    forgets = ["The blue book is the rightmost. So from left to right: first and second can be any book, then third is "
               "the blue book.",
               "The red book is to the left of the gray book. So from left to right: first, second, and third can be "
               "any book."]
    verdict, evidence = ordering.check_steps(p, forgets)[1]
    assert verdict is False and "puts the blue book there" in evidence["claims"][0]["claim"]
    assert ordering.check_steps(p, forgets[:1] + ["So from left to right: first to second can be any book."])[1][0] is None
    # "can be X or Y": the slot holds one of them; premature here, entailed once both statements are cited
    either = "So from left to right: first can be the red book or the gray book."
    verdict, evidence = ordering.check_steps(p, [either])[0]
    assert verdict is False and evidence["claims"][0]["formula"] == "Or(pos(red book) == 1, pos(gray book) == 1)"
    assert evidence["claims"][0]["status"] == "open"
    assert ordering.check_steps(p, [forgets[0], "The red book is to the left of the gray book. " + either])[1][0] is True


def test_hence_chain_keeps_what_the_subpart_chain_settled():
    p = letters.read_problem("pear apple peach fig")
    sub = ["Now let's sort this subpart [\"pear\" ? \"peach\"] by looking at their fourth letters. "
           'The fourth letter: "pear": "r" (18). "peach": "c" (3).']
    kept = 'We now have: (3) "peach" < (18) "pear" for the subpart. Hence, we have "apple" < "fig" < "peach" < "pear".'
    regrouped = 'We now have: (3) "peach" < (18) "pear" for the subpart. Hence, we have "apple" < "fig" < ["peach" ? "pear"].'
    assert letters.check_steps(p, sub + [kept])[1][0] is True
    verdict, evidence = letters.check_steps(p, sub + [regrouped])[1]
    assert verdict is False and evidence["contradicted"] == ['"peach" < "pear", settled for the subpart, stays settled']


def test_a_chain_of_huge_groups_is_left_unread_rather_than_expanded():
    words = [f"a{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(120)]
    p = letters.read_problem(" ".join(words))
    left = " ? ".join(f'"{w}"' for w in words[:60])
    right = " ? ".join(f'"{w}"' for w in words[60:])
    verdict, evidence = letters.check_steps(p, [f"We now have: [{left}] < [{right}]."])[0]
    assert verdict is None and evidence["unread"]


def test_eval_scores_bbm_shaped_records_through_the_formal_path(tmp_path):
    from typer.testing import CliRunner

    from steplabel.cli import app

    wrong = SWAP_STEPS[:2] + ["Bob and Claire swap balls: Alice: blue, Bob: red, Claire: green."] + SWAP_STEPS[3:]
    rows = [{"id": "right", "problem": SWAP_Q, "steps": SWAP_STEPS, "label": -1, "answer": "(C)"},
            {"id": "slip", "problem": SWAP_Q, "steps": wrong, "label": 2, "answer": "(C)"},
            {"id": "early", "problem": ORDER_Q, "label": 0, "answer": "(A)",
             "steps": ["The blue book is the rightmost. So from left to right: first is the red book."]}]
    data = tmp_path / "bbm.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    predictions = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(app, ["eval", "--labeler", "verify", "--data", str(data), "--format", "json",
                                      "--predictions", str(predictions)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["refutations"] == 2 and report["false_refutations"] == 0 and report["exact_refutations"] == 2
    predicted = {p["id"]: p["first_error"] for p in map(json.loads, predictions.read_text().splitlines())}
    assert predicted == {"right": -1, "slip": 2, "early": 0}


def test_a_question_that_only_looks_like_a_word_list_keeps_the_arithmetic_checker():
    assert formal.read("what is seven plus five") is not None  # reads as a word list
    rows = label(["So 7 + 5 = 13."], question="what is seven plus five")
    assert [r.label for r in rows] == [False] and json.loads(rows[0].evidence)["checker"] == "arithmetic"
