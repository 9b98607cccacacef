"""LLM-as-a-judge: a critic model names the earliest wrong paragraph (ProcessBench style).

The prompt is a template file (``templates/judge_critique.txt``, replaceable with
``[label.judge] prompt_file``) with ``{problem}`` and ``{paragraphs}``; paragraphs are tagged
``<paragraph_i>`` and indexed from 0. The judge has its own engine (a larger model on another
endpoint, say). Verdicts are parsed defensively: a boxed index, else an explicit sentence
("the earliest error is in paragraph 3", "all paragraphs are correct"); anything else —
missing, out of range, contradictory, or a bare "Thought process:" — abstains with the reason.
With ``samples > 1`` the verdicts are put to a majority vote and every vote is kept.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from steplabel.engines.base import Engine, GenerationRequest
from steplabel.labelers.base import LabelTask, PerRolloutLabeler
from steplabel.labelers.verdict import MAX_VERDICT_CHARS, Verdict, parse_verdict  # noqa: F401 (re-exported)
from steplabel.problems.prompts import tag_paragraphs
from steplabel.schemas import AFTER_ERROR, StepLabel

DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "judge_critique.txt"


@dataclass(frozen=True)
class JudgeConfig:
    samples: int = 1
    max_tokens: int = 2048
    temperature: float = 0.0
    seed: int = 0
    prompt_file: str | None = None


def load_template(path: str | None) -> str:
    template = Path(path or DEFAULT_TEMPLATE).read_text(encoding="utf-8")
    for field in ("{problem}", "{paragraphs}"):
        if field not in template:
            raise ValueError(f"judge prompt template {path or DEFAULT_TEMPLATE} lacks {field}")
    return template


def judge_prompt(template: str, problem: str, steps: tuple[str, ...] | list[str]) -> str:
    return template.replace("{problem}", problem).replace("{paragraphs}", tag_paragraphs(steps))


# ------------------------------------------------------------------ votes


def majority(verdicts: list[Verdict]) -> Verdict:
    votes = Counter(v.index for v in verdicts if v.index is not None)
    if not votes:
        reasons = sorted({v.reason for v in verdicts})
        return Verdict(None, "; ".join(reasons))
    (top, count), *rest = votes.most_common()
    if rest and rest[0][1] == count:
        return Verdict(None, f"tied vote {dict(votes)}")
    return Verdict(top, f"majority {count}/{len(verdicts)}")


# ------------------------------------------------------------------ the labeler


class JudgeLabeler(PerRolloutLabeler):
    name = "judge"

    def __init__(self, engine: Engine, config: JudgeConfig | None = None) -> None:
        self.engine = engine
        self.config = config or JudgeConfig()
        self.template = load_template(self.config.prompt_file)

    async def label(self, task: LabelTask) -> list[StepLabel]:
        cfg = self.config
        request = GenerationRequest(
            prompt=judge_prompt(self.template, task.question, task.steps), n=cfg.samples,
            max_tokens=cfg.max_tokens, temperature=cfg.temperature, seed=cfg.seed,
        )
        generation = await self.engine.generate(request)
        if generation.error:
            verdicts = [Verdict(None, f"engine error: {generation.error}")]
        else:
            verdicts = [parse_verdict(c.text, task.num_steps, task.steps) for c in generation.completions]
        final = majority(verdicts)
        evidence = {
            "verdict": final.index, "reason": final.reason,
            "votes": [v.index for v in verdicts], "vote_reasons": [v.reason for v in verdicts],
        }
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
