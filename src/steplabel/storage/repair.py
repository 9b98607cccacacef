"""A damaged store repairs itself on rerun.

Why: a rerun skips a batch whose shards exist, and reads them back. A shard deleted by hand or
left unreadable (a disk error, a truncated copy) would make every rerun fail in the same place,
and "run the same command again" could never help. Before the batches run, each batch's shards
are checked (present where the batch is marked done, and readable); what is damaged is set
aside (``part-….parquet.damaged``), everything that was derived from it is removed, and the
batch's stages run again. The run manifest lists what was rebuilt and why.

Rules (one batch, its shards named ``part-<batch>``):
- generation is marked done by its ``rollouts`` shard; its ``problems`` and ``steps`` shards
  (and ``quarantine/generate-<batch>`` when present) must be readable with it. If any is
  missing or unreadable, generation and every labeler of the batch are redone (labels describe
  the rollouts they were made from).
- a batch whose ``rollouts`` shard is gone while labels remain: the labels go too.
- a labeler's ``step_labels`` shard missing while a later labeler's is stored (they are stored
  in order) was deleted: it is labeled again (as a resumed run would) and the manifest says so.
- a labeler is marked done by its ``step_labels`` shard; it and the labeler's own shards
  (sampled solutions, trees) must be readable, else that labeler is redone, and so is
  everything that reads stored labels (consensus), because a labeler redone marks the batch
  changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from steplabel.storage.batches import part_name
from steplabel.storage.location import StoreError
from steplabel.storage.shards import Store


@dataclass(frozen=True)
class Rebuilt:
    batch: int
    what: str  # "generation" (and every labeler) or "labels:<labeler>"
    reason: str

    def as_dict(self) -> dict:
        return {"batch": self.batch, "rebuilt": self.what, "reason": self.reason}


def _unreadable(store: Store, table: str, where: dict, part: str) -> str | None:
    """Why a present shard cannot be read back, or None."""
    import pyarrow as pa

    try:
        store.read(table, where, part)
    except StoreError:
        raise  # the store itself failing (a disk, a bucket): not a damaged shard
    except (OSError, ValueError, RuntimeError, pa.ArrowException) as exc:  # what pyarrow raises on bad bytes
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return None


def _problem(store: Store, table: str, where: dict, part: str, required: bool) -> str | None:
    name = "/".join([table, *(f"{k}={v}" for k, v in where.items() if k != "run_id"), f"part-{part}.parquet"])
    if not store.has_shard(table, where, part):
        return f"{name} is missing" if required else None
    why = _unreadable(store, table, where, part)
    return f"{name} is unreadable ({why})" if why else None


def _shards_of_labeler(run_id: str, labeler: str, part: str) -> list[tuple[str, dict, str]]:
    run = {"run_id": run_id}
    own = {"run_id": run_id, "labeler": labeler}
    return [("step_labels", own, part), ("trees", own, part), ("rollouts", run, f"{labeler}-{part}"),
            ("steps", run, f"{labeler}-{part}")]


def _clear(store: Store, shards: list[tuple[str, dict, str]], damaged: set[tuple]) -> None:
    for table, where, part in shards:
        path = store.shard_path(table, where, part)
        if (table, part, tuple(sorted(where.items()))) in damaged and store.location.exists(path):
            store.location.set_aside(path)
        else:
            store.location.remove(path)


def repair_batch(store: Store, run_id: str, batch: int, labelers: list[str]) -> list[Rebuilt]:
    part, run = part_name(batch), {"run_id": run_id}
    generation = [("problems", run, part), ("steps", run, part), ("rollouts", run, part),
                  ("quarantine", run, f"generate-{part}")]
    labels_of = {name: _shards_of_labeler(run_id, name, part) for name in labelers}
    any_labels = [name for name in labelers if store.has_shard("step_labels", labels_of[name][0][1], part)]
    if not store.has_shard("rollouts", run, part):
        if not any_labels:
            return []  # not generated yet (or killed while storing it): the run does it anyway
        _clear(store, [s for name in labelers for s in labels_of[name]], set())
        return [Rebuilt(batch, "generation", f"rollouts/part-{part}.parquet is missing but labels were stored")]
    for table, where, name in generation:
        why = _problem(store, table, where, name, required=table != "quarantine")
        if why:
            damaged = {(table, name, tuple(sorted(where.items())))}
            _clear(store, generation + [s for n in labelers for s in labels_of[n]], damaged)
            return [Rebuilt(batch, "generation", why)]
    rebuilt = []
    for i, name in enumerate(labelers):  # labelers store in order: a gap before a stored one was deleted
        if name not in any_labels and any(later in any_labels for later in labelers[i + 1:]):
            rebuilt.append(Rebuilt(batch, f"labels:{name}", f"step_labels/labeler={name}/part-{part}.parquet is "
                                   "missing while later labelers' labels were stored"))
    for name in any_labels:
        for table, where, shard in labels_of[name]:
            why = _problem(store, table, where, shard, required=table == "step_labels")
            if why:
                _clear(store, labels_of[name], {(table, shard, tuple(sorted(where.items())))})
                rebuilt.append(Rebuilt(batch, f"labels:{name}", why))
                break
    return rebuilt


def repair_run(store: Store, run_id: str, batches: int, labelers: list[str]) -> list[Rebuilt]:
    """Every batch of a run checked; what was set aside and will be recomputed."""
    out: list[Rebuilt] = []
    for b in range(batches):
        out.extend(repair_batch(store, run_id, b, labelers))
    return out
