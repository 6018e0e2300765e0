"""The fee matter's timeline (ledger.domain.fee_matter.fee_matter): rows of every kind in, steps out in
time order, each thread's latest step saying what is expected of whom next."""

from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain import repairs
from ledger.domain.fee_matter import (
    NOTHING,
    CommitmentEventRow,
    CommitmentRows,
    MatterRows,
    RepairRows,
    Step,
    fee_matter,
)
from ledger.domain.schemas.common import ProofWithBlockTime
from ledger.domain.schemas.regulator import FeeAccountPublic, MoneyEntryPublic
from ledger.domain.schemas.tax import LevyPublic
from ledger.domain.tickets import TicketView


@pytest.fixture(autouse=True)
def published_rates():
    """Pure: rows in, steps out; no database (this replaces the folder's rate-table fixture)."""


T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def proof(block: int, log: int = 0) -> ProofWithBlockTime:
    """Block n is mined n hours after T0."""
    return ProofWithBlockTime(
        chain_id=1337,
        block_number=block,
        block_hash=f"0x{block:064x}",
        transaction_hash=f"0x{block + 1000:064x}",
        log_index=log,
        block_time=T0 + timedelta(hours=block),
    )


def account(status: str, *, due: int = 600_000, paid: int = 0, refunded: int = 0, owed: int = 0) -> FeeAccountPublic:
    return FeeAccountPublic(
        status=status, due_fen=due, paid_fen=paid, refunded_fen=refunded, refund_owed_fen=owed, proof=proof(99)
    )


def assessed(block: int = 1, due: int = 600_000) -> MoneyEntryPublic:
    return MoneyEntryPublic(kind="assessed", amount_fen=due, due_fen_after=due, proof=proof(block))


def paid(block: int, amount: int, voucher: str) -> MoneyEntryPublic:
    return MoneyEntryPublic(kind="payment", amount_fen=amount, reference=voucher, late=False, proof=proof(block))


def levy(status: str = "open") -> LevyPublic:
    return LevyPublic(
        levy_number="P-A1",
        project_code="P",
        payer_uscc="U",
        kind="assessment",
        amount_fen=600_000,
        confirmed_fen=0,
        status=status,
        created_at=T0,
    )


def commitment(number: str, status: str, *events: tuple[str, str | None, int], pending: bool = False) -> CommitmentRows:
    return CommitmentRows(
        number=number,
        kind="materials",
        status=status,
        due_at=T0 + timedelta(days=30),
        evidence_pending=pending,
        events=[CommitmentEventRow(event, after, None, proof(block)) for event, after, block in events],
    )


def ticket(number: str, status: str, *, hours: int, rating: str | None = None, overdue: bool = False) -> TicketView:
    return TicketView(
        number=number,
        kind="consultation",
        topic="project",
        project_code="P",
        title="减免如何申请",
        body="请问",
        status=status,
        submitted_at=T0 + timedelta(hours=hours, minutes=30),
        due_at=T0 + timedelta(days=5),
        overdue=overdue,
        answer=None if status == "open" else "答复",
        answered_at=None if status == "open" else T0 + timedelta(days=1),
        rating=rating,
        rating_reason=None,
        faq=False,
    )


def rows(**given) -> MatterRows:
    base = {"account": None, "money": [], "levies": [], "commitments": [], "tickets": []}
    return MatterRows(**(base | given))


def current(steps: list[Step]) -> dict[str, Step]:
    """Each thread's step that carries an expectation."""
    return {s.thread: s for s in steps if s.expected.actor != "none"}


def test_steps_of_every_kind_come_in_time_order_and_only_each_threads_latest_expects_something():
    matter = fee_matter(
        rows(
            account=account("partially_paid", paid=100_000),
            money=[
                assessed(1),
                MoneyEntryPublic(kind="relief", amount_fen=0, due_fen_after=540_000, relief_bps=1000, proof=proof(3)),
                MoneyEntryPublic(kind="adjusted", amount_fen=60_000, due_fen_after=600_000, proof=proof(4)),
                paid(6, 100_000, "V-1"),
            ],
            levies=[levy()],
            commitments=[commitment("C-1", "recorded", ("recorded", "recorded", 2))],
            tickets=[ticket("ZX1", "open", hours=5)],
        )
    )
    assert [s.kind for s in matter.steps] == [
        "assessed",
        "commitment_recorded",
        "relief",
        "adjusted",
        "ticket",  # filed at T0 + 5h30, between blocks 5 and 6
        "payment",
    ]
    assert [s.status for s in matter.steps] == [
        "on_chain",
        "recorded",
        "on_chain",
        "on_chain",
        "open",
        "partially_paid",
    ]
    assert all(s.expected.actor == "none" for s in matter.steps[:1] + matter.steps[2:4])
    assert matter.steps[-1].voucher_number == "V-1" and matter.steps[-1].amount_fen == 100_000
    assert matter.steps[2].amount_fen == 540_000  # a relief shows the amount due after it
    assert all(s.proof is not None and s.at == s.proof.block_time for s in matter.steps if s.kind != "ticket")
    assert not matter.cleared


