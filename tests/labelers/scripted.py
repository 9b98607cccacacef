"""A scripted engine for labeler tests: the number of correct completions per prefix is fixed."""

from steplabel.engines import Completion, Generation


class ScriptedEngine:
    """``outcomes[i]`` = how many of the k completions from the prefix ending at step i reach
    the answer; ``None`` makes that request fail as a backend error would."""

    name, model = "scripted", "script"

    def __init__(self, task, outcomes, answer="7"):
        self.task, self.outcomes, self.answer = task, outcomes, answer
        self.asked: list[int] = []

    async def generate(self, request):
        prefix_len = len(request.prompt) - len(self.task.prompt) - 2
        i = self.task.step_ends.index(prefix_len)
        self.asked.append(i)
        good = self.outcomes[i]
        if good is None:
            return Generation([], prompt_tokens=0, error="TimeoutError: stalled")
        texts = [rf"\boxed{{{self.answer}}}"] * good + [r"\boxed{0}"] * (request.n - good)
        return Generation([Completion(t, 3) for t in texts], prompt_tokens=10)
