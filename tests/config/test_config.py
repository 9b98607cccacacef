import pytest

from steplabel.config import ConfigError, load_config


def test_defaults_and_overrides():
    cfg = load_config(None, {"run.seed": 5, "label.labelers": ["mc"], "problems.limit": None})
    assert cfg.run.seed == 5 and cfg.label.mc.k == 32 and cfg.label.mc.estimator == "noise_aware" and cfg.problems.source == "synthetic:arith"


def test_file_and_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[run]\nseed = 2\n[label.mc]\nk = 4\n')
    cfg = load_config(f, {"run.seed": 9})
    assert cfg.run.seed == 9 and cfg.label.mc.k == 4


def test_run_id_is_stable_and_depends_on_what_shapes_the_output(tmp_path):
    a = load_config(None, {"run.store": str(tmp_path / "a")})
    b = load_config(None, {"run.store": str(tmp_path / "b")})
    assert a.run_id() == b.run_id()  # where it is stored does not change the run
    assert a.run_id() != load_config(None, {"run.seed": 1}).run_id()
    assert load_config(None, {"run.run_id": "mine"}).run_id() == "mine"


@pytest.mark.parametrize("text, key", [
    ("[run]\nsede = 1\n", "run.sede"),
    ("[label.mc]\nk = 'eight'\n", "label.mc.k"),
    ("[label]\nlabelers = ['magic']\n", "label.labelers"),
    ("[generate]\nsamples = 0\n", "generate.samples"),
    ("[nonsense]\nx = 1\n", "nonsense"),
])
def test_bad_config_names_file_and_key(tmp_path, text, key):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(f)
    assert str(f) in str(info.value) and key in str(info.value)


@pytest.mark.parametrize("labelers, extra, message", [
    (["consensus", "mc", "judge"], {"label.consensus.sources": ["mc", "judge"]}, "listed before it"),
    (["consensus", "mc", "judge"], {}, "two or more"),
    (["mc", "consensus"], {}, "two or more"),
    (["mc", "consensus"], {"label.consensus.sources": ["mc", "judge"]}, "listed before it"),
    (["mc", "judge", "consensus"], {"label.consensus.sources": ["mc"]}, "two or more"),
    (["mc", "judge", "consensus"], {"label.consensus.policy": "override"}, "needs 'override'"),
])
def test_consensus_needs_its_sources_first(labelers, extra, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, {"label.labelers": labelers, **extra})


def test_unreadable_config(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")
    f = tmp_path / "broken.toml"
    f.write_text("[run\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(f)
