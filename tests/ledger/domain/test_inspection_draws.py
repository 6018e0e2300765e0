"""The selection of a draw, recomputed from the seed and the published pools: deterministic,
uniform, and every way a published draw can disagree with the chain is named."""

import dataclasses
from collections import Counter
from itertools import combinations

import pytest
from eth_utils import keccak

from ledger.domain.inspection_draws import (
    DrawRecord,
    DrawTerms,
    PoolError,
    PublishedDraw,
    pick,
    pool_hash,
    seed_of,
    select,
    uniform_below,
    verify,
)

POOL = [keccak(text=f"C-{n}") for n in range(12)]
ROSTER = [keccak(text=f"INSPECTOR-{n}") for n in range(5)]
REVEAL_HASH = keccak(text="the reveal block")
SEEDS = 20_000
# Chi-square critical values at p = 0.001 (the tolerance: a fair picker fails one run in a thousand;
# the seeds are fixed, so this run's outcome is fixed too): 9 and 14 degrees of freedom.
CHI2_999 = {9: 27.877, 14: 36.123}


@pytest.fixture(autouse=True)
def published_rates():
    """Pure functions: no database (overrides the package's fixture that makes one)."""


def chi_square(counts: Counter, cells: list, total: int) -> float:
    expected = total / len(cells)
    return sum((counts[cell] - expected) ** 2 / expected for cell in cells)


def terms(pool=POOL, roster=ROSTER, picks=(3, 2), attempt=1) -> DrawTerms:
    return DrawTerms(
        keccak(text="DRAW-1"), attempt, pool_hash(pool), len(pool), pool_hash(roster), len(roster), *picks, 1234
    )


def revealed(t: DrawTerms | None = None, **outcomes) -> DrawRecord:
    t = t or terms()
    return DrawRecord(
        terms=t, commitment=t.commitment(), reveal_block_hash=REVEAL_HASH, seed=seed_of(REVEAL_HASH, t.commitment())
    )


def test_each_candidate_is_picked_equally_often_over_many_seeds():
    counts = Counter()
    for n in range(SEEDS):
        counts.update(pick(keccak(n.to_bytes(32, "big")), 0, 10, 3))
    assert sum(counts.values()) == 3 * SEEDS
    assert chi_square(counts, list(range(10)), 3 * SEEDS) < CHI2_999[9]


def test_every_subset_is_equally_likely_over_many_seeds():
    counts = Counter(frozenset(pick(keccak(n.to_bytes(32, "big")), 1, 6, 2)) for n in range(SEEDS))
    subsets = [frozenset(s) for s in combinations(range(6), 2)]
    assert set(counts) == set(subsets)
    assert chi_square(counts, subsets, SEEDS) < CHI2_999[14]


def test_the_first_pick_is_uniform_over_the_pool():
    counts = Counter(pick(keccak(n.to_bytes(32, "big")), 0, 10, 1)[0] for n in range(SEEDS))
    assert chi_square(counts, list(range(10)), SEEDS) < CHI2_999[9]


def test_a_bound_near_the_word_size_still_gives_values_below_it():
    """With a bound of 2^255 + 1, half the words lie above the largest multiple: a modulo there
    would bias the result, so the counter moves on; the value is below the bound either way."""
    bound = 2**255 + 1
    values = [uniform_below(keccak(n.to_bytes(32, "big")), 0, 0, bound) for n in range(64)]
    assert all(0 <= v < bound for v in values)


def test_the_selection_is_a_function_of_seed_and_pools_whatever_order_they_are_listed_in():
    seed = seed_of(REVEAL_HASH, terms().commitment())
    once = select(seed, POOL, ROSTER, terms())
    assert select(seed, list(reversed(POOL)), ROSTER[::-1], terms()) == once
    assert len(set(once.commitments)) == 3 and len(set(once.inspectors)) == 2
    assert select(keccak(b"another seed"), POOL, ROSTER, terms()) != once


def test_a_pool_listing_an_identifier_twice_is_refused():
    with pytest.raises(PoolError, match="twice"):
        pool_hash([POOL[0], POOL[0]])


def test_pools_that_match_the_commitment_verify_and_give_the_selection():
    record = revealed()
    problems, selection = verify(PublishedDraw(record.terms.draw, POOL, ROSTER), record, REVEAL_HASH)
    assert problems == []
    assert selection == select(record.seed, POOL, ROSTER, record.terms)


def test_a_pool_changed_after_the_commitment_is_detected():
    record = revealed()
    swapped = POOL[:-1] + [keccak(text="C-added-later")]
    problems, selection = verify(PublishedDraw(record.terms.draw, swapped, ROSTER), record, REVEAL_HASH)
    assert selection is None
    assert len(problems) == 1 and "candidate pool" in problems[0] and "changed after the commitment" in problems[0]
    problems, _ = verify(PublishedDraw(record.terms.draw, POOL, ROSTER[:-1]), record, REVEAL_HASH)
    assert "inspector roster" in problems[0]


def test_a_published_selection_other_than_the_recomputed_one_is_detected():
    record = revealed()
    honest = select(record.seed, POOL, ROSTER, record.terms)
    other = dataclasses.replace(honest, commitments=[c for c in POOL if c not in honest.commitments][:3])
    problems, _ = verify(PublishedDraw(record.terms.draw, POOL, ROSTER, other), record, REVEAL_HASH)
    assert problems == ["the published selection differs from the selection recomputed from the seed and the pools"]


def test_an_outcome_for_a_commitment_the_draw_did_not_select_is_detected():
    record = revealed()
    picked = select(record.seed, POOL, ROSTER, record.terms).commitments
    outsider = next(c for c in POOL if c not in picked)
    record.outcomes = {picked[0]: "conforms", outsider: "false_commitment"}
    problems, _ = verify(PublishedDraw(record.terms.draw, POOL, ROSTER), record, REVEAL_HASH)
    assert problems == [f"an outcome was recorded for 0x{outsider.hex()}, which the draw did not select"]


def test_a_seed_from_another_block_hash_than_the_nodes_is_detected():
    record = revealed()
    problems, selection = verify(PublishedDraw(record.terms.draw, POOL, ROSTER), record, keccak(text="reorged"))
    assert selection is None and "the node's block 1234" in problems[0]


def test_an_unrevealed_draw_verifies_its_pools_and_has_no_selection_yet():
    t = terms()
    problems, selection = verify(
        PublishedDraw(t.draw, POOL, ROSTER), DrawRecord(terms=t, commitment=t.commitment()), None
    )
    assert problems == [] and selection is None