def test_assessed_and_unpaid_the_enterprise_pays_the_open_levy_and_its_turn_comes_first():
    matter = fee_matter(
        rows(
            account=account("assessed"),
            money=[assessed(1)],
            levies=[levy("cancelled"), levy()],
            tickets=[ticket("ZX1", "open", hours=0)],
        )
    )
    pay = current(matter.steps)["fee"].expected
    assert (pay.actor, pay.action, pay.target) == ("enterprise", "pay", "P-A1")
    assert "¥6,000.00" in pay.sentence and "P-A1" in pay.sentence
    assert [e.actor for e in matter.to_do] == ["enterprise", "office"]  # the enterprise's own first


def test_of_what_the_enterprise_is_to_do_paying_comes_first():
    matter = fee_matter(
        rows(
            account=account("assessed"),
            money=[assessed(5)],
            levies=[levy()],
            commitments=[commitment("C-1", "recorded", ("recorded", "recorded", 1))],
            tickets=[ticket("ZX1", "open", hours=0)],
        )
    )
    assert [(e.actor, e.action) for e in matter.to_do] == [
        ("enterprise", "pay"),
        ("enterprise", "submit_evidence"),
        ("office", None),
    ]


def test_assessed_without_an_open_levy_waits_on_the_tax_bureau_and_overpaid_waits_for_a_refund():
    waiting = fee_matter(rows(account=account("assessed"), money=[assessed(1)], levies=[levy("cancelled")]))
    assert current(waiting.steps)["fee"].expected.actor == "tax_bureau"
    over = fee_matter(
        rows(
            account=account("overpaid", paid=700_000, owed=100_000),
            money=[assessed(1), paid(2, 700_000, "V-1")],
        )
    )
    refund = current(over.steps)["fee"].expected
    assert refund.actor == "tax_bureau" and "¥1,000.00" in refund.sentence and refund.action is None
    refunded = fee_matter(
        rows(
            account=account("paid", paid=700_000, refunded=100_000),
            money=[
                assessed(1),
                paid(2, 700_000, "V-1"),
                MoneyEntryPublic(kind="refund", amount_fen=100_000, reference="RF-1", proof=proof(3)),
            ],
        )
    )
    last = refunded.steps[-1]
    assert (last.kind, last.status, last.amount_fen, last.reference, last.voucher_number) == (
        "refund",
        "paid",
        100_000,
        "RF-1",
        None,
    )
    assert refunded.to_do == [] and refunded.cleared


def test_each_commitment_state_names_who_acts_next():
    matter = fee_matter(
        rows(
            account=account("paid", paid=600_000),
            money=[assessed(1), paid(2, 600_000, "V-1")],
            commitments=[
                commitment("DUE", "recorded", ("recorded", "recorded", 3)),
                commitment(
                    "SENT", "recorded", ("recorded", "recorded", 3), ("evidence_submitted", None, 5), pending=True
                ),
                commitment(
                    "BACK",
                    "recorded",
                    ("recorded", "recorded", 3),
                    ("evidence_submitted", None, 5),
                    ("evidence_rejected", None, 7),
                ),
                commitment("LATE", "overdue", ("recorded", "recorded", 3), ("marked_overdue", "overdue", 8)),
                commitment(
                    "BROKEN",
                    "breached",
                    ("recorded", "recorded", 3),
                    ("marked_overdue", "overdue", 8),
                    ("breached", "breached", 9),
                ),
                commitment("DONE", "fulfilled", ("recorded", "recorded", 3), ("fulfilled", "fulfilled", 4)),
                commitment("LATER", "extended", ("recorded", "recorded", 3), ("extended", "extended", 6)),
                commitment(
                    "MENDED",
                    "repaired",
                    ("recorded", "recorded", 3),
                    ("marked_overdue", "overdue", 8),
                    ("breached", "breached", 9),
                    ("repaired", "repaired", 10),
                ),
            ],
        )
    )
    now = current(matter.steps)
    expected = {thread: (s.status, s.expected.actor, s.expected.action) for thread, s in now.items()}
    assert expected == {
        "commitment:DUE": ("recorded", "enterprise", "submit_evidence"),
        "commitment:SENT": ("evidence_submitted", "office", None),
        "commitment:BACK": ("evidence_rejected", "enterprise", "answer_rejection"),
        "commitment:LATE": ("overdue", "enterprise", "submit_evidence"),
        "commitment:BROKEN": ("breached", "enterprise", "apply_repair"),
        "commitment:LATER": ("extended", "enterprise", "submit_evidence"),
    }
    mended = [(s.kind, s.status) for s in matter.steps if s.thread == "commitment:MENDED"]
    assert mended == [
        ("commitment_recorded", "recorded"),
        ("commitment_marked_overdue", "overdue"),
        ("commitment_breached", "breached"),
        ("commitment_repaired", "repaired"),
    ]
    assert "2026-07-01" in now["commitment:DUE"].expected.sentence  # the due date, in Shanghai
    assert all(s.expected.target == s.reference for s in now.values() if s.expected.actor == "enterprise")
    done = [s for s in matter.steps if s.thread == "commitment:DONE"]
    assert [s.status for s in done] == ["recorded", "fulfilled"] and all(s.expected.actor == "none" for s in done)
    assert not matter.cleared  # paid, but commitments still wait


