"""One batch's shards: what each stage stores, how a rerun tells what is done, and reading it back.

The last shard a stage writes marks it done (rollouts for generation, step_labels for a
labeler), so a run killed half-way leaves a batch either done or to be redone, never half-read.
"""

from __future__ import annotations

from steplabel.schemas import Generated, Labeled, Problem, QuarantineRecord, Rollout, Step, StepLabel
from steplabel.storage.shards import Store


def part_name(batch_index: int) -> str:
    return f"{batch_index:05d}"


def store_generated(store: Store, run_id: str, batch_index: int, problems: list[Problem], gen: Generated) -> None:
    """Rollouts go last: their shard marks the batch as generated."""
    part, where = part_name(batch_index), {"run_id": run_id}
    store.write("problems", where, part, problems)
    store.write("steps", where, part, gen.steps)
    store.write("quarantine", where, f"generate-{part}", gen.quarantine)
    store.write("rollouts", where, part, gen.rollouts)


def read_generated(store: Store, run_id: str, batch_index: int) -> Generated:
    part, where = part_name(batch_index), {"run_id": run_id}
    rollouts = [Rollout(**row) for row in store.read("rollouts", where, part).to_pylist()]
    steps = [Step(**row) for row in store.read("steps", where, part).to_pylist()]
    quarantine = []
    if store.has_shard("quarantine", where, f"generate-{part}"):
        quarantine = [QuarantineRecord(**row) for row in store.read("quarantine", where, f"generate-{part}").to_pylist()]
    return Generated(rollouts=rollouts, steps=steps, quarantine=quarantine)


def is_generated(store: Store, run_id: str, batch_index: int) -> bool:
    return store.has_shard("rollouts", {"run_id": run_id}, part_name(batch_index))


def is_labeled(store: Store, run_id: str, batch_index: int, labeler: str) -> bool:
    return store.has_shard("step_labels", {"run_id": run_id, "labeler": labeler}, part_name(batch_index))


def store_labels(store: Store, run_id: str, batch_index: int, labeler: str, labeled: Labeled) -> None:
    """Sampled solutions and trees first; the labels shard marks the batch as labeled."""
    part, where = part_name(batch_index), {"run_id": run_id}
    if labeled.rollouts:
        store.write("steps", where, f"{labeler}-{part}", labeled.steps)
        store.write("rollouts", where, f"{labeler}-{part}", labeled.rollouts)
    if labeled.trees:
        store.write("trees", {"run_id": run_id, "labeler": labeler}, part, labeled.trees)
    store.write("step_labels", {"run_id": run_id, "labeler": labeler}, part, labeled.labels)


def read_labels(store: Store, run_id: str, batch_index: int, labeler: str) -> list[StepLabel]:
    table = store.read("step_labels", {"run_id": run_id, "labeler": labeler}, part_name(batch_index))
    return [StepLabel(**row) for row in table.to_pylist()]


def read_labeled(store: Store, run_id: str, batch_index: int, labeler: str) -> Labeled:
    """Everything a labeler stored for a batch: labels, the solutions it sampled, its trees."""
    part, where = part_name(batch_index), {"run_id": run_id}
    out = Labeled(labels=read_labels(store, run_id, batch_index, labeler))
    if store.has_shard("rollouts", where, f"{labeler}-{part}"):
        out.rollouts = [Rollout(**row) for row in store.read("rollouts", where, f"{labeler}-{part}").to_pylist()]
        out.steps = [Step(**row) for row in store.read("steps", where, f"{labeler}-{part}").to_pylist()]
    if store.has_shard("trees", {"run_id": run_id, "labeler": labeler}, part):
        out.trees = store.read("trees", {"run_id": run_id, "labeler": labeler}, part).to_pylist()
    return out


def store_load_quarantine(store: Store, run_id: str, quarantine: list[QuarantineRecord]) -> None:
    store.write("quarantine", {"run_id": run_id}, "load", quarantine)
