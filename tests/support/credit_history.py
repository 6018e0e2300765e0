"""A credit history planted in a read model, as an earlier contract version could write it (v3
refuses a fact dated before the overdue mark; v2 accepted one): three commitments of enterprise 1
(USCC make_uscc(1)), all due at DUE —
A marked overdue (block 11), then fulfilled (block 13) on evidence dated before its due date;
B marked overdue (block 12), then fulfilled late (block 14) on evidence dated after the mark;
C fulfilled in time (block 15), never marked."""

from sqlalchemy.orm import Session

from ledger.db.inspection_model import InspectionSelection
from ledger.db.read_model import (
    BlockTime,
    Commitment,
    CommitmentEvent,
    EnterpriseCommitmentSummary,
    InspectionDrawEvent,
    InspectionOutcome,
)
from ledger.domain.common import enterprise_key_hex, read_model_chain_id
from tests.support.samples import make_uscc

DAY = 86_400
DUE = 1_800_000_000
MARKED = DUE + 7 * DAY  # block time of both marks, once the grace had run out
ENTERPRISE = enterprise_key_hex(make_uscc(1))
BLOCK_TIMES = {10: DUE - 30 * DAY, 11: MARKED, 12: MARKED, 13: MARKED + DAY, 14: MARKED + DAY, 15: MARKED + 2 * DAY}


def commitment_key(letter: str) -> str:
    return "0x" + letter * 64


def plant_credit_history(session: Session) -> None:
    chain = read_model_chain_id(session)
    session.add_all(
        BlockTime(chain_id=chain, block_number=b, block_hash=f"0x{b:064x}", timestamp=t) for b, t in BLOCK_TIMES.items()
    )

    def row(block: int, letter: str, event: str, log_index: int = 0, **kw) -> CommitmentEvent:
        return CommitmentEvent(
            chain_id=chain,
            block_number=block,
            log_index=log_index,
            block_hash=f"0x{block:064x}",
            transaction_hash=f"0x{block + 1000:064x}",
            commitment=commitment_key(letter),
            enterprise=ENTERPRISE,
            event=event,
            **kw,
        )

    session.add_all(
        [
            *(row(10, c, "recorded", i, due_at=DUE, fact_at=DUE - 60 * DAY) for i, c in enumerate("abc")),
            row(11, "a", "marked_overdue", due_at=DUE),
            row(12, "b", "marked_overdue", due_at=DUE),
            row(13, "a", "fulfilled", fact_at=DUE - 3_600, late=False),  # evidence from before the due date
            row(14, "b", "fulfilled", fact_at=MARKED + 3_600, late=True),  # evidence from after the mark
            row(15, "c", "fulfilled", fact_at=DUE - 7_200, late=False),
            EnterpriseCommitmentSummary(
                chain_id=chain,
                enterprise=ENTERPRISE,
                recorded=3,
                fulfilled=3,
                fulfilled_late=1,
                overdue=2,
                breached=0,
                repaired=0,
                block_number=15,
                log_index=0,
                block_hash=f"0x{15:064x}",
                transaction_hash=f"0x{1015:064x}",
            ),
        ]
    )
    session.commit()


INSPECTED = 16  # the block of the InspectionRecorded event
DRAW, SEED = "0x" + "d0" * 32, "0x" + "5e" * 32


def plant_false_commitment(session: Session, *, selection_kept: bool = True) -> None:
    """Beside the planted history: commitments A and C (fulfilled in time), a draw revealed (block 15)
    that selected C, and its outcome false_commitment for C (block 16). `selection_kept`: the selection
    recomputed from the seed and pools is already kept in inspection_selections (as the notice scan keeps
    it); without it, whoever scores must keep it first."""
    chain = read_model_chain_id(session)
    proof = {"block_hash": f"0x{INSPECTED:064x}", "transaction_hash": f"0x{INSPECTED + 1000:064x}", "log_index": 0}
    session.add_all(
        [
            BlockTime(
                chain_id=chain,
                block_number=INSPECTED,
                block_hash=proof["block_hash"],
                timestamp=BLOCK_TIMES[15] + 86_400,
            ),
            *(
                Commitment(
                    chain_id=chain,
                    commitment=commitment_key(letter),
                    project="0x" + "01" * 32,
                    enterprise=ENTERPRISE,
                    kind="materials",
                    status="fulfilled",
                    fulfilled_late=False,
                    extensions=0,
                    signed_at=DUE - 60 * 86_400,
                    due_at=DUE,
                    evidence_submitted_at=0,
                    decided_at=DUE - 7_200,
                    recorded_block=10,
                    block_number=15,
                    **proof,
                )
                for letter in "ac"  # C selected by the draw; A not
            ),
            InspectionDrawEvent(  # the draw's reveal (its seed) a block before the outcome
                chain_id=chain,
                block_number=INSPECTED - 1,
                log_index=5,
                block_hash=f"0x{INSPECTED - 1:064x}",
                transaction_hash=f"0x{INSPECTED + 999:064x}",
                draw=DRAW,
                attempt=1,
                event="revealed",
                reveal_block_hash="0x" + "bb" * 32,
                seed=SEED,
            ),
            InspectionOutcome(
                chain_id=chain,
                block_number=INSPECTED,
                draw=DRAW,
                commitment=commitment_key("c"),
                outcome="false_commitment",
                document_hash="0x" + "0d" * 32,
                **proof,
            ),
        ]
    )
    if selection_kept:
        session.add(
            InspectionSelection(chain_id=chain, draw=DRAW, seed=SEED, commitment=commitment_key("c"), position=0)
        )
