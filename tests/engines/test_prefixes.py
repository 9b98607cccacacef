"""The prefix-cache bound, against a brute-force reading of its definition."""

from hypothesis import given, settings
from hypothesis import strategies as st

from steplabel.engines.prefixes import PrefixBlocks

tokens = st.lists(st.integers(0, 3), min_size=0, max_size=40)


def brute_bound(prompt, computed, block):
    """Largest j * block <= len(prompt) - 1 whose prefix some computed sequence holds in full blocks."""
    best = 0
    for j in range(1, (max(len(prompt) - 1, 0)) // block + 1):
        cut = j * block
        if any(len(seq) >= cut and tuple(seq[:cut]) == tuple(prompt[:cut]) for seq in computed):
            best = cut
    return best


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(tokens, st.lists(tokens, max_size=2)), max_size=8), st.integers(1, 5))
def test_bound_matches_its_definition(requests, block):
    blocks, computed = PrefixBlocks(block), []
    for prompt, outs in requests:
        assert blocks.request(prompt) == brute_bound(prompt, computed, block)
        computed.append(prompt)
        blocks.finished(prompt, outs)
        computed += [list(prompt) + list(o[:-1]) for o in outs if len(o) > 1]


def test_continuations_of_one_rollout_share_its_blocks():
    blocks = PrefixBlocks(4)
    prompt, rollout = list(range(10)), list(range(100, 120))
    assert blocks.request(prompt) == 0
    blocks.finished(prompt, [rollout])  # the generation's own blocks are computed too
    # a continuation from step boundary 11 of the rollout: 10 + 11 + 2 separator tokens
    cont = prompt + rollout[:11] + [7, 7]
    assert blocks.request(cont) == 20  # blocks 0..4 lie in prompt + rollout; block 5 holds the separator
    assert blocks.request(cont) == 20  # the same prompt again: all full blocks of prompt[:-1] (22 tokens)
    blocks.reset()
    assert blocks.request(cont) == 0


def test_n_siblings_share_their_own_prompt():
    blocks = PrefixBlocks(4)
    assert blocks.request(list(range(9)), n=1) == 0
    assert blocks.request(list(range(20, 29)), n=4) == 8  # a sibling of the first sequence


def test_no_block_size_below_one():
    import pytest

    with pytest.raises(ValueError):
        PrefixBlocks(0)
