"""The solve prompt: one place that writes it and reads it back.

The simulated policy reads the question back out of a prompt exactly as a model would see it,
so the format lives here, shared by whoever builds prompts and whoever answers them.
"""

from __future__ import annotations

import re

SOLVE_TEMPLATE = (
    "Solve the problem step by step. Write one step per paragraph and put the final answer "
    "in \\boxed{{}}.\n\nProblem: {question}\n\nSolution:\n\n"
)
_QUESTION_MARK = "\n\nProblem: "
_SOLUTION_MARK = "\n\nSolution:\n\n"


def solve_prompt(question: str) -> str:
    return SOLVE_TEMPLATE.format(question=question)


def continuation_prompt(prompt: str, solution_text: str, prefix_end: int) -> str:
    """The prompt plus the solution cut at a step boundary, ready for the next step."""
    return prompt + solution_text[:prefix_end] + "\n\n"


def read_prompt(prompt: str) -> tuple[str, str] | None:
    """(question, solution prefix) of a solve prompt, or None if it is not one."""
    q = prompt.find(_QUESTION_MARK)
    s = prompt.find(_SOLUTION_MARK, q + 1)
    if q < 0 or s < 0:
        return None
    return prompt[q + len(_QUESTION_MARK) : s], prompt[s + len(_SOLUTION_MARK) :]


# ------------------------------------------------------------------ judge prompts

PARAGRAPH_TAG = "<paragraph_{i}>\n{text}\n</paragraph_{i}>"
_PARAGRAPH = re.compile(r"<paragraph_(\d+)>\n(.*?)\n</paragraph_\1>", re.DOTALL)
_JUDGE_PROBLEM = re.compile(r"\[Problem\]\n\n(.*?)\n\n\[Solution\]\n\n", re.DOTALL)


def tag_paragraphs(steps) -> str:
    return "\n\n".join(PARAGRAPH_TAG.format(i=i, text=s) for i, s in enumerate(steps))


def read_judge_prompt(prompt: str) -> tuple[str, list[str]] | None:
    """(problem, paragraphs) of a judge prompt written with the default template, else None."""
    m = _JUDGE_PROBLEM.search(prompt)
    if not m:
        return None
    paragraphs = [text for _, text in _PARAGRAPH.findall(prompt, m.end())]
    return (m.group(1), paragraphs) if paragraphs else None
