"""Reminders and outcome notices on a real chain whose clock is moved (in a module of its own: it moves
its chain's clock forward for good, as test_overdue does)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.webhook_model import WebhookDelivery
from ledger.db.write_model import CommitmentRecord
from ledger.domain import chain_time
from ledger.domain.commitments import decide_commitment, record_commitments, sweep_overdue
from ledger.domain.common import reference_key_hex
from ledger.domain.notices import due_date_of, notices_of_enterprise, scan_notices
from ledger.domain.schemas.office import CommitmentDecision
from ledger.webhooks.delivery import add_endpoint, emit_enterprise_notices, emit_indexed_events
from ledger.webhooks.schemas import WebhookEndpointCreate
from tests.ledger.writer.test_writer import setup_projects
from tests.support.repairs import repair_after_notice
from tests.support.samples import commitment, make_uscc, sha

DAY = 86_400
REMINDERS = [7, 1]


def index(path) -> None:
    path.drain()
    indexer = path.indexer()
    indexer.catch_up()
    indexer.release()
    path.writer().mark_indexed()


def due_at(path, number: str) -> int:
    with path.session() as s:
        return s.execute(
            select(CommitmentView.due_at).where(CommitmentView.commitment == reference_key_hex(number))
        ).scalar_one()


def travel_to(path, moment: int) -> int:
    path.chain.travel(moment - path.chain.now())
    return path.chain.now()


def scan(path) -> int:
    with path.session() as s:
        made = scan_notices(s, now=path.chain.now(), reminder_days=REMINDERS)
        s.commit()
    return made


def notices(path) -> set[tuple[str, str, str]]:
    with path.session() as s:
        return {
            (n.commitment_number, n.kind, n.due_date.isoformat()) for n in notices_of_enterprise(s, uscc=make_uscc(1))
        }


def test_reminders_fire_once_each_at_their_times_and_never_for_fulfilled_or_extended_commitments(write_path):
    setup_projects(write_path, 1)
    with write_path.session() as s:
        add_endpoint(
            s,
            endpoint=WebhookEndpointCreate(
                subscriber="approval", url="http://127.0.0.1:9/notices", events=["commitment.due_soon"]
            ),
        )
        record_commitments(
            s,
            commitments=[
                commitment(1, "C-OPEN", "materials", days=10),
                commitment(1, "C-DONE", "materials", days=10),
                commitment(1, "C-MOVED", "materials", days=10),
            ],
            client="approval",
        )
        s.commit()
    index(write_path)
    due = due_at(write_path, "C-OPEN")
    assert scan(write_path) == 0  # ten days ahead: no reminder yet

    with write_path.session() as s:
        decide_commitment(
            s,
            commitment_number="C-DONE",
            decision=CommitmentDecision(action="fulfil", document_sha256=sha("done")),
            actor="office",
        )
        record = s.get(CommitmentRecord, "C-MOVED")
        decide_commitment(
            s,
            commitment_number="C-MOVED",
            decision=CommitmentDecision(
                action="extend", document_sha256=sha("moved"), new_due_date=record.due_date + timedelta(days=20)
            ),
            actor="office",
        )
        s.commit()
    index(write_path)
    moved = due_at(write_path, "C-MOVED")
    assert moved > due + 19 * DAY

    travel_to(write_path, due - 6 * DAY)  # within 7 days of the first due date
    assert scan(write_path) == 1
    assert scan(write_path) == 0  # run again: nothing new
    assert notices(write_path) == {("C-OPEN", "due_in_7d", due_date_of(due).isoformat())}

    travel_to(write_path, due - DAY // 2)  # within a day
    assert scan(write_path) == 1
    assert scan(write_path) == 0
    travel_to(write_path, moved - 3 * DAY)  # the extended one, before its new date; C-OPEN is past due
    assert scan(write_path) == 1
    assert notices(write_path) == {
        ("C-OPEN", "due_in_7d", due_date_of(due).isoformat()),
        ("C-OPEN", "due_in_1d", due_date_of(due).isoformat()),
        ("C-MOVED", "due_in_7d", due_date_of(moved).isoformat()),
    }

    with write_path.session() as s:  # the overdue mark is an outcome: noticed once, with its proof
        assert [c.reference for c in sweep_overdue(s, now=write_path.chain.now())] == ["C-OPEN"]
        s.commit()
    index(write_path)
    assert scan(write_path) == 1
    assert scan(write_path) == 0
    with write_path.session() as s:
        overdue = s.execute(select(EnterpriseNotice).where(EnterpriseNotice.kind == "overdue")).scalar_one()
    assert overdue.commitment_number == "C-OPEN" and overdue.transaction_hash.startswith("0x")

    # The approval system hears each reminder once (the outcome went out with its indexed command).
    assert emit_enterprise_notices(write_path.engine) == 3
    assert emit_enterprise_notices(write_path.engine) == 0
    with write_path.session() as s:
        events = s.execute(select(WebhookDelivery.event, WebhookDelivery.payload)).all()
    assert [e for e, _ in events] == ["commitment.due_soon"] * 3
    assert sum('"reminder":"due_in_1d"' in payload for _, payload in events) == 1


class _NodeClock:
    """The services' chain clock read straight from this module's node at each call (its latest block)."""

    def __init__(self, chain):
        self.chain = chain

    def now(self) -> int:
        return self.chain.now()

    def latest_allowed(self) -> int:
        return self.now() + chain_time.CLOCK_SKEW_SECONDS


def test_an_overdue_mark_a_breach_and_its_repair_are_each_noticed_once_with_their_proofs(
    write_path, monkeypatch, tmp_path
):
    # the decisions are judged on the node's clock, days ahead of the wall clock after the travel below
    monkeypatch.setattr(chain_time, "chain_clock", lambda: _NodeClock(write_path.chain))
    setup_projects(write_path, 1)
    with write_path.session() as s:
        add_endpoint(
            s,
            endpoint=WebhookEndpointCreate(
                subscriber="approval", url="http://127.0.0.1:9/notices", events=["commitment.repaired"]
            ),
        )
        record_commitments(s, commitments=[commitment(1, "C-BROKEN", "materials", days=2)], client="approval")
        s.commit()
    index(write_path)
    travel_to(write_path, due_at(write_path, "C-BROKEN") + 8 * DAY)  # past the registry's grace: overdue
    with write_path.session() as s:
        sweep_overdue(s, now=write_path.chain.now())
        s.commit()
    index(write_path)
    assert scan(write_path) == 1  # overdue
    for action in ("breach", "repair"):
        document = sha(action)
        if action == "repair":  # only after its application's public notice (ledger.domain.repairs)
            document = repair_after_notice(write_path, number="C-BROKEN", uscc=make_uscc(1), documents=tmp_path)
        with write_path.session() as s:
            decide_commitment(
                s,
                commitment_number="C-BROKEN",
                # dated on the chain's clock (moved days ahead here), not the wall clock the default reads
                decision=CommitmentDecision(
                    action=action,
                    document_sha256=document,
                    decided_at=datetime.fromtimestamp(write_path.chain.now(), UTC),
                ),
                actor="office",
            )
            s.commit()
        index(write_path)
        assert scan(write_path) == 1
        assert scan(write_path) == 0
    with write_path.session() as s:
        notices = notices_of_enterprise(s, uscc=make_uscc(1))
    outcomes = {n.kind: n.transaction_hash for n in notices if not n.kind.startswith("repair_")}
    assert set(outcomes) == {"overdue", "breached", "repaired"}
    # the repair's steps were told as the office took them (ledger.domain.repair_notices), without a proof
    assert [(n.kind, n.transaction_hash) for n in notices if n.kind.startswith("repair_")] == [
        ("repair_approved", None),
        ("repair_published", None),
    ]
    assert all(tx.startswith("0x") for tx in outcomes.values())
    emit_indexed_events(write_path.engine)  # the repair reaches the approval system as its command is indexed
    with write_path.session() as s:
        assert s.execute(select(WebhookDelivery.event)).scalars().all() == ["commitment.repaired"]


def test_reminders_do_not_fire_while_evidence_awaits_review_and_fire_again_once_it_is_rejected(write_path):
    setup_projects(write_path, 1)
    with write_path.session() as s:
        record_commitments(s, commitments=[commitment(1, "C-EVIDENCE", "materials", days=10)], client="approval")
        s.commit()
    index(write_path)
    with write_path.session() as s:
        decide_commitment(
            s,
            commitment_number="C-EVIDENCE",
            decision=CommitmentDecision(action="submit_evidence", document_sha256=sha("evidence")),
            actor="enterprise",
        )
        s.commit()
    due = due_at(write_path, "C-EVIDENCE")
    travel_to(write_path, due - 6 * DAY)
    assert scan(write_path) == 0  # the submission is on its way: no reminder
    index(write_path)
    assert scan(write_path) == 0  # pending review on chain: no reminder
    with write_path.session() as s:
        decide_commitment(
            s,
            commitment_number="C-EVIDENCE",
            decision=CommitmentDecision(action="reject_evidence", document_sha256=sha("rejected")),
            actor="office",
        )
        s.commit()
    index(write_path)
    assert scan(write_path) == 1  # nothing awaits review now: the reminder is due
    assert notices(write_path) == {("C-EVIDENCE", "due_in_7d", due_date_of(due).isoformat())}
