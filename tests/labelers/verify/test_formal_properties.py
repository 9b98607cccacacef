"""Properties of the formalisers on generated problems: a true statement is never refuted, a
false one never accepted, and no text makes them raise."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steplabel.labelers.verify import formal, letters, ordering, swaps

PEOPLE = ["Alice", "Bob", "Claire", "Dave", "Eve"]
COLORS = ["red", "blue", "green", "pink", "white"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def swap_games(draw):
    n = draw(st.integers(3, 5))
    people, items = PEOPLE[:n], draw(st.permutations(COLORS))[:n]
    pairs = draw(st.lists(st.tuples(st.sampled_from(people), st.sampled_from(people)).filter(lambda p: p[0] != p[1]),
                          min_size=1, max_size=5))
    return people, items, pairs


def _swap_text(people, items, pairs):
    holdings = ", ".join(f"{p} has a {c} ball" for p, c in zip(people, items))
    words = ["First"] + ["Then"] * (len(pairs) - 2) + ["Finally"] if len(pairs) > 1 else ["First"]
    moves = " ".join(f"{w}, {a} and {b} swap balls." for w, (a, b) in zip(words, pairs))
    question = (f"{', '.join(people)} are playing a game. At the start of the game, they are each holding a ball: "
                f"{holdings}.\nAs the game progresses, pairs of players trade balls. {moves} At the end of the game, "
                f"{people[0]} has the\nOptions:\n" + "\n".join(f"({chr(65 + i)}) {c} ball." for i, c in enumerate(items)))
    state = dict(zip(people, items))
    steps = ["At the start: " + ", ".join(f"{p}: {state[p]}" for p in people) + "."]
    for a, b in pairs:
        state[a], state[b] = state[b], state[a]
        steps.append(f"{a} and {b} swap balls: " + ", ".join(f"{p}: {state[p]}" for p in people) + ".")
    return question, steps, state


@SETTINGS
@given(swap_games(), st.data())
def test_swaps_true_states_hold_and_one_exchanged_holding_is_refuted_there(game, data):
    question, steps, _ = _swap_text(*game)
    problem = swaps.read_problem(question)
    assert problem is not None
    assert [v for v, _ in swaps.check_steps(problem, steps)] == [True] * len(steps)
    i = data.draw(st.integers(0, len(steps) - 1))
    head, states = steps[i].split(": ", 1)
    pieces = states.rstrip(".").split(", ")
    pieces[0], pieces[1] = pieces[0].split(": ")[0] + ": " + pieces[1].split(": ")[1], \
        pieces[1].split(": ")[0] + ": " + pieces[0].split(": ")[1]
    results = swaps.check_steps(problem, steps[:i] + [f"{head}: {', '.join(pieces)}."] + steps[i + 1:])
    assert [v for v, _ in results[:i + 1]] == [True] * i + [False]


words = st.lists(st.text("abcdefgh", min_size=1, max_size=6), min_size=3, max_size=8, unique=True)


@SETTINGS
@given(words, st.data())
def test_letters_sorted_answer_holds_and_a_transposition_is_refuted(ws, data):
    problem = letters.read_problem(" ".join(ws))
    ordered = sorted(ws)
    assert letters.check_steps(problem, ["The answer is " + " ".join(ordered)])[0][0] is True
    chain = "We now have: " + " < ".join(f'"{w}"' for w in ordered) + "."
    assert letters.check_steps(problem, [chain])[0][0] is True
    i = data.draw(st.integers(0, len(ordered) - 2))
    swapped = ordered[:i] + [ordered[i + 1], ordered[i]] + ordered[i + 2:]
    assert letters.check_steps(problem, ["The answer is " + " ".join(swapped)])[0][0] is False


OBJECTS = ["red book", "blue book", "gray book", "green book", "black book"]
ORDINALS = ["first", "second", "third", "fourth", "fifth"]
NUMBER = {3: "three", 4: "four", 5: "five"}


@st.composite
def shelves(draw):
    n = draw(st.integers(3, 5))
    order = draw(st.permutations(OBJECTS[:n]))  # order[k] is at position k + 1 from the left
    statements = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            k = draw(st.integers(0, n - 1))
            side = draw(st.sampled_from(["left", "right"]))
            place = k + 1 if side == "left" else n - k
            statements.append(f"The {order[k]} is the {ORDINALS[place - 1]} from the {side}.")
        else:
            a, b = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
            statements.append(draw(st.sampled_from([f"The {order[a]} is to the left of the {order[b]}.",
                                                    f"The {order[b]} is to the right of the {order[a]}."])))
    statements = list(dict.fromkeys(statements))
    question = (f"The following statements each describe a set of {NUMBER[n]} objects arranged in a fixed order. "
                f"The statements are logically consistent.\n- On a shelf, there are {NUMBER[n]} books: "
                + ", ".join(f"a {o}" for o in OBJECTS[:n - 1]) + f", and a {OBJECTS[n - 1]}.\n"
                + "".join(f"- {s}\n" for s in statements) + "Q: Which is correct?\nOptions:\n(A) The red book is the leftmost.")
    return n, order, statements, question


@SETTINGS
@given(shelves(), st.data())
def test_ordering_never_contradicts_a_true_slot_and_never_accepts_a_false_one(shelf, data):
    n, order, statements, question = shelf
    problem = ordering.read_problem(question)
    assert problem is not None
    k = data.draw(st.integers(0, n - 1))
    wrong = data.draw(st.integers(0, n - 1).filter(lambda j: j != k))
    cite = " ".join(statements)
    true_step = f"{cite} So from left to right: {ORDINALS[k]} is the {order[k]}."
    false_step = f"{cite} So from left to right: {ORDINALS[wrong]} is the {order[k]}."
    (v_true, e_true), (v_false, e_false) = ordering.check_steps(problem, [true_step, false_step])
    assert e_true["claims"][0]["status"] in ("entailed", "open")  # never contradicted
    assert (v_true is True) == (e_true["claims"][0]["status"] == "entailed")
    assert v_false is False and e_false["claims"][0]["status"] in ("contradicted", "open")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.lists(st.text(max_size=200), max_size=4))
def test_no_text_makes_the_formalisers_raise(question, steps):
    for q in (question, "At the start of the game, x: " + question,
              "each describe a set of five objects arranged in a fixed order\n- " + question):
        found = formal.read(q)
        if found is not None:  # the module itself, not the dispatcher's safety net
            assert len(found[0].check_steps(found[1], steps, 200)) == len(steps)
    for module, problem in ((swaps, swaps.read_problem(_swap_text(PEOPLE[:3], COLORS[:3], [("Alice", "Bob")])[0])),
                            (letters, letters.read_problem("pear apple fig"))):
        assert len(module.check_steps(problem, steps, 200)) == len(steps)
