"""An OpenAI-compatible server whose policy makes arithmetic mistakes and, after one, recovers
by luck 10% of the time (the sandbox's simulated policy with ``recovery = 0.10``). The
labelers talk to it over HTTP like to any server and are never told the rate."""

from steplabel.engines.sandbox import PolicyConfig, SandboxBackend
from steplabel.problems.steps import split_steps
from steplabel.problems.worlds import truth_oracle
from tests.engines.fake_server import FakeOpenAIServer

LUCK = 0.10


class LuckyRecoveryServer(FakeOpenAIServer):
    def __init__(self) -> None:
        super().__init__(models=("lucky",))  # the model the tests name; any other is a 404
        self.backend = SandboxBackend(PolicyConfig(recovery=LUCK))


def prefix_rates(pairs):
    """(share of truly wrong prefixes labeled wrong, share of truly correct ones kept correct)
    from (predicted first error, true first error, steps) per solution; an undecided solution
    counts against both."""
    wrong = wrong_hit = right = right_kept = 0
    for fe, truth, n in pairs:
        for j in range(n):
            if 0 <= truth <= j:
                wrong += 1
                wrong_hit += fe is not None and 0 <= fe <= j
            else:
                right += 1
                right_kept += fe is not None and (fe == -1 or fe > j)
    return wrong_hit / wrong, right_kept / right


def tree_pairs(result, records) -> list[tuple]:
    """(first error, true first error, steps) for every solution an OmegaPRM eval labeled, the
    tree's own samples too (their truth from the world's oracle)."""
    question = {r.record_id: r.problem for r in records}
    truth = {r.record_id: r.label for r in records}
    pairs = []
    for out in result.outputs:
        texts = {r.rollout_id: r.text for r in out.rollouts}
        firsts, sizes = {}, {}
        for row in out.labels:
            firsts[row.rollout_id] = row.first_error
            sizes[row.rollout_id] = max(sizes.get(row.rollout_id, 0), row.step_index + 1)
        q = next(question[rid] for rid in firsts if rid in question)
        oracle = truth_oracle("synthetic:arith", q)
        for rid, fe in firsts.items():
            t = truth[rid] if rid in truth else oracle([s.text for s in split_steps(texts[rid])])
            pairs.append((fe, t, sizes[rid]))
    return pairs
