"""Which formaliser reads a problem's text, if any (the templated BIG-Bench task families).

Each family module offers ``read_problem(question) -> problem | None`` (None unless the text
has that family's template) and ``check_steps(problem, steps, timeout_ms)`` returning one
(verdict, evidence) per step. The first family that reads the question checks the whole
solution; a question no family reads goes to verify's other checkers.
"""

from __future__ import annotations

from steplabel.labelers.verify import letters, ordering, swaps

FAMILIES = (swaps, ordering, letters)


def read(question: str):
    """(module, problem) of the first family that reads the question, or None."""
    for family in FAMILIES:
        try:
            problem = family.read_problem(question)
        except (ValueError, IndexError, KeyError):  # a template half-matched: leave it to the others
            problem = None
        if problem is not None:
            return family, problem
    return None


def check(found, steps: list[str], timeout_ms: int) -> list[tuple[bool | None, dict]]:
    family, problem = found
    try:
        return family.check_steps(problem, steps, timeout_ms)
    except Exception as exc:  # noqa: BLE001 - a formaliser bug must cost its record, not the run
        return [(None, {"checker": f"z3-{family.__name__.rsplit('.', 1)[-1]}",
                        "reason": f"formaliser error: {type(exc).__name__}: {exc}"})] * len(steps)