def test_an_answered_ticket_waits_for_the_enterprises_rating_and_a_rated_one_for_nobody():
    matter = fee_matter(
        rows(
            account=account("paid", paid=600_000),
            money=[assessed(1)],
            tickets=[ticket("ZX1", "answered", hours=2), ticket("ZX2", "answered", hours=3, rating="satisfied")],
        )
    )
    by_thread = {s.thread: s for s in matter.steps}
    rate = by_thread["ticket:ZX1"].expected
    assert (by_thread["ticket:ZX1"].status, rate.actor, rate.action, rate.target) == (
        "answered",
        "enterprise",
        "rate_ticket",
        "ZX1",
    )
    assert by_thread["ticket:ZX2"].status == "rated" and by_thread["ticket:ZX2"].expected.actor == "none"
    assert by_thread["ticket:ZX1"].proof is None  # not on chain


def test_an_open_ticket_waits_on_the_office_by_its_deadline_and_says_so_when_it_has_passed():
    on_time, late = (
        fee_matter(rows(tickets=[ticket("TS1", "open", hours=1, overdue=overdue)])).steps[0].expected
        for overdue in (False, True)
    )
    assert on_time.actor == late.actor == "office" and on_time.action is None
    assert "2026-06-06 前答复" in on_time.sentence and "答复期限 2026-06-06 已过" in late.sentence


def test_a_cleared_matter_expects_nothing_of_anyone():
    for status in ("paid", "exempt", "nothing_owed"):
        matter = fee_matter(
            rows(
                account=account(status, paid=600_000 if status == "paid" else 0),
                money=[assessed(1), paid(2, 600_000, "V-1")] if status == "paid" else [assessed(1, due=0)],
                levies=[levy("paid")],
                commitments=[
                    commitment("C-1", "fulfilled", ("recorded", "recorded", 3), ("fulfilled", "fulfilled", 4))
                ],
                tickets=[ticket("ZX1", "answered", hours=5, rating="satisfied")],
            )
        )
        assert matter.to_do == [] and matter.cleared, status
        assert all(s.expected.actor == "none" for s in matter.steps)


def test_a_project_not_yet_assessed_waits_on_the_office_and_inspections_join_the_timeline_when_given():
    matter = fee_matter(rows())
    assert [(s.kind, s.status, s.proof) for s in matter.steps] == [("unassessed", "unassessed", None)]
    assert [e.actor for e in matter.to_do] == ["office"] and not matter.cleared
    inspection = Step("inspection", "inspection:1", T0 + timedelta(hours=2), "passed", NOTHING)
    given = fee_matter(rows(account=account("paid", paid=600_000), money=[assessed(1)], inspections=[inspection]))
    assert [s.kind for s in given.steps] == ["assessed", "inspection"] and given.cleared


