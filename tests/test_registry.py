"""The registry is the one list: config sections, factories, retry units and CLI choices agree."""

import pytest

from steplabel import registry
from steplabel.config import ENGINE_KINDS, Config, labeler_names, load_config
from steplabel.registry import MissingExtra


def test_every_labeler_section_has_an_entry_and_every_entry_a_section():
    assert set(registry.LABELERS) == set(labeler_names())
    for name, entry in registry.LABELERS.items():
        assert entry.section is type(getattr(Config().label, name))


def test_every_engine_kind_has_an_entry_with_its_own_section():
    assert set(registry.ENGINES) == set(ENGINE_KINDS)
    for kind, entry in registry.ENGINES.items():
        assert entry.section.model_fields["kind"].annotation.__args__ == (kind,)


@pytest.mark.parametrize("name", sorted(registry.LABELERS))
def test_every_labeler_builds_from_the_default_config(name):
    cfg = load_config(overrides={"label.labelers": ["mc", "judge", name] if name == "consensus" else [name]})
    labeler = registry.make_labeler(name, cfg)
    assert labeler.name == name
    assert labeler.config is getattr(cfg.label, name)  # the section itself, not a copy
    assert (labeler.engine is not None) == (registry.LABELERS[name].engine is not None)


def test_the_judge_gets_its_own_engine_and_mc_the_policys():
    cfg = load_config()
    assert registry.make_labeler("judge", cfg).engine.backend.model == "simulated-critic"
    assert registry.make_labeler("mc", cfg).engine.backend.model == "simulated-policy"


@pytest.mark.parametrize("name", sorted(registry.EXPORTS))
def test_every_export_format_loads_under_its_name(name):
    assert registry.export_format(name).name == name


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="available"):
        registry.labeler_entry("nope")
    with pytest.raises(ValueError, match="trl"):
        registry.export_format("nope")


def test_a_missing_optional_dependency_names_the_extra(monkeypatch):
    entry = registry.Entry("fake", None, "json:dumps", extra="fake", needs="steplabel_no_such_module")
    with pytest.raises(MissingExtra, match=r"pip install 'steplabel\[fake\]'"):
        entry.load()


def test_retry_units_come_from_the_registry():
    units = {n: e.retry for n, e in registry.LABELERS.items()}
    assert units == {"mc": "rollout", "omegaprm": "problem", "judge": "rollout", "verify": "rollout",
                     "consensus": "batch"}
