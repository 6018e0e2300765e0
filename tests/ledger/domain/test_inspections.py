"""The public's view of the draws, from the read model the real indexer fills from a real node:
the selection recomputed from the published pools equals an independent recomputation, outcomes
come with their proofs, and a reorg across the reveal block leaves the canonical chain's seed."""

import pytest
from eth_utils import keccak

from ledger.core.identifiers import reference_key
from ledger.domain import inspections
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.inspection_draws import DrawTerms, PublishedDrawFile, pool_hash, seed_of, select
from tests.contracts.helpers import DOC, send_at
from tests.ledger.indexer.conftest import make_indexer

DRAW = reference_key("DRAW-2026-Q1-410105")
DRAW_HEX = "0x" + DRAW.hex()
POOL = sorted(reference_key(f"C-{n}") for n in range(9))
ROSTER = sorted(keccak(text=f"INSPECTOR-{n}") for n in range(4))


@pytest.fixture(autouse=True)
def published_rates():
    """The real indexer fills this read model: no planted checkpoint (overrides the package's fixture)."""


def _commit(chain) -> DrawTerms:
    reveal_block = chain.w3.eth.block_number + 11
    send_at(
        chain,
        "VERIFIER_ROLE",
        chain.draws.functions.commitDraw(DRAW, pool_hash(POOL), 9, pool_hash(ROSTER), 4, 3, 2, reveal_block),
    )
    return DrawTerms(DRAW, 1, pool_hash(POOL), 9, pool_hash(ROSTER), 4, 3, 2, reveal_block)


def _pools(candidates=POOL) -> PublishedDrawFile:
    return PublishedDrawFile(
        draw=DRAW_HEX, candidates=["0x" + c.hex() for c in candidates], inspectors=["0x" + i.hex() for i in ROSTER]
    )


def test_the_published_selection_equals_an_independent_recomputation_and_outcomes_carry_proofs(
    chain, database_url, session
):
    terms = _commit(chain)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    block_hash = bytes(chain.w3.eth.get_block(terms.reveal_block)["hash"])
    expected = select(seed_of(block_hash, terms.commitment()), POOL, ROSTER, terms)
    send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, expected.commitments[1], 3, DOC))
    make_indexer(chain, database_url).catch_up()
    unpublished = inspections.public_draw(session, draw=DRAW_HEX)
    assert unpublished.selected_commitments is None and unpublished.problems
    inspections.publish_pools(session, pools=_pools(), title="2026年第一季度 金水区")
    session.commit()
    draw = inspections.public_draw(session, draw=DRAW_HEX)
    assert draw.problems == [] and draw.status == "revealed" and draw.title == "2026年第一季度 金水区"
    assert draw.selected_commitments == ["0x" + c.hex() for c in expected.commitments]
    assert draw.selected_inspectors == ["0x" + i.hex() for i in expected.inspectors]
    (outcome,) = draw.outcomes
    assert (outcome.commitment, outcome.outcome) == ("0x" + expected.commitments[1].hex(), "false_commitment")
    assert outcome.proof.block_number == chain.w3.eth.block_number
    published = inspections.published_pools(session, draw=DRAW_HEX)
    assert published.selection is not None and published.selection.commitments == draw.selected_commitments


def test_pools_once_published_cannot_change_and_unknown_draws_are_not_found(chain, database_url, session):
    _commit(chain)
    make_indexer(chain, database_url).catch_up()
    inspections.publish_pools(session, pools=_pools(), title="t")
    inspections.publish_pools(session, pools=_pools(list(reversed(POOL))), title="t")  # the same pools again
    with pytest.raises(ValidationFailed, match="cannot change"):
        inspections.publish_pools(session, pools=_pools(POOL[1:]), title="t")
    with pytest.raises(NotFound):
        inspections.public_draw(session, draw="0x" + "ab" * 32)


def test_pools_that_do_not_match_the_commitment_show_no_selection_but_the_mismatch(chain, database_url, session):
    _commit(chain)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    make_indexer(chain, database_url).catch_up()
    inspections.publish_pools(session, pools=_pools(POOL[1:] + [reference_key("C-late")]), title="t")
    draw = inspections.public_draw(session, draw=DRAW_HEX)
    assert draw.selected_commitments is None and "changed after the commitment" in draw.problems[0]


def test_a_reorg_across_the_reveal_block_leaves_the_selection_of_the_canonical_chain(chain, database_url, session):
    """The read model follows the indexer: a reveal orphaned by a reorg is rewound, and the draw
    shows the seed of the reveal block that stayed (with confirmations, only once final)."""
    terms = _commit(chain)
    inspections.publish_pools(session, pools=_pools(), title="t")
    session.commit()
    chain.mine(terms.reveal_block - 1 - chain.w3.eth.block_number)
    fork = chain.rpc("evm_snapshot")
    chain.mine(1)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    orphaned = inspections.public_draw(session, draw=DRAW_HEX).seed
    session.rollback()
    assert chain.rpc("evm_revert", [fork]) is True
    chain.rpc("evm_setNextBlockTimestamp", [chain.now() + 5])  # another block, another hash
    chain.mine(1)
    chain.senders["OUTSIDER"] = type(chain.senders["OUTSIDER"])(chain.w3, chain.senders["OUTSIDER"].account)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    chain.mine(2)  # the new branch is longer than the orphaned one
    indexer.catch_up()
    draw = inspections.public_draw(session, draw=DRAW_HEX)
    canonical = bytes(chain.w3.eth.get_block(terms.reveal_block)["hash"])
    assert draw.seed == "0x" + seed_of(canonical, terms.commitment()).hex() != orphaned
    assert draw.selected_commitments == [
        "0x" + c.hex() for c in select(seed_of(canonical, terms.commitment()), POOL, ROSTER, terms).commitments
    ]
