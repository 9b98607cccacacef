"""The hostile-input corpus of issue 18, by kind. Each case names the one outcome it must have:

- ``quarantine``: the run completes and the row is in ``quarantine`` with this reason;
- ``exit2``: the command ends with one ``error:`` line naming the file (and line or key), code 2;
- ``completes``: the input is accepted and the run (or the call) completes.

Never a traceback, a hang, or a stored row that changes. ``tests/reliability/test_hostile_corpus.py``
runs every case; ``benchmarks/RELIABILITY.md`` counts them by kind.
"""

import json

# ------------------------------------------------------------------ problem rows (one JSONL file)

DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a": ' * 50_000 + "1" + "}" * 50_000


def row(question="How many?", answer="5", **extra) -> str:
    return json.dumps({"question": question, "answer": answer, **extra})


ROWS = [  # (name, the line as written in the file, the reason it is quarantined with)
    ("list nested 100,000 deep", DEEP_LIST, "nested too deeply"),
    ("object nested 50,000 deep", DEEP_OBJECT, "nested too deeply"),
    ("lone surrogate in the question", '{"question": "x\\ud800", "answer": "1"}', "not valid Unicode"),
    ("lone surrogate in the answer", '{"question": "q-sur-a", "answer": "1\\udfff"}', "not valid Unicode"),
    ("lone surrogate in a key", '{"question": "q-sur-k", "answer": "1", "\\ud800": 1}', "not valid Unicode"),
    ("reference 1/0", row("q-div", "1/0"), "undefined (a division by zero"),
    ("reference 0/0", row("q-zero", "0/0"), "undefined"),
    ("reference \\frac{1}{0}", row("q-frac0", "\\frac{1}{0}"), "undefined"),
    ("reference NaN", row("q-nan", "NaN"), "not a value"),
    ("reference inf", row("q-inf", "inf"), "not a value"),
    ("reference null (text)", row("q-null", "null"), "not a value"),
    ("reference undefined", row("q-undef", "undefined"), "not a value"),
    ("JSON NaN literal", '{"question": "q-jnan", "answer": NaN}', "not a value"),
    ("JSON Infinity literal", '{"question": "q-jinf", "answer": Infinity}', "not a value"),
    ("JSON 1e999", '{"question": "q-1e999", "answer": 1e999}', "not a value"),
    ("Python power 10**10**10", row("q-pow", "10**10**10"), "Python's ** is not read as a power"),
    ("Python power 2**3", row("q-pow2", "2**3"), "Python's **"),
    ("tower 2^{2^{100}}", row("q-tower", "2^{2^{100}}"), "too large to compare"),
    ("tower 10^{10^{10}}", row("q-tower2", "10^{10^{10}}"), "too large to compare"),
    ("power 10^{5000}", row("q-bigpow", "10^{5000}"), "too large to compare"),
    ("factorial 100000!", row("q-fact", "100000!"), "too large to compare"),
    ("question is a list", '{"question": ["a"], "answer": "1"}', "must be text"),
    ("question is a number", '{"question": 3.5, "answer": "1"}', "must be text"),
    ("question is tabs and newlines", '{"question": "\\t\\n ", "answer": "1"}', "is empty"),
    ("question over 20,000 characters", row("q" * 20_001, "1"), "too long"),
    ("answer only spaces", row("q-sp", "   "), "is empty"),
    ("answer an object", '{"question": "q-obj", "answer": {"a": 1}}', "must be text or a number"),
    ("answer over 500 characters", row("q-long", "1+" * 300 + "1"), "cannot be parsed"),
    ("GSM8K answer without a number", row("q-gsm", "work\n####"), "no final answer"),
    ("boxed never closed", '{"question": "q-box", "solution": "\\\\boxed{3"}', "no final answer"),
    ("row is null", "null", "expected an object"),
    ("row is a string", '"just text"', "expected an object"),
    ("row is a list", '[{"question": "q", "answer": "1"}]', "expected an object"),
    ("trailing garbage", row("q-trail", "1") + " x", "invalid JSON"),
    ("invalid escape", '{"question": "a\\x", "answer": "1"}', "invalid JSON"),
    ("single quotes", "{'question': 'q', 'answer': '1'}", "invalid JSON"),
    ("id is a boolean", row("q-idb", "1", id=True), "'id' must be a non-empty scalar"),
    ("id is a list", row("q-idl", "1", id=[1]), "'id' must be a non-empty scalar"),
    ("id only spaces", row("q-ids", "1", id="  "), "'id' must be a non-empty scalar"),
    ("duplicate id", row("q-dup", "2", id="good-0"), "duplicate problem id 'good-0'"),
]
BAD_BYTES = [  # (name, raw line bytes): quarantined as invalid UTF-8
    ("overlong encoding", b'{"question": "\xc0\xaf", "answer": "1"}'),
    ("truncated sequence", b'{"question": "\xe2\x82", "answer": "1"}'),
    ("Latin-1 text", b'{"question": "caf\xe9", "answer": "1"}'),
    ("UTF-16 bytes", '{"q": 1}'.encode("utf-16")),
]
ACCEPTED_ROWS = [  # (name, line, problem id): hostile-looking but valid, stored as given
    ("NUL character in the question", row("a\u0000b", "3", id="nul"), "nul"),
    ("emoji and right-to-left text", row("\U0001F600 \u05e9\u05dc\u05d5\u05dd ?", "4", id="emoji"), "emoji"),
    ("duplicate keys (last wins)", '{"question": "a", "question": "dup-keys?", "answer": "6", "id": "dupkeys"}', "dupkeys"),
    ("answer -0", row("q-neg0", "-0", id="neg0"), "neg0"),
    ("answer infinity as LaTeX", row("q-infty", "\\infty", id="infty"), "infty"),
    ("numeric id", '{"question": "q-num-id", "answer": "7", "id": 12}', "12"),
]

