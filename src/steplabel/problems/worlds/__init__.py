"""Synthetic worlds: problems with known ground truth, for demos, tests and measurement."""

from typing import Callable

from steplabel.problems.worlds import arith, logic


def truth_oracle(source: str, question: str) -> Callable[[list[str]], int] | None:
    """The world's first-error oracle for a problem, or None for problems with no ground truth.

    Used by the generate stage to store ``truth_first_error`` and by evaluation; never by a
    labeler.
    """
    if source == "synthetic:arith":
        problem = arith.parse_question(question)
        if problem is not None:
            return lambda steps: arith.first_error(problem, steps)
    if source == "synthetic:logic":
        problem = logic.parse_question(question)
        if problem is not None:
            return lambda steps: logic.first_error(problem, steps)
    return None
