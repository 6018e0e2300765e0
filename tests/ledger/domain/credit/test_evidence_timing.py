"""The evidence-timing rule (issue 17 item 6) on a read model holding the history an earlier
contract version could write (v3 refuses a fact dated before the overdue mark; v2 accepted one):
the credit record, added up event by event, and the enterprise list, summed in SQL, agree on it."""

import pytest

from ledger.db.read_model import BlockTime, CommitmentEvent, EnterpriseCommitmentSummary
from ledger.domain.common import enterprise_key_hex, read_model_chain_id
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_records import credit_record, list_enterprises
from tests.support.samples import make_uscc

DUE = 1_800_000_000
MARKED = DUE + 7 * 86_400  # the mark's block time, once the grace had run out
ENTERPRISE = enterprise_key_hex(make_uscc(1))


def proof(chain_id: int, block: int) -> dict:
    return dict(
        chain_id=chain_id,
        block_number=block,
        log_index=0,
        block_hash=f"0x{block:064x}",
        transaction_hash=f"0x{block + 1000:064x}",
    )


@pytest.fixture
def history(session):
    """Three commitments of one enterprise: A marked overdue, then fulfilled on evidence dated
    before its due date; B marked overdue, then fulfilled on evidence dated after the mark; C
    fulfilled in time, never marked."""
    chain = read_model_chain_id(session)
    times = {10: DUE - 30 * 86_400, 11: MARKED, 12: MARKED, 13: MARKED + 86_400, 14: MARKED + 86_400, 15: DUE - 1}
    session.add_all(
        BlockTime(chain_id=chain, block_number=b, block_hash=f"0x{b:064x}", timestamp=t) for b, t in times.items()
    )

    def row(block: int, letter: str, event: str, **kw) -> CommitmentEvent:
        commitment = "0x" + letter * 64
        return CommitmentEvent(**proof(chain, block), commitment=commitment, enterprise=ENTERPRISE, event=event, **kw)

    recorded = [
        CommitmentEvent(
            **{**proof(chain, 10), "log_index": i},
            commitment="0x" + c * 64,
            enterprise=ENTERPRISE,
            event="recorded",
            due_at=DUE,
            fact_at=DUE - 60 * 86_400,
        )
        for i, c in enumerate("abc")
    ]
    session.add_all(
        [
            *recorded,
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
                **{k: v for k, v in proof(chain, 15).items() if k != "chain_id"},
            ),
        ]
    )
    session.commit()
    return session


def test_the_mark_the_evidence_predates_is_given_back_and_the_mark_after_it_stands(history):
    record = credit_record(history, enterprise=ENTERPRISE)
    assert record.rule_set == "sample-v2"
    assert [(e.kind, e.commitment_key[:4], e.contribution) for e in record.events] == [
        ("marked_overdue", "0xaa", -5),
        ("marked_overdue", "0xbb", -5),
        ("fulfilled_on_time", "0xaa", 1),
        ("overdue_mark_voided", "0xaa", 5),
        ("fulfilled_late", "0xbb", -3),
        ("fulfilled_on_time", "0xcc", 1),
    ]
    assert record.score == 100 + 1 - 8 + 1


@pytest.mark.parametrize("version, score", [("sample-v2", 94), ("sample-v1", 89)])
def test_the_listed_score_summed_in_sql_equals_the_record_under_each_rule_set(history, version, score):
    rules = load_rule_set(version)
    (listed,) = list_enterprises(history, rules=rules).items
    record = credit_record(history, enterprise=ENTERPRISE, rules=rules)
    assert listed.score == record.score == score
    assert listed.counts.get("overdue_mark_voided") == (1 if version == "sample-v2" else None)
