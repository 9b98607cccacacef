"""The run configuration: a TOML file validated with pydantic. Every CLI flag has a key here."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from pydantic import ValidationError

from steplabel.config.base import _Section
from steplabel.config.engine import ENGINE_KINDS, EngineSection, SandboxEngine
from steplabel.config.label import LabelSection
from steplabel.config.problems import GenerateSection, ProblemsSection, content_digest
from steplabel.config.run import RunSection, TaskRunnerSection


class Config(_Section):
    run: RunSection = RunSection()
    problems: ProblemsSection = ProblemsSection()
    generate: GenerateSection = GenerateSection()
    engine: EngineSection = SandboxEngine()
    label: LabelSection = LabelSection()
    task_runner: TaskRunnerSection = TaskRunnerSection()

    def run_id(self) -> str:
        """Explicit ``run.run_id``, else name + a hash of everything that shapes the output,
        so the same command twice is the same run (and the second resumes the first)."""
        if self.run.run_id:
            return self.run.run_id
        shaping = self.model_dump(exclude={"run": {"store", "run_id", "batch_size", "max_failed_share"},
                                           "task_runner": True})
        if self.problems.solutions:  # the given solutions' content, not only their file name
            shaping["solutions_content"] = content_digest(self.problems.solutions)
        else:  # keys added with given solutions leave the ids of other runs as they were
            for section, key in (("problems", "solutions"), ("problems", "solution_column"), ("generate", "top_up")):
                shaping[section].pop(key)
        digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.run.name}-{digest}"


class ConfigError(Exception):
    """A configuration the user must fix; the message names the file and the key."""


# The reason behind a bound, said with the error (the README's "Bounds" lists every one).
WHY = {
    "less_than_equal": " (a bound: a larger value is taken for a typo or a unit mistake that would run for hours "
                       "or exhaust memory before anything is stored)",
    "less_than": " (a bound: a larger value is taken for a typo or a unit mistake)",
    "finite_number": " (inf or nan as a limit would never end or never compare)",
}


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        # Union members show up in the location as their tag ("engine.vllm.model"): drop it.
        loc = [str(p) for p in err["loc"]]
        loc = [p for i, p in enumerate(loc) if not (i and loc[i - 1] == "engine" and p in ENGINE_KINDS)]
        key = ".".join(loc)
        lines.append(f"{key or 'the file'}: {err['msg']}{WHY.get(err['type'], '')}")
    # One line, so a log or a terminal shows the whole error where it shows any of it.
    return f"{origin}: invalid configuration: " + "; ".join(lines)


def _set(data: dict, dotted: str, value) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for i, p in enumerate(parents):
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ValueError(f"{'.'.join(parents[: i + 1])}: must be a section ([{'.'.join(parents[: i + 1])}]), "
                              f"got {type(node).__name__} {node!r}")
    node[leaf] = value


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> Config:
    """Read a TOML file (optional) and apply dotted-key overrides such as ``run.seed``."""
    data: dict = {}
    origin = "the command line"
    if path is not None:
        origin = str(path)
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    for key, value in (overrides or {}).items():
        if value is not None:
            try:
                _set(data, key, value)
            except ValueError as exc:
                raise ConfigError(f"{origin}: invalid configuration: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from exc
