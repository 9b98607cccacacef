"""Issue 18's corpus of hostile inputs (``tests/reliability/hostile.py``): problem rows, problem
files, configs, model outputs, server replies, evaluation records, store damage and CLI misuse.
Every case asserts its one outcome: a quarantine row with its reason, a one-line ``error:``
naming the file, line or key with exit 2 (1 for a store that cannot be read), or a completed run;
never a traceback, a hang (calls run under a generous bound) or a stored row that changes."""

import asyncio
import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from steplabel.cli import app
from steplabel.storage import connect
from steplabel.storage.manifest import read_manifest
from tests.bounded import bounded
from tests.reliability import hostile

runner = CliRunner()
GOOD = [hostile.row(f"Ava has {i} apples and finds 2 more. How many?", str(i + 2), id=f"good-{i}") for i in range(2)]


def _invoke(args):
    result = bounded(runner.invoke, app, args)
    assert "Traceback" not in result.output, result.output[-2000:]
    return result


def _one_error_line(result, code, *named):
    assert result.exit_code == code, result.output[-2000:]
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for name in named:
        assert name in errors[0], (name, errors[0])
    return errors[0]


# ------------------------------------------------------------------ problem rows


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One run over a file holding every hostile row: the good rows go through."""
    tmp = tmp_path_factory.mktemp("rows")
    data = tmp / "problems.jsonl"
    lines = [line.encode() for line in [GOOD[0]]] + [r.encode() for _, r, _ in hostile.ROWS]
    lines += [b for _, b in hostile.BAD_BYTES] + [r.encode() for _, r, _ in hostile.ACCEPTED_ROWS]
    lines.append(GOOD[1].encode())
    data.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")  # a BOM costs no row
    result = _invoke(["run", "--no-prefect", "--store", str(tmp / "store"), "--problems", str(data),
                      "--samples", "1", "--labelers", "verify", "--json"])
    assert result.exit_code == 0, result.output[-3000:]
    con = connect(tmp / "store")
    found = dict(con.execute("SELECT location, reason FROM quarantine WHERE stage = 'load'").fetchall())
    ids = {r[0] for r in con.execute("SELECT problem_id FROM problems").fetchall()}
    return data, found, ids


@pytest.mark.parametrize("i", range(len(hostile.ROWS)), ids=[name for name, _, _ in hostile.ROWS])
def test_hostile_row_is_quarantined_with_its_reason(loaded, i):
    data, found, _ = loaded
    location = f"{data}:{i + 2}"
    assert hostile.ROWS[i][2] in found[location], found.get(location)


@pytest.mark.parametrize("i", range(len(hostile.BAD_BYTES)), ids=[name for name, _ in hostile.BAD_BYTES])
def test_bytes_that_are_not_utf8_are_quarantined(loaded, i):
    data, found, _ = loaded
    assert "invalid UTF-8" in found[f"{data}:{len(hostile.ROWS) + i + 2}"]


@pytest.mark.parametrize("i", range(len(hostile.ACCEPTED_ROWS)), ids=[name for name, _, _ in hostile.ACCEPTED_ROWS])
def test_hostile_looking_valid_rows_are_stored(loaded, i):
    _, found, ids = loaded
    assert hostile.ACCEPTED_ROWS[i][2] in ids


def test_the_bom_line_and_the_last_line_are_read(loaded):
    _, _, ids = loaded
    assert {"good-0", "good-1"} <= ids


# ------------------------------------------------------------------ problem files


@pytest.mark.parametrize("i", range(len(hostile.FILES)), ids=[name for name, *_ in hostile.FILES])
def test_hostile_problem_file_exits_2_naming_it(tmp_path, i):
    name, filename, content, message = hostile.FILES[i]
    path = tmp_path / filename if not filename.startswith("/") else filename
    if content is not None:
        path.write_bytes(content)
    elif name == "a directory":
        path.mkdir()
    elif name == "a FIFO":
        os.mkfifo(path)
    result = _invoke(["run", "--no-prefect", "--store", str(tmp_path / "s"), "--problems", str(path)])
    _one_error_line(result, 2, str(path), message)


# ------------------------------------------------------------------ configs


@pytest.mark.parametrize("i", range(len(hostile.CONFIGS)), ids=[name for name, *_ in hostile.CONFIGS])
def test_hostile_config_exits_2_naming_file_and_key(tmp_path, i):
    _, text, key = hostile.CONFIGS[i]
    config = tmp_path / "bad.toml"
    config.write_bytes(text.encode() if text is not None else b"[run]\nname = '\xff'\n")
    result = _invoke(["run", str(config), "--no-prefect", "--store", str(tmp_path / "s"), "--limit", "2"])
    _one_error_line(result, 2, str(config), key)
    assert not (tmp_path / "s").exists()  # nothing was started


def test_a_scalar_section_under_a_flag_names_the_section(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("run = 5\n")
    result = _invoke(["run", str(config), "--no-prefect", "--store", str(tmp_path / "s")])  # --store sets run.store
    _one_error_line(result, 2, str(config), "run: must be a section")


# ------------------------------------------------------------------ model outputs


def _verify(steps):
    from dataclasses import replace

    from steplabel.labelers.verify import VerifyLabeler
    from tests.labelers.test_mc import make_task

    task = replace(make_task(len(steps)), text="\n\n".join(steps), steps=tuple(steps),
                   step_ends=tuple(range(1, len(steps) + 1)))
    return asyncio.run(VerifyLabeler().label(task))


MODEL_OUTPUTS = {
    **{f"step: {k}": v for k, v in __import__("tests.labelers.verify.test_guards", fromlist=["x"]).HOSTILE_STEPS.items()},
    "step: 200 unclosed braces": "{" * 200 + " 3 + 4 = 7",
    "step: a 1 MB line": "3 + 4 = 7 " + "a" * 1_000_000,
    "step: only '='": "=" * 5000,
}


@pytest.mark.parametrize("name", sorted(MODEL_OUTPUTS))
def test_a_hostile_step_is_labeled_or_abstained(name):
    rows = bounded(_verify, ["We start.", MODEL_OUTPUTS[name]])
    assert len(rows) == 2 and {r.status for r in rows} <= {"labeled", "abstained", "after_error"}


FINAL_ANSWERS = ["\\boxed{2^{2^{2^{100}}}}", "\\boxed{9^{9^{9}}}", "\\boxed{10^{10^{10}}}", "\\boxed{100000!}",
                 "\\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}", "\\boxed{" + "\\sqrt{" * 500 + "2" + "}" * 500 + "}",
                 "#### " + "9" * 5000, "the answer is \\frac{1}{0}", "\\boxed{NaN}", "\\boxed{\ud800}"]


@pytest.mark.parametrize("i", range(len(FINAL_ANSWERS)))
def test_a_hostile_final_answer_is_compared_not_crashed_on(i):
    from steplabel.problems.answers import check_answer

    answer, correct = bounded(check_answer, "5", "Step one.\n\n" + FINAL_ANSWERS[i])
    assert correct is False


# ------------------------------------------------------------------ server replies


@pytest.mark.parametrize("i", range(len(hostile.SERVER_REPLIES)), ids=[n for n, *_ in hostile.SERVER_REPLIES])
def test_a_hostile_reply_is_a_recorded_failure_or_n_completions(i):
    from steplabel.engines import GenerationRequest
    from steplabel.engines.openai import OpenAIBackend
    from tests.engines.fake_server import FakeOpenAIServer

    _, body, outcome = hostile.SERVER_REPLIES[i]
    with FakeOpenAIServer(reply=lambda payload: body) as server:
        backend = OpenAIBackend(server.base_url, "sandbox", max_retries=1, backoff_base_s=0.01, timeout_s=10)
        (g,) = bounded(asyncio.run, backend.generate_batch([GenerationRequest(prompt="Q?", n=2)]))
    if outcome == "failed":
        assert g.completions == [] and g.error.startswith("gave up after 2 attempts: malformed response")
    else:
        assert g.error is None and len(g.completions) == 2
        assert all(c.text.encode("utf-8") and isinstance(c.finish_reason, str) for c in g.completions)


def test_empty_replies_are_quarantined_and_a_rerun_retries_them(tmp_path):
    """The issue's case end to end: ``choices: []`` left problems without rollouts, not
    quarantined, and a rerun never retried them."""
    from tests.engines.fake_server import FakeOpenAIServer

    args = ["run", "--no-prefect", "--store", str(tmp_path / "s"), "--engine", "openai", "--model", "sandbox",
            "--limit", "3", "--samples", "2", "--labelers", "verify", "--run-id", "r", "--json"]
    config = tmp_path / "c.toml"
    with FakeOpenAIServer({"empty": 2}) as server:  # every prompt: two empty replies, then real ones
        config.write_text(f'[engine]\nkind = "openai"\nmodel = "sandbox"\n[engine.openai]\nbase_url = '
                          f'"{server.base_url}"\nmax_retries = 1\nbackoff_base_s = 0.01\n')
        first = _invoke([*args[:1], str(config), *args[1:]])
        con = connect(tmp_path / "s")
        reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine WHERE stage = 'generate'").fetchall()]
        assert first.exit_code == 1 and len(reasons) == 3  # every request failed: the run stops, recorded
        assert all("0 choice(s) for n=2" in r for r in reasons)
        second = _invoke([*args[:1], str(config), *args[1:]])
    assert second.exit_code == 0, second.output[-2000:]
    assert json.loads(second.stdout)["rollouts"] == 6


# ------------------------------------------------------------------ evaluation records


@pytest.mark.parametrize("i", range(len(hostile.EVAL_RECORDS)), ids=[n for n, *_ in hostile.EVAL_RECORDS])
def test_a_hostile_eval_record_is_skipped_and_named(tmp_path, i):
    _, line, reason = hostile.EVAL_RECORDS[i]
    good = json.dumps({"problem": "2 + 2?", "steps": ["2 + 2 = 4.", "So \\boxed{4}."], "label": -1, "answer": "4"})
    data = tmp_path / "eval.jsonl"
    data.write_text(good + "\n" + line + "\n")
    result = _invoke(["eval", "--labeler", "verify", "--data", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output[-2000:]
    report = json.loads(result.stdout)
    assert report["records"] == 1 and report["skipped"] == 1
    assert f"{data}:2" in report["skipped_records"][0] and reason in report["skipped_records"][0]


@pytest.mark.parametrize("content, message", [(b'{"problem": "caf\xe9"}\n', "invalid UTF-8"),
                                              (b"[" * 100_000 + b"]" * 100_000, "nested too deeply")])
def test_a_hostile_eval_file_exits_2_naming_it(tmp_path, content, message):
    data = tmp_path / "eval.json"
    data.write_bytes(content)
    result = _invoke(["eval", "--labeler", "verify", "--data", str(data)])
    _one_error_line(result, 2, str(data), message)


# ------------------------------------------------------------------ store damage


ARGS = ["--limit", "6", "--samples", "2", "--labelers", "mc,verify,consensus", "--run-id", "r", "--json"]


@pytest.fixture(scope="module")
def clean_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("clean") / "store"
    config = store.parent / "c.toml"
    config.write_text("[run]\nbatch_size = 3\n[label.mc]\nk = 4\n")
    result = _invoke(["run", str(config), "--no-prefect", "--store", str(store), *ARGS])
    assert result.exit_code == 0, result.output[-2000:]
    return store, config


def _rows(store):
    con = connect(store)
    out = {}
    for table in ("problems", "rollouts", "steps", "step_labels", "quarantine"):
        out[table] = sorted(map(str, con.execute(f"SELECT * FROM {table}").fetchall()))
    return out


DAMAGE = [  # (shard, how): the rerun sets it aside or removes what came from it, and recomputes
    ("rollouts/run_id=r/part-00000.parquet", "delete"),
    ("steps/run_id=r/part-00000.parquet", "delete"),
    ("problems/run_id=r/part-00001.parquet", "delete"),
    ("steps/run_id=r/part-00001.parquet", "garbage"),
    ("rollouts/run_id=r/part-00001.parquet", "truncate"),
    ("quarantine/run_id=r/part-generate-00000.parquet", "garbage"),
    ("step_labels/run_id=r/labeler=mc/part-00000.parquet", "delete"),
    ("step_labels/run_id=r/labeler=mc/part-00001.parquet", "zero pages"),
    ("step_labels/run_id=r/labeler=verify/part-00000.parquet", "truncate"),
    ("step_labels/run_id=r/labeler=consensus/part-00001.parquet", "garbage"),
    ("runs/run_id=r/manifest.json", "garbage"),
]


def _damage(path, how):
    data = path.read_bytes()
    if how == "delete":
        path.unlink()
    elif how == "garbage":
        path.write_bytes(b"not what was written")
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "zero pages":
        path.write_bytes(data[:100] + b"\x00" * 300 + data[400:])


@pytest.mark.parametrize("shard, how", DAMAGE, ids=[f"{how} {shard}" for shard, how in DAMAGE])
def test_a_damaged_store_repairs_itself_on_rerun(clean_store, tmp_path, shard, how):
    clean, config = clean_store
    store = tmp_path / "store"
    shutil.copytree(clean, store)
    _damage(store / shard, how)
    result = _invoke(["run", str(config), "--no-prefect", "--store", str(store), *ARGS])
    assert result.exit_code == 0, result.output[-2000:]
    assert _rows(store) == _rows(clean)  # the same rows as the undamaged run, none changed or lost
    rebuilt = read_manifest(store, "r").rebuilt
    if shard.endswith(".parquet"):
        assert len(rebuilt) == 1 and rebuilt[0]["batch"] == int(shard[-13:-8])
        if how != "delete":
            assert (store / f"{shard}.damaged").exists()  # kept for a person to look at
    again = _invoke(["run", str(config), "--no-prefect", "--store", str(store), *ARGS])
    assert again.exit_code == 0 and read_manifest(store, "r").rebuilt == rebuilt  # nothing more to repair


def test_stats_and_export_on_a_damaged_shard_say_so_in_one_line(clean_store, tmp_path):
    clean, _ = clean_store
    store = tmp_path / "store"
    shutil.copytree(clean, store)
    _damage(store / "step_labels/run_id=r/labeler=consensus/part-00000.parquet", "garbage")
    for args in (["stats", "--store", str(store)],
                 ["export", "--store", str(store), "--out", str(tmp_path / "out")],
                 ["query", "--store", str(store), "SELECT count(*) FROM step_labels"]):
        result = _invoke(args)
        line = _one_error_line(result, 1, "cannot read the store")
        assert "consensus/part-00000.parquet" in line and "CREATE" not in line


# ------------------------------------------------------------------ CLI misuse


@pytest.mark.parametrize("args, code, named", [
    (["export", "--run", "nope", "--out", "{tmp}/x"], 2, "no labeled run 'nope'"),
    (["export", "--out", "{tmp}/afile"], 2, "is a file"),
    (["export", "--out", "{tmp}/afile", "--overwrite"], 2, "is a file"),
    (["export", "--format", "csv", "--out", "{tmp}/x"], 2, "unknown export format"),
    (["stats", "--run", "nope"], 2, "no run 'nope'"),
    (["query", "COPY (SELECT 1) TO '{tmp}/copied.csv'"], 2, "read-only"),
    (["query", "EXPORT DATABASE '{tmp}/db'"], 2, "read-only"),
    (["query", "ATTACH '{tmp}/x.db' AS x"], 2, "read-only"),
    (["query", "INSTALL httpfs"], 2, "read-only"),
    (["query", "SET threads = 1"], 2, "read-only"),
    (["query", "CREATE TABLE t AS SELECT 1"], 2, "read-only"),
    (["query", "SELECT 1; COPY (SELECT 1) TO '{tmp}/copied.csv'"], 2, "read-only"),
    (["query", "SELEC 1"], 2, "query failed"),
    (["query", ""], 2, "read-only"),
])
def test_cli_misuse_is_one_line(clean_store, tmp_path, args, code, named):
    clean, _ = clean_store
    (tmp_path / "afile").write_text("keep me")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = _invoke([*args, "--store", str(clean)])
    _one_error_line(result, code, named)
    assert (tmp_path / "afile").read_text() == "keep me"
    assert not (tmp_path / "copied.csv").exists() and not (tmp_path / "db").exists()
