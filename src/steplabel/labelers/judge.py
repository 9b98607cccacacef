"""LLM-as-a-judge: a critic model names the earliest wrong paragraph (ProcessBench style).

The prompt is a template file (``templates/judge_critique.txt``, replaceable with
``[label.judge] prompt_file``) with ``{problem}`` and ``{paragraphs}``; paragraphs are tagged
``<paragraph_i>`` and indexed from 0. The judge has its own engine (a larger model on another
endpoint, say). Critiques are read for their final stated verdict by ``labelers/verdict.py``
(quotes of the solution, deliberation and numbering the critique does not pin down are not
taken for a verdict); a critique with no readable verdict abstains with the reason.

With ``samples > 1`` (and a temperature above 0) the verdicts are put to a vote and every vote
is kept: a first error wins with more than half of the votes that decided; a tie or a mere
plurality abstains. At temperature 0 the samples would be copies of one answer, so one is
asked for and the evidence says so (``samples_requested`` / ``samples_sent``).

``score`` (per step): the share of the deciding votes under which the step is correct (the
vote names a later first error, or none), i.e. the judge's probability that the step is
correct; null after the first error and where no vote decided. With one sample it is 1.0 or
0.0. Because the label needs a strict majority, a labeled step's score is above 0.5 when its
label is true and below 0.5 when it is false.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from steplabel.config import JudgeSection
from steplabel.engines.base import Engine, GenerationRequest
from steplabel.labelers.base import LabelTask, PerRolloutLabeler
from steplabel.labelers.verdict import Verdict, parse_verdict
from steplabel.problems.prompts import tag_paragraphs
from steplabel.schemas import AFTER_ERROR, StepLabel

DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "judge_critique.txt"


def load_template(path: str | None) -> str:
    template = Path(path or DEFAULT_TEMPLATE).read_text(encoding="utf-8")
    for field in ("{problem}", "{paragraphs}"):
        if field not in template:
            raise ValueError(f"judge prompt template {path or DEFAULT_TEMPLATE} lacks {field}")
    return template


def judge_prompt(template: str, problem: str, steps: tuple[str, ...] | list[str]) -> str:
    return template.replace("{problem}", problem).replace("{paragraphs}", tag_paragraphs(steps))


def judge_prompt_ids(engine, template: str, problem: str, steps) -> tuple[int, ...] | None:
    """The prompt as token ids: the template up to ``{paragraphs}`` (with the problem) encoded on
    its own, so every solution of a problem sends the same leading ids and a prefix cache
    computes them once; None where the engine takes text only."""
    if not getattr(engine, "token_prompts", False):
        return None
    head, _, tail = template.partition("{paragraphs}")
    head = head.replace("{problem}", problem)
    rest = tag_paragraphs(steps) + tail.replace("{problem}", problem)
    return tuple(engine.encode(head)) + tuple(engine.encode(rest))


# ------------------------------------------------------------------ votes


def majority(verdicts: list[Verdict]) -> Verdict:
    """More than half of the votes that decided, else an abstention (tie or plurality)."""
    votes = Counter(v.index for v in verdicts if v.index is not None)
    if not votes:
        reasons = sorted({v.reason for v in verdicts})
        return Verdict(None, "; ".join(reasons))
    decided = sum(votes.values())
    (top, count), *rest = votes.most_common()
    if rest and rest[0][1] == count:
        return Verdict(None, f"tied vote {dict(votes)}")
    if count * 2 <= decided:
        return Verdict(None, f"no majority {dict(votes)}")
    return Verdict(top, f"majority {count}/{len(verdicts)}")


def _read(text: str, task: LabelTask) -> Verdict:
    """The critique's verdict; a reader failure on strange text abstains instead of stopping the run."""
    try:
        return parse_verdict(text, task.num_steps, task.steps)
    except Exception as exc:  # noqa: BLE001 - bad input is data, not a crash
        return Verdict(None, f"verdict reader failed: {type(exc).__name__}")


# ------------------------------------------------------------------ the labeler


class JudgeLabeler(PerRolloutLabeler):
    name = "judge"

    @classmethod
    def from_config(cls, section: JudgeSection, config, engine: Engine) -> "JudgeLabeler":
        """``engine`` is the judge's own (``[label.judge.engine]``), not the policy's."""
        return cls(engine, section, seed=config.run.seed)

    def __init__(self, engine: Engine, config: JudgeSection | None = None, seed: int = 0) -> None:
        self.engine = engine
        self.config = config or JudgeSection()
        self.seed = seed
        self.template = load_template(self.config.prompt_file)

    async def label(self, task: LabelTask) -> list[StepLabel]:
        cfg = self.config
        # Greedy decoding answers the same text every time: copies would only repeat one vote.
        sent = 1 if cfg.temperature == 0 else cfg.samples
        ids = judge_prompt_ids(self.engine, self.template, task.question, task.steps)
        request = GenerationRequest(
            prompt=None if ids else judge_prompt(self.template, task.question, task.steps), prompt_token_ids=ids,
            n=sent,
            max_tokens=cfg.max_tokens, temperature=cfg.temperature, seed=self.seed,
        )
        generation = await self.engine.generate(request)
        if generation.error:
            verdicts = [Verdict(None, f"engine error: {generation.error}")]
        else:
            verdicts = [_read(c.text, task) for c in generation.completions]
        final = majority(verdicts)
        evidence = {
            "verdict": final.index, "reason": final.reason,
            "votes": [v.index for v in verdicts], "vote_reasons": [v.reason for v in verdicts],
        }
        if sent != cfg.samples:
            evidence.update(samples_requested=cfg.samples, samples_sent=sent,
                            samples_note="temperature 0: further samples would be copies")
        if generation.completions:
            evidence["rationale"] = generation.completions[0].text[-600:]
        n = task.num_steps
        rows = []
        for j in range(n):
            if final.index is None:
                label, status = None, "abstained"
            elif final.index == -1 or j < final.index:
                label, status = True, "labeled"
            elif j == final.index:
                label, status = False, "labeled"
            else:
                label, status = None, AFTER_ERROR
            decided = [v.index for v in verdicts if v.index is not None]
            # soft score: the share of votes that find this step correct
            score = (sum(1 for v in decided if v == -1 or v > j) / len(decided)) if decided and status != AFTER_ERROR else None
            first = j == 0  # the verdict's evidence and cost sit on step 0; other rows name the verdict
            rows.append(StepLabel(
                run_id=task.run_id, rollout_id=task.rollout_id, problem_id=task.problem_id, step_index=j,
                labeler=self.name, label=label, score=score,
                first_error=final.index, status=status, evidence=json.dumps(evidence if first else {"verdict": final.index}),
                rollouts=len(generation.completions) if first else 0,
                prompt_tokens=generation.prompt_tokens if first else 0,
                generated_tokens=generation.generated_tokens if first else 0,
                engine_requests=1 if first else 0, engine=self.engine.name, model=self.engine.model,
            ))
        return rows
