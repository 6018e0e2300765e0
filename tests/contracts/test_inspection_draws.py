"""InspectionDraws: a draw is committed, revealed once from a block mined after the commit, never
early, twice or changed; an unrevealed draw expires on record before it may be committed again;
outcomes belong to revealed draws, one per commitment, at most as many as picked."""

import pytest

from ledger.core.identifiers import reference_key
from ledger.domain.inspection_draws import DrawTerms, pool_hash, seed_of, select
from tests.contracts.helpers import DOC, call, events, reverts, send_at

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

DRAW = reference_key("DRAW-2026-Q1-410105")
POOL = [reference_key(f"C-{n}") for n in range(20)]
ROSTER = [reference_key(f"INSPECTOR-{n}") for n in range(6)]
MIN_DELAY, WINDOW = 10, 256
COMMITTED, REVEALED, EXPIRED = 1, 2, 3
CONFORMS, MINOR, FALSE = 1, 2, 3
DRAW_FIELDS = (
    "poolHash",
    "rosterHash",
    "seed",
    "revealBlock",
    "poolSize",
    "rosterSize",
    "commitmentsToPick",
    "inspectorsToPick",
    "attempt",
    "outcomes",
    "status",
)


def draw_of(chain, draw=DRAW) -> dict:
    return dict(zip(DRAW_FIELDS, chain.draws.functions.drawOf(draw).call()))


def next_block(chain) -> int:
    return chain.w3.eth.block_number + 1


def commit(chain, draw=DRAW, *, pool=POOL, roster=ROSTER, picks=(3, 2), delay=MIN_DELAY, reveal_block=None):
    reveal_block = next_block(chain) + delay if reveal_block is None else reveal_block
    fn = chain.draws.functions.commitDraw(
        draw, pool_hash(pool), len(pool), pool_hash(roster), len(roster), picks[0], picks[1], reveal_block
    )
    return send_at(chain, "VERIFIER_ROLE", fn)


def reveal(chain, draw=DRAW, role="OUTSIDER"):
    return send_at(chain, role, chain.draws.functions.reveal(draw))


def mine_past_reveal(chain, draw=DRAW) -> None:
    chain.mine(max(0, draw_of(chain, draw)["revealBlock"] - chain.w3.eth.block_number))


def terms(chain, draw=DRAW, attempt=1, *, pool=POOL, roster=ROSTER, picks=(3, 2)) -> DrawTerms:
    return DrawTerms(
        draw, attempt, pool_hash(pool), len(pool), pool_hash(roster), len(roster), *picks, draw_of(chain)["revealBlock"]
    )


def test_a_commit_publishes_the_commitment_anyone_can_compute_from_the_terms(chain):
    receipt = commit(chain)
    (event,) = events(chain.draws, "DrawCommitted", receipt)
    assert event["commitment"] == terms(chain).commitment()
    assert event["attempt"] == 1 and event["poolSize"] == 20 and event["revealBlock"] == receipt["blockNumber"] + 10
    # Every term in its own place (the picks differ, so a swap of the two is seen: a mutant that lived).
    assert (event["poolHash"], event["rosterHash"]) == (pool_hash(POOL), pool_hash(ROSTER))
    assert (event["rosterSize"], event["commitmentsToPick"], event["inspectorsToPick"]) == (len(ROSTER), 3, 2)
    assert call(chain.draws.functions.drawCommitment(DRAW)) == terms(chain).commitment()
    assert draw_of(chain)["status"] == COMMITTED


def test_a_reveal_before_the_reveal_block_is_mined_is_refused(chain):
    commit(chain)
    reveal_block = draw_of(chain)["revealBlock"]
    chain.mine(reveal_block - next_block(chain))  # the reveal would land in the reveal block itself
    assert next_block(chain) == reveal_block
    with reverts("InspectionDrawsTooEarly") as excinfo:
        reveal(chain)
    assert excinfo.value.args_ == (DRAW, reveal_block)
    assert draw_of(chain)["status"] == COMMITTED


def test_anyone_reveals_after_the_reveal_block_and_the_seed_mixes_its_hash_with_the_commitment(chain):
    commit(chain)
    mine_past_reveal(chain)
    receipt = reveal(chain)
    (event,) = events(chain.draws, "DrawRevealed", receipt)
    block_hash = bytes(chain.w3.eth.get_block(draw_of(chain)["revealBlock"])["hash"])
    assert event["revealBlockHash"] == block_hash
    assert event["seed"] == seed_of(block_hash, terms(chain).commitment()) == draw_of(chain)["seed"]
    assert draw_of(chain)["status"] == REVEALED
    selection = select(event["seed"], POOL, ROSTER, terms(chain))
    assert len(selection.commitments) == 3 and set(selection.commitments) <= set(POOL)
    assert len(selection.inspectors) == 2 and set(selection.inspectors) <= set(ROSTER)


def test_a_second_reveal_is_refused_and_the_seed_stays(chain):
    commit(chain)
    mine_past_reveal(chain)
    reveal(chain)
    seed = draw_of(chain)["seed"]
    with reverts("InspectionDrawsNotCommitted") as excinfo:
        reveal(chain, role="VERIFIER_ROLE")
    assert excinfo.value.args_ == (DRAW, REVEALED)
    assert draw_of(chain)["seed"] == seed


def test_a_committed_or_revealed_draw_cannot_be_replaced(chain):
    commit(chain)
    with reverts("InspectionDrawsDrawExists") as excinfo:
        commit(chain, pool=POOL[:10])
    assert excinfo.value.args_ == (DRAW, COMMITTED)
    mine_past_reveal(chain)
    reveal(chain)
    with reverts("InspectionDrawsDrawExists"):
        commit(chain)


