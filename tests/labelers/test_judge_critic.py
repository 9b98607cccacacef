"""`steplabel eval --labeler judge` against an OpenAI-compatible critic that writes critiques
the way Qwen2.5-72B, GPT-4o and Llama-3.1-70B do (tests/labelers/critiques.py)."""

import asyncio
import dataclasses
import json

import pytest
from typer.testing import CliRunner

from steplabel.engines.base import GenerationRequest
from steplabel.engines.openai import OpenAIBackend
from steplabel.cli import app
from steplabel.config import JudgeSection
from steplabel.labelers.judge import JudgeLabeler
from tests.engines.fake_critic import FakeCriticServer, words
from tests.labelers.critiques import CRITIQUES, PROBLEMS
from tests.labelers.test_mc import make_task

runner = CliRunner()


def corpus_records():
    """One ProcessBench record per critique; its problem names the case so the critic knows
    which critique to answer with. Undecidable critiques get label -1 (they must abstain)."""
    records, critiques = [], {}
    for i, c in enumerate(CRITIQUES):
        question, steps = PROBLEMS[c.problem]
        problem = f"{question} (case {i})"
        critiques[problem] = [c.text]
        records.append({"id": f"case-{i}", "problem": problem, "steps": steps,
                        "label": -1 if c.verdict is None else c.verdict, "answer": "0"})
    return records, critiques


@pytest.mark.parametrize("mode", ["completions", "chat"])
def test_eval_judge_reads_a_real_critic(tmp_path, mode):
    records, critiques = corpus_records()
    data = tmp_path / "bench.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records))
    with FakeCriticServer(critiques) as server:
        config = tmp_path / "judge.toml"
        config.write_text(
            '[label.judge.engine]\nkind = "openai"\nmodel = "critic"\n'
            f'[label.judge.engine.openai]\nbase_url = "{server.base_url}"\nmode = "{mode}"\nmax_retries = 0\n')
        result = runner.invoke(app, ["eval", "--labeler", "judge", "--data", str(data), "--config", str(config),
                                     "--format", "json"])
        assert result.exit_code == 0, result.output
        assert server.requests == len(records)
    report = json.loads(result.output)
    undecidable = sum(c.verdict is None for c in CRITIQUES)
    right = round(report["acc_erroneous"] * report["erroneous"] + report["acc_correct"] * report["correct"])
    # every decidable critique is read right; the undecidable ones abstain (and count as wrong in the metric)
    assert report["records"] == len(CRITIQUES)
    assert report["undetermined"] == undecidable
    assert right == len(CRITIQUES) - undecidable  # so none is read wrong


def test_judge_verdicts_and_evidence_through_the_openai_engine():
    """The labeler passes the solution to the reader: the quoted \\boxed{4} of case 'pages' is not a verdict."""
    c = next(c for c in CRITIQUES if c.problem == "pages" and "concludes with" in c.text)
    question, steps = PROBLEMS["pages"]
    with FakeCriticServer({question: [c.text]}) as server:
        backend = OpenAIBackend(server.base_url, "critic", max_retries=0)

        class Engine:  # the interface a labeler sees
            name, model = "openai", "critic"

            async def generate(self, request):
                return (await backend.generate_batch([request]))[0]

        task = dataclasses.replace(make_task(len(steps)), question=question, steps=tuple(steps))
        rows = asyncio.run(JudgeLabeler(Engine(), JudgeSection()).label(task))
    assert [r.label for r in rows] == [True, False, None, None] and rows[0].first_error == 1
    assert rows[0].generated_tokens == words(c.text)


@pytest.mark.parametrize("usage", ["total", "per_choice", "none"])
def test_openai_engine_counts_tokens_per_sample(usage):
    texts = ["short verdict \\boxed{-1}", "a much longer critique " * 20 + "\\boxed{1}"]
    question, steps = PROBLEMS["apples"]
    from steplabel.labelers.judge import judge_prompt, load_template

    prompt = judge_prompt(load_template(None), question, steps)
    with FakeCriticServer({question: texts}, usage=usage) as server:
        backend = OpenAIBackend(server.base_url, "critic", max_retries=0)
        (gen,) = asyncio.run(backend.generate_batch([GenerationRequest(prompt=prompt, n=2, temperature=1.0)]))
    counts = [c.num_tokens for c in gen.completions]
    assert counts[0] < counts[1]  # never the average for both
    if usage == "per_choice":
        assert counts == [words(t) for t in texts] and gen.extra["token_counts"] == "per_choice"
    elif usage == "total":
        assert sum(counts) == sum(words(t) for t in texts)  # the server's total, split by text length
        assert gen.extra["token_counts"] == "total_split_by_text"
    else:
        assert all(n > 0 for n in counts) and gen.extra["token_counts"] == "estimated"
