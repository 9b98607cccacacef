"""Against an OpenAI-compatible server whose policy recovers by luck after 10% of its
mistakes, noise-aware labels still call the truly wrong prefixes wrong (issue #13).

Issue #13 asks for >= 95% (MC, k = 8) and >= 90% (OmegaPRM, tree solutions included,
budget 200) of truly wrong prefixes labeled wrong with >= 99% of correct ones kept, for every
label written (an abstention is no label). Measured here (seed 1): MC 98.9% / 100.0%;
OmegaPRM 98.6% / 100.0% on the 92.6% of solutions whose first error it claims (``claim = 0.8``
for tree solutions, an even chance for the given ones). ``benchmarks/lucky_server.py``
measures eight seeds. Before the steps' echo (``estimate.Observed.echo``) MC caught 93.2-97.6%
(30-78% of the wrong prefixes of solutions whose text recovers, which no count can see) and
OmegaPRM decided 67-75% of solutions: the thresholds guard what the echo brought.
"""

import pytest

from steplabel.config import load_config
from steplabel.evaluation.evaluate import evaluate, synthetic_records
from tests.labelers.lucky_server import LuckyRecoveryServer, prefix_rates, tree_pairs

PROBLEMS = 100


@pytest.fixture(scope="module")
def server():
    with LuckyRecoveryServer() as s:
        yield s


def config(server, **over):
    return load_config(None, {"engine.kind": "openai", "engine.model": "lucky", "run.seed": 1,
                              "engine.openai.base_url": server.base_url, "engine.openai.max_concurrency": 32,
                              "engine.openai.backoff_base_s": 0.01, **over})


@pytest.fixture(scope="module")
def records(server):
    return synthetic_records(config(server), PROBLEMS)


def test_mc_k8_labels_wrong_prefixes_wrong(server, records):
    result = evaluate(records, "mc", config(server, **{"label.mc.k": 8}))
    pairs = [(result.predictions.get(r.record_id), r.label, len(r.steps)) for r in records]
    caught, kept = prefix_rates(pairs)
    assert caught >= 0.975 and kept >= 0.995, (caught, kept)
    # Math-Shepherd's rule on the same records is fooled by the lucky recoveries.
    anyk = evaluate(records, "mc", config(server, **{"label.mc.k": 8, "label.mc.estimator": "any",
                                                     "label.mc.strategy": "all"}))
    caught_any, _ = prefix_rates([(anyk.predictions.get(r.record_id), r.label, len(r.steps)) for r in records])
    assert caught_any < caught - 0.05, (caught_any, caught)


def test_omegaprm_tree_labels_wrong_prefixes_wrong(server, records):
    # The tree, as `run` grows it (eval alone keeps to the given records).
    result = evaluate(records, "omegaprm", config(server, **{"label.omegaprm.k": 8, "label.omegaprm.search_scope": "tree",
                                                             "label.omegaprm.rollout_budget": 200}))
    pairs = tree_pairs(result, records)
    assert len(pairs) > 2 * len(records)  # tree solutions included
    decided = [p for p in pairs if p[0] is not None]
    assert len(decided) >= 0.85 * len(pairs)  # abstains on some, not on most
    caught, kept = prefix_rates(decided)
    assert caught >= 0.96 and kept >= 0.995, (caught, kept)
