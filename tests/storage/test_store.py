import os
from pathlib import Path

import pytest

from steplabel.schemas import Problem, StepLabel
from steplabel.storage import RunManifest, Store, connect, list_manifests, read_manifest, write_manifest


def problems(n, run="r1"):
    return [Problem(f"p{i}", "src", f"q{i}", str(i), run_id=run) for i in range(n)]


def test_shard_is_written_atomically_and_leaves_no_temporary(tmp_path):
    store = Store(tmp_path)
    path = Path(store.write("problems", {"run_id": "r1"}, "00000", problems(3)))
    assert path == tmp_path / "problems" / "run_id=r1" / "part-00000.parquet"
    assert os.listdir(path.parent) == ["part-00000.parquet"]
    assert store.has_shard("problems", {"run_id": "r1"}, "00000")
    assert store.read("problems", {"run_id": "r1"}, "00000").num_rows == 3


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    store = Store(tmp_path)

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)  # the bytes are half on disk when it fails
    with pytest.raises(OSError, match="No space"):
        store.write("problems", {"run_id": "r1"}, "00000", problems(1))
    folder = tmp_path / "problems" / "run_id=r1"
    assert list(folder.iterdir()) == []


def test_rewriting_a_shard_replaces_it(tmp_path):
    store = Store(tmp_path)
    store.write("problems", {"run_id": "r1"}, "00000", problems(3))
    store.write("problems", {"run_id": "r1"}, "00000", problems(3))
    con = connect(tmp_path)
    assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 3


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", ".."])
def test_unsafe_partition_values_are_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="unsafe"):
        Store(tmp_path).shard_path("problems", {"run_id": bad}, "00000")


def test_partitions_must_match_the_table(tmp_path):
    with pytest.raises(ValueError, match="partitioned by"):
        Store(tmp_path).shard_path("step_labels", {"run_id": "r"}, "00000")


def test_views_on_an_empty_store_have_columns(tmp_path):
    con = connect(tmp_path)
    for view in ("problems", "rollouts", "steps", "step_labels", "quarantine", "runs"):
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0
    cols = [r[0] for r in con.execute("DESCRIBE step_labels").fetchall()]
    assert {"label", "score", "first_error", "evidence", "rollouts"} <= set(cols)


def test_views_read_hive_partitions_and_ignore_temporaries(tmp_path):
    store = Store(tmp_path)
    store.write("problems", {"run_id": "r1"}, "00000", problems(2, "r1"))
    store.write("problems", {"run_id": "007"}, "00000", problems(3, "007"))
    (tmp_path / "problems" / "run_id=r1" / ".part-00001.parquet.tmp-1-abc").write_bytes(b"half a shard")
    label = StepLabel("r1", "ro", "p0", 0, "mc", True, 1.0, -1)
    store.write("step_labels", {"run_id": "r1", "labeler": "mc"}, "00000", [label])
    con = connect(tmp_path)
    rows = dict(con.execute("SELECT run_id, count(*) FROM problems GROUP BY 1").fetchall())
    assert rows == {"r1": 2, "007": 3}  # '007' stays text, not the number 7
    assert con.execute("SELECT labeler, label FROM step_labels").fetchall() == [("mc", True)]


def test_manifests_and_runs_view(tmp_path):
    m = RunManifest(run_id="r1", name="demo", config={"run": {"seed": 3}}, seed=3, counts={"problems": 5})
    write_manifest(tmp_path, m)
    back = read_manifest(tmp_path, "r1")
    assert back.status == "running" and back.versions["pyarrow"] and back.counts == {"problems": 5}
    back.status = "completed"
    write_manifest(tmp_path, back)
    assert [x.status for x in list_manifests(tmp_path)] == ["completed"]
    con = connect(tmp_path)
    assert con.execute(
        "SELECT run_id, status, seed, counts->>'problems', config->'run'->>'seed' FROM runs"
    ).fetchall() == [("r1", "completed", 3, "5", "3")]
    assert read_manifest(tmp_path, "nope") is None