# ------------------------------------------------------------------ problem files (exit 2, the file named)

FILES = [  # (name, file name, bytes or None for a special file, message)
    ("empty file", "empty.jsonl", b"", "no rows"),
    ("only blank lines", "blank.jsonl", b"\n\n   \n", "no rows"),
    ("only a BOM", "bom-only.jsonl", b"\xef\xbb\xbf", "no rows"),
    ("empty JSON list", "empty.json", b"[]", "no rows"),
    ("JSON list nested 100,000 deep", "deep.json", DEEP_LIST.encode(), "nested too deeply"),
    ("JSON list never closed", "open.json", b'[{"question": "q", "answer": "1"},', "not a valid JSON list"),
    ("JSON list with invalid UTF-8", "latin.json", b'[{"question": "caf\xe9", "answer": "1"}]', "not a valid JSON list"),
    ("garbage Parquet", "bad.parquet", b"PAR1 not parquet at all", "not a readable Parquet file"),
    ("CSV", "rows.csv", b"question,answer\nq,1\n", "unknown file type"),
    ("no suffix", "problems", b'{"question": "q", "answer": "1"}\n', "unknown file type"),
    ("a directory", "folder.jsonl", None, "is a directory"),
    ("missing", "missing.jsonl", None, "no such file"),
    ("a FIFO", "fifo.jsonl", None, "not a regular file"),
    ("a device", "/dev/null", None, "not a regular file"),
]

# ------------------------------------------------------------------ configs (exit 2, the file and key named)

