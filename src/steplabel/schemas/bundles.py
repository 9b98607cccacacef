"""What one stage hands the next for one batch: the records it produced and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field

from steplabel.schemas.records import QuarantineRecord, Rollout, Step, StepLabel


@dataclass
class Generated:
    rollouts: list[Rollout] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    cost: dict = field(default_factory=dict)


@dataclass
class Labeled:
    labels: list[StepLabel] = field(default_factory=list)
    rollouts: list[Rollout] = field(default_factory=list)  # solutions the labeler sampled
    steps: list[Step] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)
    counters: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
