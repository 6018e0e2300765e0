"""Overdue commitments (in a module of its own: it moves its chain's clock forward for good)."""

import pytest

from ledger.domain import clearance
from tests.ledger.writer.test_writer import setup_projects
from tests.support.samples import project_code

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_an_open_commitment_past_its_due_date_is_marked_overdue_on_chain_and_blocks_clearance(write_path):
    from ledger.domain.commitments import record_commitments, sweep_overdue
    from tests.support.samples import commitment

    setup_projects(write_path, 1)
    with write_path.session() as s:
        record_commitments(
            s,
            commitments=[commitment(1, "C-LATE", "materials", days=2), commitment(1, "C-LATER", "materials", days=30)],
            client="approval",
        )
        s.commit()
    write_path.drain()
    indexer = write_path.indexer()
    indexer.catch_up()
    write_path.chain.travel(10 * 86_400)  # past the due date and the registry's 7-day grace period
    with write_path.session() as s:
        queued = sweep_overdue(s, now=write_path.chain.now())
        s.commit()
        assert [c.reference for c in queued] == ["C-LATE"]
        assert sweep_overdue(s, now=write_path.chain.now()) == []  # already on its way
    write_path.drain()
    indexer.catch_up()
    write_path.writer().mark_indexed()
    with write_path.session() as s:
        answer = clearance.clearance(s, project_code=project_code(1))
    overdue = [r for r in answer.reasons if r.code == "commitment_overdue"]
    assert answer.overdue_commitments == ["C-LATE"] and answer.open_commitments == ["C-LATER"]
    assert overdue[0].reference == "C-LATE" and overdue[0].proof.transaction_hash.startswith("0x")
