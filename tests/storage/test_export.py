import asyncio
import json

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.config import load_config
from steplabel.pipeline.run import run_direct
from steplabel.storage.export import export, normalize_text
from steplabel.registry import export_format

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("export") / "store"
    cfg = load_config(None, {"run.store": str(root), "problems.limit": 20, "generate.samples": 2,
                             "label.mc.k": 4, "label.labelers": ["mc", "judge", "consensus"]})
    asyncio.run(run_direct(cfg))
    return root


def test_trl_export_loads_with_datasets_and_follows_the_conventions(store, tmp_path):
    import datasets

    result = export(store, tmp_path / "trl", export_format("trl"))
    assert result.labeler == "consensus" and result.rows == result.counts["exported"] > 0
    assert result.counts["rejected"] > 0  # rejected rollouts were left out
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "trl" / "data" / "default"), split="train")
    assert ds.features["completions"].feature.dtype == "string" and ds.features["labels"].feature.dtype == "bool"
    assert len(ds) == result.rows
    for row in ds:
        assert len(row["completions"]) == len(row["labels"]) > 0
        # up to and including the first error: at most one False, and only at the end
        assert row["labels"][:-1] == [True] * (len(row["labels"]) - 1)


def test_soft_and_processbench_forms(store, tmp_path):
    import datasets

    export(store, tmp_path / "soft", export_format("soft"), labeler="mc")
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "soft" / "data" / "default"), split="train")
    assert "scores" in ds.features and all(len(r["scores"]) == len(r["labels"]) for r in ds)
    assert (tmp_path / "soft" / "plots" / "default" / "train" / "score_distribution.png").exists()
    pb = export(store, tmp_path / "pb", export_format("processbench"), labeler="mc")
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "pb" / "data" / "default"), split="train")
    assert set(ds.features) == {"id", "problem", "steps", "label", "run_id", "rollout_id", "labeler"}
    assert len(ds) == pb.rows and all(r["id"] == r["rollout_id"] for r in ds)  # ProcessBench's id: the rollout
    assert all(-1 <= r["label"] < len(r["steps"]) for r in ds)


def test_card_parses_back_with_provenance_and_no_secrets(store, tmp_path, monkeypatch):
    from huggingface_hub import DatasetCard

    monkeypatch.setenv("OPENAI_API_KEY", "sk-PLANTED-999")
    export(store, tmp_path / "card", export_format("trl"))
    card = DatasetCard.load(tmp_path / "card" / "README.md")
    assert card.data.license == "apache-2.0" and "process-reward-model" in card.data.tags
    assert card.data.configs[0]["data_files"][0]["path"] == "data/default/train-*"
    assert "code_revision" in card.text and "simulated-critic" in card.text
    assert "sk-PLANTED-999" not in (tmp_path / "card" / "README.md").read_text()


def test_contamination_guard(store, tmp_path):
    from steplabel.storage.catalog import connect

    questions = [q for (q,) in connect(store).execute("SELECT question FROM problems LIMIT 3").fetchall()]
    evalset = tmp_path / "eval.jsonl"
    evalset.write_text("\n".join(json.dumps({"problem": "  " + q.upper() + " "}) for q in questions))
    full = export(store, tmp_path / "a", export_format("processbench"), labeler="mc")
    guarded = export(store, tmp_path / "b", export_format("processbench"), labeler="mc", exclude_file=evalset)
    assert guarded.counts["excluded_contaminated"] > 0
    assert guarded.rows == full.rows - guarded.counts["excluded_contaminated"]
    assert normalize_text("Ava has 3 apples!") == normalize_text("ava  has 3 APPLES")


def test_export_cli(store, tmp_path):
    result = runner.invoke(app, ["export", "--format", "trl", "--out", str(tmp_path / "cli"), "--store", str(store)])
    assert result.exit_code == 0 and "exported" in result.output
    bad = runner.invoke(app, ["export", "--format", "xml", "--out", str(tmp_path / "x"), "--store", str(store)])
    assert bad.exit_code == 2 and "unknown export format" in bad.output