def repair_application(number: str, status: str, *, hours: int, reason: str | None = None) -> RepairRows:
    """An application for commitment `number` submitted `hours` after T0, published an hour later, with one
    objection, decided (when `status` says so) a day after it was published."""
    published = T0 + timedelta(hours=hours + 1) if status != "submitted" else None
    decided = T0 + timedelta(hours=hours + 25) if status in ("approved", "rejected") else None
    application = repairs.Application(
        id=f"{number}-{status}",
        commitment_number=number,
        project_code="P",
        enterprise_uscc="U",
        statement="已整改",
        evidence_digest="ab" * 32,
        digest_algorithm="sha256",
        files=[],
        submitted_by="builder",
        submitted_at=T0 + timedelta(hours=hours),
        status=status,
        published_by="clerk" if published else None,
        published_at=published,
        notice_ends_at=published + timedelta(days=7) if published else None,
        decided_by="clerk" if decided else None,
        decided_at=decided,
        reason=reason,
        command_id="c" if status == "approved" else None,
        command_status="indexed" if status == "approved" else None,
    )
    objections = (
        [repairs.Objection("TS1", "complaint", "有异议", "未整改", "open", published + timedelta(hours=2))]
        if published
        else []
    )
    return RepairRows(application, objections)


def broken(number: str) -> CommitmentRows:
    return commitment(
        number, "breached", ("recorded", "recorded", 3), ("marked_overdue", "overdue", 8), ("breached", "breached", 9)
    )


def test_a_repair_application_is_its_own_thread_from_application_to_decision_and_says_who_acts_next():
    matter = fee_matter(
        rows(
            commitments=[broken("ON-NOTICE"), broken("TURNED-DOWN"), broken("ASKED")],
            repairs=[
                repair_application("ON-NOTICE", "published", hours=20),
                repair_application("TURNED-DOWN", "rejected", hours=20, reason="材料不全"),
                repair_application("ASKED", "submitted", hours=20),
            ],
        )
    )
    now = current(matter.steps)
    expected = {thread: (s.kind, s.status, s.expected.actor, s.expected.action) for thread, s in now.items()}
    assert expected == {
        "fee": ("unassessed", "unassessed", "office", None),
        "repair:ON-NOTICE-published": ("repair_objection", "published", "office", None),
        "repair:TURNED-DOWN-rejected": ("repair_rejected", "rejected", "enterprise", "apply_repair"),
        "repair:ASKED-submitted": ("repair_applied", "submitted", "office", None),
    }  # the breaches themselves wait on nobody now: their applications say what comes next
    assert "材料不全" in now["repair:TURNED-DOWN-rejected"].expected.sentence
    assert "2026-06-09 07:00" in now["repair:ON-NOTICE-published"].expected.sentence  # the period's end, Shanghai
    steps = [s.kind for s in matter.steps if s.thread == "repair:TURNED-DOWN-rejected"]
    assert steps == ["repair_applied", "repair_published", "repair_objection", "repair_rejected"]


def test_a_rejected_application_followed_by_another_asks_nothing_more_of_the_enterprise():
    matter = fee_matter(
        rows(
            commitments=[broken("AGAIN")],
            repairs=[
                repair_application("AGAIN", "rejected", hours=20, reason="材料不全"),
                repair_application("AGAIN", "approved", hours=60),
            ],
        )
    )
    assert [s.expected.actor for s in matter.steps if s.thread == "repair:AGAIN-rejected"] == ["none"] * 4
    assert [s.kind for s in matter.steps if s.thread == "repair:AGAIN-approved"][-1] == "repair_approved"


def test_a_relief_an_adjustment_and_a_decision_carry_the_digest_of_their_document_to_the_timeline():
    """The portal links each to the office's uploaded file (ledger.domain.office_documents)."""
    relief, adjusted, extension = "0x" + "a1" * 32, "0x" + "b2" * 32, "0x" + "c3" * 32
    matter = fee_matter(
        rows(
            account=account("assessed"),
            money=[
                assessed(1),
                MoneyEntryPublic(
                    kind="relief",
                    amount_fen=0,
                    due_fen_after=540_000,
                    relief_bps=1000,
                    document_hash=relief,
                    proof=proof(2),
                ),
                MoneyEntryPublic(
                    kind="adjusted", amount_fen=-1_000, due_fen_after=539_000, document_hash=adjusted, proof=proof(3)
                ),
            ],
            levies=[levy()],
            commitments=[
                CommitmentRows(
                    number="C-1",
                    kind="materials",
                    status="extended",
                    due_at=T0 + timedelta(days=60),
                    evidence_pending=False,
                    events=[CommitmentEventRow("extended", "extended", None, proof(4), extension)],
                )
            ],
        )
    )
    assert {s.kind: s.document_hash for s in matter.steps} == {
        "assessed": None,
        "relief": relief,
        "adjusted": adjusted,
        "commitment_extended": extension,
    }
