"""The write path through blocks that share one timestamp, as a fast chain with one-second
timestamps mines them: anvil is told to give every block its parent's time."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from ledger.db.write_model import Levy

from ledger.domain import clearance
from ledger.domain.commitments import decide_commitment, record_commitments
from ledger.domain.schemas.office import CommitmentDecision
from tests.ledger.writer.test_writer import confirm, setup_projects
from tests.support.samples import commitment, payment, project_code, sha

# Hardhat refuses a block at its parent's timestamp (evm_setNextBlockTimestamp must move forward)
pytestmark = pytest.mark.only_node("anvil")


@pytest.fixture
def one_timestamp(write_path):
    """Every block from now on at its parent's time, until the test ends."""
    write_path.chain.rpc("anvil_setBlockTimestampInterval", [0])
    yield
    write_path.chain.rpc("anvil_removeBlockTimestampInterval")


def test_a_fee_paid_in_parts_and_a_commitment_fulfilled_in_blocks_of_one_timestamp_clear_the_project(
    write_path, one_timestamp
):
    chain = write_path.chain
    first_block = chain.w3.eth.block_number + 1
    due = setup_projects(write_path, 1)[1]
    at = datetime.fromtimestamp(chain.now(), timezone.utc)  # the one timestamp every block will share
    with write_path.session() as s:
        record_commitments(
            s,
            commitments=[commitment(1, "C-1", "materials", days=30).model_copy(update={"signed_at": at})],
            client="approval",
        )
        s.commit()
    write_path.drain()
    with write_path.session() as s:  # paid once the levy was issued (v3 judges payments by that time)
        issued = s.execute(select(Levy.created_at).where(Levy.project_code == project_code(1))).scalar_one()
    paid_at = max(at, datetime.fromtimestamp(issued, timezone.utc))
    confirm(write_path, [payment(1, "V-1", due // 2, paid_at=paid_at)])
    write_path.drain()
    confirm(write_path, [payment(1, "V-2", due - due // 2, paid_at=paid_at)])
    write_path.drain()
    with write_path.session() as s:
        for action in ("submit_evidence", "fulfil"):
            decide_commitment(
                s,
                commitment_number="C-1",
                decision=CommitmentDecision(action=action, document_sha256=sha(action), decided_at=at),
                actor="office",
            )
        s.commit()
    write_path.drain()
    head = chain.w3.eth.block_number
    times = {chain.w3.eth.get_block(n)["timestamp"] for n in range(first_block, head + 1)}
    assert head - first_block + 1 >= 6 and times == {int(at.timestamp())}  # six transactions, one timestamp

    write_path.indexer().catch_up()
    write_path.writer().mark_indexed()
    assert write_path.statuses() == {"indexed": 6}
    with write_path.session() as s:
        answer = clearance.clearance(s, project_code=project_code(1))
    assert answer.clear and answer.fee_status == "paid" and answer.open_commitments == [], answer