CONFIGS = [  # (name, TOML text, what the one error line must name)
    ("min_steps above max_steps", "[problems.synthetic]\nmin_steps = 9\nmax_steps = 3\n", "problems.synthetic"),
    ("a section given a scalar (run)", "run = 5\n", "run"),
    ("a section given a scalar (label)", "label = 5\n", "label"),
    ("a section given a list", "generate = [1, 2]\n", "generate"),
    ("timeout_s = inf", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\ntimeout_s = inf\n', "engine.openai.timeout_s"),
    ("timeout_s = nan", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\ntimeout_s = nan\n', "engine.openai.timeout_s"),
    ("timeout_s of a day", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\ntimeout_s = 86400\n', "engine.openai.timeout_s"),
    ("Retry-After cap of a week", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\nretry_after_max_s = 604800\n', "retry_after_max_s"),
    ("request deadline 0", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\nrequest_deadline_s = 0\n', "request_deadline_s"),
    ("backoff_max_s = inf", '[engine]\nkind = "openai"\nmodel = "m"\n[engine.openai]\nbackoff_max_s = inf\n', "backoff_max_s"),
    ("an invalid step_separator", '[problems]\nstep_separator = "(["\n', "problems.step_separator"),
    ("a step_separator matching nothing", '[problems]\nstep_separator = ""\n', "problems.step_separator"),
    ("a step_separator matching empty", '[problems]\nstep_separator = "\\\\s*"\n', "problems.step_separator"),
    ("mc k = 1e12", "[label.mc]\nk = 1e12\n", "label.mc.k"),
    ("mc k = 0", "[label.mc]\nk = 0\n", "label.mc.k"),
    ("mc per_step_budget = inf", "[label.mc]\nper_step_budget = inf\n", "label.mc.per_step_budget"),
    ("samples = 1e8", "[generate]\nsamples = 100000000\n", "generate.samples"),
    ("samples = -1", "[generate]\nsamples = -1\n", "generate.samples"),
    ("max_tokens = 1e9", "[generate]\nmax_tokens = 1000000000\n", "generate.max_tokens"),
    ("omegaprm rollout_budget = 1e9", "[label.omegaprm]\nrollout_budget = 1000000000\n", "label.omegaprm.rollout_budget"),
    ("omegaprm k = 1e6", "[label.omegaprm]\nk = 1000000\n", "label.omegaprm.k"),
    ("judge samples = 1000", "[label.judge]\nsamples = 1000\n", "label.judge.samples"),
    ("judge prompt_file missing", '[label.judge]\nprompt_file = "/nonexistent/judge.txt"\n', "label.judge.prompt_file"),
    ("verify record budget 0", "[label.verify]\nrecord_time_budget_s = 0\n", "label.verify.record_time_budget_s"),
    ("difficulty 4", "[problems.synthetic]\ndifficulty = 4\n", "problems.synthetic.difficulty"),
    ("labelers empty", "[label]\nlabelers = []\n", "label.labelers"),
    ("labelers a string", '[label]\nlabelers = "mc"\n', "label.labelers"),
    ("a labeler twice", '[label]\nlabelers = ["mc", "mc"]\n', "label.labelers"),
    ("consensus of one source twice", '[label]\nlabelers = ["mc", "verify", "consensus"]\n'
     '[label.consensus]\nsources = ["mc", "mc"]\n', "label"),
    ("run name a path", '[run]\nname = "../x"\n', "run.name"),
    ("batch_size 0", "[run]\nbatch_size = 0\n", "run.batch_size"),
    ("unknown top-level key", "colour = 'red'\n", "colour"),
    ("duplicate key", "[run]\nseed = 1\nseed = 2\n", "not valid TOML"),
    ("not UTF-8", None, "not valid TOML"),
]

# ------------------------------------------------------------------ server replies (one request, n = 2)

SERVER_REPLIES = [  # (name, 200 body, "failed" (recorded, retried by a rerun) or "ok" (2 completions))
    ("choices empty", b'{"choices": []}', "failed"),
    ("choices null", b'{"choices": null}', "failed"),
    ("choices an object", b'{"choices": {}}', "failed"),
    ("choices of numbers", b'{"choices": [1, 2]}', "failed"),
    ("choice text a number", b'{"choices": [{"text": 5}, {"text": 6}]}', "failed"),
    ("fewer choices than n", b'{"choices": [{"text": "a"}]}', "failed"),
    ("no choices key", b'{"object": "error"}', "failed"),
    ("body a list", b"[]", "failed"),
    ("body a string", b'"ok"', "failed"),
    ("body empty", b"", "failed"),
    ("body nested 100,000 deep", DEEP_LIST.encode(), "failed"),
    ("index of mixed types", b'{"choices": [{"text": "a", "index": "x"}, {"text": "b", "index": 1}]}', "failed"),
    ("more choices than n", b'{"choices": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}', "ok"),
    ("lone surrogate in a text", b'{"choices": [{"text": "a\\ud800"}, {"text": "b"}]}', "ok"),
    ("usage not numbers", b'{"choices": [{"text": "a"}, {"text": "b"}], "usage": {"completion_tokens": "many"}}', "failed"),
    ("usage a list", b'{"choices": [{"text": "a"}, {"text": "b"}], "usage": [1]}', "failed"),
    ("finish_reason an object", b'{"choices": [{"text": "a", "finish_reason": {"x": 1}}, {"text": "b"}]}', "ok"),
    ("chat message without content", b'{"choices": [{"message": {}}, {"message": {}}]}', "failed"),
    ("tokens 1e400", b'{"choices": [{"text": "a"}, {"text": "b"}], "usage": {"completion_tokens": 1e400}}', "failed"),
]

# ------------------------------------------------------------------ evaluation records (steplabel eval)

EVAL_RECORDS = [  # (name, line, what the skipped record's reason says)
    ("nested 100,000 deep", DEEP_LIST, "nested too deeply"),
    ("not JSON", "{oops", "invalid JSON"),
    ("label out of range", json.dumps({"problem": "p", "steps": ["a"], "label": 5}), "field 'label'"),
    ("label a boolean", json.dumps({"problem": "p", "steps": ["a"], "label": True}), "field 'label'"),
    ("steps a number", json.dumps({"problem": "p", "steps": 5, "label": -1}), "field 'steps'"),
    ("an empty step", json.dumps({"problem": "p", "steps": ["a", " "], "label": -1}), "field 'steps'"),
    ("problem missing", json.dumps({"steps": ["a"], "label": -1}), "missing question"),
    ("record a list", "[1]", "expected an object"),
]