def test_trl_prm_tokenize_step_accepts_the_export(store, tmp_path, tiny_model):
    """TRL's own PRM preprocessing (trl 1.13, the last with PRMTrainer) on the export, with a
    tiny local tokenizer: every step gets its label on its last token."""
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    prm = pytest.importorskip("trl.experimental.prm")
    import datasets
    from transformers import AutoTokenizer

    export(store, tmp_path / "trl", export_format("trl"))
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "trl" / "data" / "default"), split="train")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    kwargs = {"tokenizer": tokenizer, "step_separator": "\n", "max_length": None, "max_completion_length": None,
              "train_on_last_step_only": False, "is_eval": False}
    for source in ds:
        row = prm.PRMTrainer.tokenize_row(source, **kwargs)
        labeled = [x for x in row["labels"] if x != -100]
        assert labeled == [int(x) for x in source["labels"]]
        assert len(row["input_ids"]) == len(row["labels"])


def test_export_rows_never_make_up_scores_or_correct_steps():
    def export_row(form, *args):
        return export_format(form).row(*args)

    steps = ["a", "b", "c"]
    soft = export_row("soft", "q", steps, [True, True, False], [0.75, None, 0.0], 2)
    assert soft["scores"] == [0.75, None, 0.0]  # no score stays null, not 1.0 from the label
    assert soft["labels"] == [True, True, False]
    # an unknown step before the first error (or in a "-1" rollout): not exported in any form
    for form in ("trl", "soft", "processbench"):
        assert export_row(form, "q", steps, [True, None, True], [1.0, None, 1.0], -1) is None
        assert export_row(form, "q", steps, [None, False, None], [None, 0.0, None], 1) is None
    assert export_row("processbench", "q", steps, [True, True, True], [None] * 3, -1)["label"] == -1


def test_min_confidence_export_and_card(store, tmp_path):
    everything = export(store, tmp_path / "all", export_format("trl"), labeler="mc")
    sure = export(store, tmp_path / "sure", export_format("trl"), labeler="mc", min_confidence=0.99)
    assert everything.counts["below_confidence"] == 0
    assert sure.rows + sure.counts["below_confidence"] == everything.rows
    assert all(c >= 0.99 for c in sure.counts["confidences"])
    card = (tmp_path / "sure" / "README.md").read_text()
    assert "mc estimator in run" in card and "`noise_aware`" in card and "label confidence" in card
    # Labelers without a posterior state no confidence: a threshold leaves them all out.
    judged = export(store, tmp_path / "judge", export_format("trl"), labeler="judge", min_confidence=0.5)
    assert judged.rows == 0 and judged.counts["below_confidence"] > 0
    cli = runner.invoke(app, ["export", "--store", str(store), "--out", str(tmp_path / "cli"), "--labeler", "mc",
                              "--min-confidence", "0.99"])
    assert cli.exit_code == 0 and "below confidence" in cli.stderr


# ------------------------------------------------------------------ reproducible folders (#15)


def _shards(folder):
    return sorted(p.relative_to(folder).as_posix() for p in (folder / "data").rglob("*.parquet"))


def test_export_into_a_non_empty_folder_is_refused_and_overwrite_leaves_only_the_new_shards(store, tmp_path):
    out = tmp_path / "out"
    export(store, out, export_format("trl"))
    stale = out / "data" / "default" / "train-00001-of-00002.parquet"  # an older, bigger export's shard
    stale.write_bytes(b"old")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export(store, out, export_format("trl"))
    assert stale.exists()  # refused: nothing touched
    result = export(store, out, export_format("soft"), labeler="mc", overwrite=True, shard_rows=10)
    assert _shards(out) == sorted(p.relative_to(out).as_posix() for p in result.files)
    assert not stale.exists() and len(result.files) > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary sibling left behind