@pytest.mark.parametrize("delay", [MIN_DELAY - 1, 100_001])
def test_a_reveal_block_too_soon_or_too_far_ahead_is_refused(chain, delay):
    with reverts("InspectionDrawsInvalidRevealBlock"):
        commit(chain, delay=delay)


@pytest.mark.parametrize("picks", [(0, 1), (21, 1), (1, 0), (1, 7)])
def test_nothing_to_pick_or_more_than_the_pool_holds_is_refused(chain, picks):
    with reverts("InspectionDrawsInvalidPick"):
        commit(chain, picks=picks)


def test_zero_identifiers_and_hashes_are_refused(chain):
    with reverts("InspectionDrawsZeroIdentifier"):
        commit(chain, draw=b"\0" * 32)
    fn = chain.draws.functions.commitDraw(DRAW, b"\0" * 32, 20, pool_hash(ROSTER), 6, 1, 1, next_block(chain) + 10)
    with reverts("InspectionDrawsZeroHash"):
        send_at(chain, "VERIFIER_ROLE", fn)


def test_an_unrevealed_draw_expires_on_record_and_only_then_is_committed_again_with_the_same_pools(chain):
    commit(chain)
    first = draw_of(chain)
    last = first["revealBlock"] + WINDOW
    chain.mine(last - next_block(chain))  # the next block is the last that can still reveal
    with reverts("InspectionDrawsNotExpired") as excinfo:
        send_at(chain, "OUTSIDER", chain.draws.functions.expire(DRAW))
    assert excinfo.value.args_ == (DRAW, last)
    chain.mine(1)
    with reverts("InspectionDrawsRevealWindowPassed"):
        reveal(chain)
    with reverts("InspectionDrawsDrawExists"):  # not replaced while merely unrevealed
        commit(chain)
    (expired,) = events(chain.draws, "DrawExpired", send_at(chain, "OUTSIDER", chain.draws.functions.expire(DRAW)))
    assert expired == {"draw": DRAW, "attempt": 1, "revealBlock": first["revealBlock"]}
    assert draw_of(chain)["status"] == EXPIRED
    with reverts("InspectionDrawsRecommitMismatch"):
        commit(chain, pool=POOL[:19])
    with reverts("InspectionDrawsRecommitMismatch"):
        commit(chain, picks=(4, 2))
    (again,) = events(chain.draws, "DrawCommitted", commit(chain))
    assert again["attempt"] == 2 and again["commitment"] == terms(chain, attempt=2).commitment()
    mine_past_reveal(chain)
    (revealed,) = events(chain.draws, "DrawRevealed", reveal(chain))
    assert revealed["attempt"] == 2


def test_outcomes_belong_to_revealed_draws_one_per_commitment_and_no_more_than_picked(chain):
    commit(chain)
    with reverts("InspectionDrawsNotRevealed"):
        send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, POOL[0], CONFORMS, DOC))
    mine_past_reveal(chain)
    seed = events(chain.draws, "DrawRevealed", reveal(chain))[0]["seed"]
    picked = select(seed, POOL, ROSTER, terms(chain)).commitments
    for outcome in (0, 4):
        with reverts("InspectionDrawsInvalidOutcome"):
            send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, picked[0], outcome, DOC))
    for commitment, outcome in zip(picked, (CONFORMS, MINOR, FALSE)):
        receipt = send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, commitment, outcome, DOC))
        (event,) = events(chain.draws, "InspectionRecorded", receipt)
        assert event == {"draw": DRAW, "commitment": commitment, "outcome": outcome, "documentHash": DOC}
    with reverts("InspectionDrawsOutcomeRecorded"):
        send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, picked[0], MINOR, DOC))
    # A fourth commitment the draw did not pick (the seed follows the reveal block's hash, which on Hardhat
    # changes with the wall clock: a fixed one, e.g. POOL[19], is sometimes among the picked).
    unpicked = next(c for c in POOL if c not in picked)
    with reverts("InspectionDrawsTooManyOutcomes"):
        send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, unpicked, MINOR, DOC))
    assert chain.draws.functions.outcomeOf(DRAW, picked[2]).call() == FALSE
    assert draw_of(chain)["outcomes"] == 3


def test_an_unknown_draw_cannot_be_revealed_expired_or_inspected(chain):
    for fn in (chain.draws.functions.reveal(DRAW), chain.draws.functions.expire(DRAW)):
        with reverts("InspectionDrawsUnknownDraw"):
            send_at(chain, "OUTSIDER", fn)
    with reverts("InspectionDrawsUnknownDraw"):
        send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, POOL[0], CONFORMS, DOC))


def test_a_reorg_across_the_reveal_block_leaves_the_seed_of_the_canonical_reveal_block(chain):
    """The seed is whatever the reveal computes on the chain that stays: after a reorg the reveal is
    re-executed (or dropped) there, so the selection is a function of the final chain only. Readers
    wait for finality: the indexer projects blocks once confirmed and rewinds on a reorg."""
    commit(chain)
    reveal_block = draw_of(chain)["revealBlock"]
    chain.mine(reveal_block - 1 - chain.w3.eth.block_number)
    before = chain.rpc("evm_snapshot")
    chain.mine(1)
    reveal(chain)
    orphaned = draw_of(chain)["seed"]
    assert chain.rpc("evm_revert", [before]) is True
    chain.rpc("evm_setNextBlockTimestamp", [chain.now() + 7])  # another reveal block, another hash
    chain.mine(1)
    chain.senders["OUTSIDER"] = type(chain.senders["OUTSIDER"])(chain.w3, chain.senders["OUTSIDER"].account)
    reveal(chain)
    canonical_hash = bytes(chain.w3.eth.get_block(reveal_block)["hash"])
    assert draw_of(chain)["seed"] == seed_of(canonical_hash, terms(chain).commitment()) != orphaned
