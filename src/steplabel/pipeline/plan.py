"""What a configuration will do, before anything runs (``steplabel run --dry-run``).

A GPU user checks a recipe before paying for it: the problems it reads, the engines and
models it loads, and what each stage will ask of the policy: completions (rollouts) and
generated tokens, from ``k``, the budgets and an assumed number of steps per solution and
tokens per step. Nothing is loaded: no model, no engine, no ``hf:`` dataset (its size is the
configured ``limit``). "at most" is what the configuration allows; "expected" assumes every
solution has ``steps`` steps of ``tokens_per_step`` tokens and, for the adaptive samplers, one
round from every prefix (a lower estimate: later rounds add to it up to the cap).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steplabel.config import Config


@dataclass
class StagePlan:
    stage: str
    engine: str
    model: str
    requests: int
    completions: int  # expected
    completions_max: int
    tokens: int  # expected generated tokens
    tokens_max: int
    note: str = ""


@dataclass
class Plan:
    run_id: str
    source: str
    problems: int | None
    problems_note: str
    rollouts: int | None
    steps: float
    tokens_per_step: int
    placement: str
    stages: list[StagePlan] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "stages"}
        out["stages"] = [s.__dict__ for s in self.stages]
        return out


def count_problems(config: Config) -> tuple[int | None, str]:
    """How many problems the run reads, without opening a hub dataset. A local file is read (a
    missing or unreadable one raises ``SourceError``, as the run would)."""
    p = config.problems
    if p.source.startswith("synthetic:"):
        from steplabel.problems.sources import SYNTHETIC_DEFAULT_COUNT

        return p.limit or SYNTHETIC_DEFAULT_COUNT, "synthetic"
    if p.source.startswith("hf:"):
        name = p.source[3:]
        if p.limit:
            return p.limit, f"limit of {name} ({p.split}); not opened in a dry run"
        return None, f"all of {name} ({p.split}); not opened in a dry run: set problems.limit for numbers"
    from steplabel.pipeline.stages import source_spec
    from steplabel.problems.sources import load_problems

    loaded = load_problems(source_spec(config))
    return len(loaded.problems), f"{len(loaded.quarantine)} rows would be quarantined"


def _engine_label(section) -> tuple[str, str]:
    kind = section.kind
    if kind == "vllm":
        v = section.vllm
        mode = "async, continuous batching" if v.continuous else "blocking batches"
        kind = f"vllm in-process ({mode}, tensor_parallel_size {v.tensor_parallel_size})"
    elif kind == "openai":
        kind = f"openai-compatible server at {section.openai.base_url}"
    return kind, section.model


def _placement(config: Config) -> str:
    tr = config.task_runner
    gpus = config.engine.vllm.tensor_parallel_size if config.engine.kind == "vllm" else 0
    if tr.kind == "threads":
        where = "one process"
    else:
        where = f"{tr.kind} cluster at {tr.address}" if tr.address else f"local {tr.kind} cluster"
        where += f", {tr.workers} workers (data-parallel replicas, one model each)"
    if gpus:
        workers = tr.workers if tr.kind != "threads" else 1
        where += f"; {gpus} GPU(s) per model, {gpus * workers} in all"
    return where


def plan(config: Config, steps: float | None = None, tokens_per_step: int = 60) -> Plan:
    """The plan of a run; ``steps`` per solution defaults to the synthetic world's mean, else 8."""
    p, g = config.problems, config.generate
    if steps is None:
        steps = (p.synthetic.min_steps + p.synthetic.max_steps) / 2 if p.source.startswith("synthetic:") else 8
    problems, note = count_problems(config)
    n = problems or 0
    rollouts = n * g.samples
    prefixes = max(steps - 1, 0)  # the last step is judged by the final answer
    full = min(g.max_tokens, round(steps * tokens_per_step))
    out = Plan(config.run_id(), p.source, problems, note, rollouts if problems is not None else None,
               steps, tokens_per_step, _placement(config))
    kind, model = _engine_label(config.engine)
    out.stages.append(StagePlan("generate", kind, model, n, rollouts, rollouts, rollouts * full,
                                rollouts * g.max_tokens))
    for name in config.label.labelers:
        section = getattr(config.label, name)
        if name == "mc":
            rest = min(section.max_tokens, round(steps / 2 * tokens_per_step))  # from a middle prefix on
            per_prefix_max = section.k if section.estimator == "any" else min(section.k, section.per_step_budget)
            per_prefix = section.k if section.estimator == "any" else section.initial
            c, c_max = round(rollouts * prefixes * per_prefix), round(rollouts * prefixes * per_prefix_max)
            req = round(rollouts * prefixes)
            out.stages.append(StagePlan("mc", kind, model, req, c, c_max, c * rest, c_max * section.max_tokens,
                                        f"{section.estimator}, k = {section.k}"))
        elif name == "omegaprm":
            rest = min(section.max_tokens, round(steps / 2 * tokens_per_step))
            c_max = n * section.rollout_budget
            req = n * -(-section.rollout_budget // min(section.k, section.round_size))
            out.stages.append(StagePlan("omegaprm", kind, model, req, c_max, c_max, c_max * rest,
                                        c_max * section.max_tokens,
                                        f"budget {section.rollout_budget} per question, k = {section.k}"))
        elif name == "judge":
            jkind, jmodel = _engine_label(section.engine)
            sent = 1 if section.temperature == 0 else section.samples
            c = rollouts * sent
            critique = min(section.max_tokens, round(steps * tokens_per_step))
            out.stages.append(StagePlan("judge", jkind, jmodel, rollouts, c, c, c * critique,
                                        c * section.max_tokens, f"{sent} critique(s) per rollout"))
        else:
            out.stages.append(StagePlan(name, "none", "-", 0, 0, 0, 0, 0,
                                        "reads stored labels" if name == "consensus" else "no model"))
    return out