def test_a_failed_export_leaves_the_old_folder_as_it_was(store, tmp_path, monkeypatch):
    import steplabel.storage.card as card

    out = tmp_path / "out"
    first = export(store, out, export_format("trl"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(card, "write_card", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export(store, out, export_format("soft"), labeler="mc", overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before and first.files[0].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_export_cli_refuses_a_non_empty_folder_and_overwrites_on_request(store, tmp_path):
    args = ["export", "--format", "trl", "--out", str(tmp_path / "cli"), "--store", str(store)]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "not empty" in again.output
    named = runner.invoke(app, [*args, "--overwrite", "--config-name", "mc-soft", "--labeler", "mc"])
    assert named.exit_code == 0
    assert _shards(tmp_path / "cli") == ["data/mc-soft/train-00000-of-00001.parquet"]
    bad = runner.invoke(app, [*args, "--overwrite", "--config-name", "../x"])
    assert bad.exit_code == 2 and "config name" in bad.output


# ------------------------------------------------------------------ provenance and forms (#15)


def test_every_row_joins_back_to_the_store_step_labels(store, tmp_path):
    from steplabel.storage.catalog import connect

    result = export(store, tmp_path / "j", export_format("soft"), labeler="mc")
    con = connect(store)
    shards = str(tmp_path / "j" / "data" / "default" / "*.parquet")
    joined = con.execute(
        f"SELECT e.rollout_id, len(e.labels), count(l.step_index), "
        "list(l.label ORDER BY l.step_index) FILTER (WHERE l.step_index < len(e.labels)), e.labels "
        f"FROM read_parquet('{shards}') e JOIN step_labels l USING (run_id, rollout_id, labeler) "
        "GROUP BY e.rollout_id, e.labels").fetchall()
    assert len(joined) == result.rows > 0  # every row found its labels
    for _, kept, total, store_labels, labels in joined:
        assert total >= kept and store_labels == labels  # the exported labels are the store's


def test_openrlhf_and_math_shepherd_rows_have_the_exact_shape():
    steps = ["She has 3 + 4 = 7 apples.", "Step 2: She eats 2,\nso 7 - 2 = 4.", "The answer is 4."]
    labels, scores = [True, False, None], [0.9, 0.0, None]
    question = "Ava has 3 apples and buys 4. She eats 2. How many are left?"
    tagged = ("Ava has 3 apples and buys 4. She eats 2. How many are left? "
              "Step 1: She has 3 + 4 = 7 apples. ки\nStep 2: She eats 2, so 7 - 2 = 4. ки")
    assert export_format("openrlhf").row(question, steps, labels, scores, 1) == {"input": tagged, "value": ["+", "-"]}
    assert export_format("math-shepherd").row(question, steps, labels, scores, 1) == {
        "input": tagged,
        "label": ("Ava has 3 apples and buys 4. She eats 2. How many are left? "
                  "Step 1: She has 3 + 4 = 7 apples. +\nStep 2: She eats 2, so 7 - 2 = 4. -"),
    }
    # a stray tag in the text would shift every label a trainer aligns with the tags
    row = export_format("openrlhf").row("q ки", ["a ки b", "c"], [True, True], [None, None], -1)
    assert row["input"].count("ки") == len(row["value"]) == 2
    for form in ("openrlhf", "math-shepherd"):
        assert export_format(form).row("q", ["a", "b"], [None, False], [None, None], 1) is None


@pytest.mark.parametrize("form,columns", [("openrlhf", {"input", "value"}), ("math-shepherd", {"input", "label"})])
def test_step_tag_exports_load_with_one_label_per_tag(store, tmp_path, form, columns):
    import datasets

    result = export(store, tmp_path / form, export_format(form))
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / form / "data" / "default"), split="train")
    assert set(ds.features) == columns | {"run_id", "rollout_id", "labeler"} and len(ds) == result.rows > 0
    fmt = export_format(form)
    for row in ds:
        marks = fmt.marks(row)
        assert row["input"].count("ки") == len(marks) > 0 and set(marks) <= {"+", "-"}
        assert "-" not in marks[:-1]  # up to and including the first error
