"""Credit repair with public notice (ledger.domain.repairs) without a node: a breached commitment as the
read model holds it, the chain's clock as the domain tests' fixed clock (moved by the tests), on SQLite
and PostgreSQL. The whole path on a real chain is tests/portal/test_repair_pages.py."""

import shutil
import threading
from datetime import date, timedelta

import orjson
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ledger.core.crypto_profile import PROFILES
from ledger.core.settings import TicketSettings
from ledger.db.engine import make_engine
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.repair_model import RepairApplication
from ledger.db.schema import upgrade_schema
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain import announcements, commitments, fees, projects, repair_notices, repairs, tickets
from ledger.domain.common import SHANGHAI, end_of_day, from_unix
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import InvalidState, ValidationFailed
from ledger.domain.notices import notices_of_enterprise
from ledger.domain.repair_gate import NoticePeriodRunning, ends_text
from ledger.domain.schemas.office import CommitmentDecision
from tests.support.documents import HTML, pdf, png
from tests.support.samples import assessment, commitment, make_uscc, project, sha

DAY = 86_400
NUMBER = "C-BREACHED"
USCC = make_uscc(1)


class FakeCipher:
    def encrypt(self, value: str, *, context: str) -> str:
        return "enc:" + value

    def decrypt(self, token: str, *, context: str) -> str:
        return token.removeprefix("enc:")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated SQLite file for the module; each test works on a copy (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("repairs") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(request, migrated, tmp_path, make_database) -> str:
    """A copy of the migrated SQLite file; PostgreSQL (migrated afresh) where a test asks for it."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return make_database("postgresql")
    shutil.copy(migrated, tmp_path / "ledger.db")
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents", max_bytes=4096, profile=PROFILES["standard"])


def breached(session: Session, number: str = NUMBER, status: str = "breached") -> None:
    """Commitment `number` of project 1, recorded and indexed, with `status` on chain."""
    if session.get(CommitmentRecord, number) is None and not session.execute(select(OutboxCommand)).first():
        projects.register_project(session, project=project(1), client="approval")
        fees.assess_fee(session, assessment=assessment(1), actor="office")
    commitments.record_commitments(session, commitments=[commitment(1, number)], client="approval")
    record = session.get(CommitmentRecord, number)
    session.execute(update(OutboxCommand).where(OutboxCommand.id == record.command_id).values(status="indexed"))
    session.execute(
        insert(CommitmentView).values(
            chain_id=31337,
            commitment=record.commitment_key,
            project="0x" + "44" * 32,
            enterprise="0x" + "33" * 32,
            kind="shelter_build",
            status=status,
            fulfilled_late=False,
            extensions=0,
            signed_at=1,
            due_at=end_of_day(date.today() - timedelta(days=30)),
            evidence_submitted_at=0,
            decided_at=0,
            recorded_block=11,
            block_number=12,
            block_hash="0x" + "11" * 32,
            transaction_hash="0x" + "22" * 32,
            log_index=0,
        )
    )
    session.commit()


def apply(session: Session, store: DocumentStore, number: str = NUMBER, **changes) -> repairs.Application:
    arguments = {
        "store": store,
        "uscc": USCC,
        "username": "builder-1",
        "commitment_number": number,
        "statement": "已补建防空地下室并通过验收。",
        "files": [(pdf(1), "整改报告.pdf"), (png(2), "现场照片.png")],
    } | changes
    application = repairs.apply_for_repair(session, **arguments)
    session.commit()
    return application


def repair_commands(session: Session) -> list[dict]:
    return [
        orjson.loads(args)
        for args in session.execute(
            select(OutboxCommand.args).where(OutboxCommand.kind == "repair_commitment")
        ).scalars()
    ]


def published(session, store, chain_clock, days: int = 7) -> repairs.Application:
    breached(session)
    application = apply(session, store)
    application = repairs.publish(session, application_id=application.id, actor="office-clerk", notice_days=days)
    session.commit()
    return application


def test_an_application_keeps_its_files_and_its_digest_is_recomputable_from_the_statement_and_files(session, store):
    breached(session)
    application = apply(session, store)
    assert application.status == "submitted" and [f.media_type for f in application.files] == [
        "application/pdf",
        "image/png",
    ]
    digests = [f.digest for f in application.files]
    assert all(store.read(d)[0] for d in digests)  # kept in the content-addressed store
    manifest = orjson.dumps(
        {"commitment": NUMBER, "files": digests, "statement": "已补建防空地下室并通过验收。"},
        option=orjson.OPT_SORT_KEYS,
    )
    assert application.evidence_digest == PROFILES["standard"].digest(manifest).hex()


def test_only_a_breached_commitment_of_ones_own_takes_an_application_and_bad_files_write_nothing(session, store):
    breached(session, status="overdue")
    with pytest.raises(InvalidState) as refused:
        apply(session, store)
    assert (refused.value.field, refused.value.rule) == ("commitment_number", "breached_only")
    session.rollback()
    breached(session, "C-OTHER")
    with pytest.raises(ValidationFailed) as refused:
        apply(session, store, "C-OTHER", files=[(HTML, "report.pdf")])
    assert (refused.value.field, refused.value.rule) == ("file", "allowed_type")
    with pytest.raises(ValidationFailed) as refused:
        apply(session, store, "C-OTHER", statement="  ")
    assert (refused.value.field, refused.value.rule) == ("statement", "required")
    with pytest.raises(ValidationFailed) as refused:
        apply(session, store, "C-OTHER", files=[])
    assert (refused.value.field, refused.value.rule) == ("file", "not_empty")
    session.rollback()
    assert repairs.applications_of_commitment(session, commitment_number="C-OTHER") == []
    assert not (store.directory).exists() or not any(p.is_file() for p in store.directory.rglob("*"))


def test_a_second_application_while_one_is_open_is_refused(session, store):
    breached(session)
    apply(session, store)
    with pytest.raises(InvalidState) as refused:
        apply(session, store, files=[(pdf(9), "又一份.pdf")])
    assert (refused.value.field, refused.value.rule) == ("commitment_number", "one_open_application")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_two_applications_submitted_at_the_same_moment_are_refused_by_the_database_but_one(
    session, store, engine, monkeypatch
):
    """Both pass the check before either is stored: the unique open_commitment column refuses the second."""
    breached(session)
    both_checked = threading.Barrier(2, timeout=30)
    check = repairs._refuse_when_open

    def check_then_wait(s, number):
        check(s, number)
        both_checked.wait()

    monkeypatch.setattr(repairs, "_refuse_when_open", check_then_wait)
    outcomes: list[object] = []

    def submit(seed: int) -> None:
        with Session(engine) as own:
            try:
                apply(own, store, files=[(pdf(seed), f"{seed}.pdf")])
                outcomes.append("stored")
            except InvalidState as refused:
                own.rollback()
                outcomes.append(refused.rule)

    threads = [threading.Thread(target=submit, args=(seed,)) for seed in (11, 12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["one_open_application", "stored"]
    session.expire_all()
    assert len(repairs.applications_of_commitment(session, commitment_number=NUMBER)) == 1


def test_a_repair_decision_without_a_published_application_is_refused_naming_the_rule(session, store):
    breached(session)
    decision = CommitmentDecision(action="repair", document_sha256=sha("r"))
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number=NUMBER, decision=decision, actor="office")
    assert (refused.value.field, refused.value.rule) == ("action", "repair_application_required")
    session.rollback()
    application = apply(session, store)  # applied, not yet published: still refused
    decision = CommitmentDecision(action="repair", document_sha256=application.evidence_digest)
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number=NUMBER, decision=decision, actor="office")
    assert refused.value.rule == "repair_application_required"
    assert repair_commands(session) == []


def test_approval_before_the_notice_period_ends_is_refused_naming_the_date_and_nothing_is_queued(
    session, store, chain_clock
):
    application = published(session, store, chain_clock)
    assert application.notice_ends_at == from_unix(chain_clock.now() + 7 * DAY)
    chain_clock.offset += 7 * DAY - 60  # a minute before the end
    with pytest.raises(NoticePeriodRunning) as refused:
        repairs.approve(session, application_id=application.id, actor="office-clerk")
    assert (refused.value.field, refused.value.rule) == ("action", "notice_period")
    assert refused.value.ends_at == application.notice_ends_at
    assert ends_text(application.notice_ends_at) in refused.value.detail
    assert application.notice_ends_at.isoformat() in refused.value.detail
    session.rollback()
    assert repair_commands(session) == []
    assert repairs.get_application(session, application_id=application.id).status == "published"


def test_after_the_notice_period_approval_queues_the_repair_with_the_applications_digest(session, store, chain_clock):
    application = published(session, store, chain_clock)
    chain_clock.offset += 7 * DAY
    accepted = repairs.approve(session, application_id=application.id, actor="office-second")
    session.commit()
    (args,) = repair_commands(session)
    assert args["evidence_hash"] == "0x" + application.evidence_digest
    assert args["repaired_at"] >= chain_clock.now() - 1
    approved = repairs.get_application(session, application_id=application.id)
    assert (approved.status, approved.decided_by, approved.command_id) == (
        "approved",
        "office-second",
        accepted.command_id,
    )
    with pytest.raises(InvalidState) as refused:  # approved once: a second approval is refused
        repairs.approve(session, application_id=application.id, actor="office-clerk")
    assert refused.value.rule == "published_only"


def test_a_repair_decided_from_the_commitment_approves_its_published_application_and_nothing_else(
    session, store, chain_clock
):
    """The decision page's 信用修复 takes no file: the published application is its document."""
    breached(session)
    apply(session, store)  # applied, not yet published
    with pytest.raises(InvalidState) as refused:
        repairs.approve_for_commitment(session, commitment_number=NUMBER, actor="office-clerk")
    assert (refused.value.field, refused.value.rule) == ("action", "repair_application_required")
    assert repair_commands(session) == []
    application = repairs.applications_of_commitment(session, commitment_number=NUMBER)[0]
    repairs.publish(session, application_id=application.id, actor="office-clerk", notice_days=7)
    session.commit()
    chain_clock.offset += 7 * DAY
    accepted = repairs.approve_for_commitment(session, commitment_number=NUMBER, actor="office-second")
    session.commit()
    (args,) = repair_commands(session)
    assert args["evidence_hash"] == "0x" + application.evidence_digest
    approved = repairs.get_application(session, application_id=application.id)
    assert (approved.status, approved.command_id) == ("approved", accepted.command_id)


def test_a_repair_decision_with_another_document_than_the_applications_is_refused(session, store, chain_clock):
    application = published(session, store, chain_clock)
    chain_clock.offset += 8 * DAY
    decision = CommitmentDecision(action="repair", document_sha256=sha("another"))
    with pytest.raises(ValidationFailed) as refused:
        commitments.decide_commitment(session, commitment_number=NUMBER, decision=decision, actor="office")
    assert (refused.value.field, refused.value.rule) == ("document_sha256", "application_evidence")
    assert application.evidence_digest in refused.value.detail


def test_an_objection_during_the_notice_period_is_listed_with_the_application_and_refused_after_it(
    session, store, chain_clock
):
    application = published(session, store, chain_clock)

    def object_to(title: str):
        return tickets.submit(
            session,
            kind="complaint",
            topic="repair_notice",
            title=title,
            body="该单位并未整改到位。",
            contact="13800138000",
            cipher=FakeCipher(),
            settings=TicketSettings(),
            repair_application_id=application.id,
        )

    filed = object_to("对公示有异议")
    session.commit()
    (objection,) = repairs.objections(session, application_id=application.id)
    assert (objection.number, objection.title, objection.kind) == (filed.ticket.number, "对公示有异议", "complaint")
    chain_clock.offset += 7 * DAY
    with pytest.raises(ValidationFailed) as refused:
        object_to("太晚了")
    assert (refused.value.field, refused.value.rule) == ("repair_application_id", "in_notice_period")


def test_a_rejection_with_a_reason_closes_the_application_and_a_new_one_may_follow(session, store, chain_clock):
    application = published(session, store, chain_clock)
    with pytest.raises(ValidationFailed) as refused:
        repairs.reject(session, application_id=application.id, actor="office-clerk", reason=" ")
    assert (refused.value.field, refused.value.rule) == ("reason", "required")
    rejected = repairs.reject(session, application_id=application.id, actor="office-clerk", reason="整改材料不全")
    session.commit()
    assert (rejected.status, rejected.reason) == ("rejected", "整改材料不全")
    again = apply(session, store, files=[(pdf(7), "补充.pdf")])
    assert again.status == "submitted"


def test_a_published_application_is_a_repair_notice_among_the_announcements_only_in_its_notice_period(
    session, store, chain_clock
):
    application = published(session, store, chain_clock, days=3)
    today = from_unix(chain_clock.now()).date()
    (notice,) = [a for a in announcements.list_announcements(session, on=today) if a.category == "repair_notice"]
    assert notice.id == f"repair-notice-{application.id}" and notice.repair_application_id == application.id
    assert NUMBER in notice.title and application.evidence_digest in "".join(notice.body)
    assert ends_text(application.notice_ends_at) in "".join(notice.body)
    chain_clock.offset += 3 * DAY
    assert [a for a in announcements.list_announcements(session, on=today) if a.category == "repair_notice"] == []


# --- the enterprise's notices of each step (issue 17) -------------------------------------------------


def repair_notices_of(session: Session) -> list[tuple[str, str, date, str | None]]:
    """The enterprise's repair-step notices, oldest first: (kind, commitment, date, detail)."""
    return [
        (n.kind, n.commitment_number, n.due_date, n.detail)
        for n in reversed(notices_of_enterprise(session, uscc=USCC))
        if n.kind in repair_notices.KINDS
    ]


def told_again(session: Session, application_id: str, kind: str) -> None:
    """The step's notice made a second time, as a retried request would: the unique key keeps one."""
    row = session.get(RepairApplication, application_id)
    repair_notices.notify_repair_step(session, application=row, kind=kind)
    session.commit()


def shanghai_day(moment) -> date:
    return moment.astimezone(SHANGHAI).date()


def test_an_application_submitted_but_not_published_tells_the_enterprise_nothing_yet(session, store):
    breached(session)
    apply(session, store)
    assert repair_notices_of(session) == []


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_publication_tells_the_enterprise_once_with_the_day_its_notice_period_ends(session, store, chain_clock):
    application = published(session, store, chain_clock, days=5)
    told = [("repair_published", NUMBER, shanghai_day(application.notice_ends_at), None)]
    assert repair_notices_of(session) == told
    with pytest.raises(InvalidState):  # a double click: the second publication is refused
        repairs.publish(session, application_id=application.id, actor="office-clerk", notice_days=5)
    session.rollback()
    told_again(session, application.id, repair_notices.PUBLISHED)
    assert repair_notices_of(session) == told
    (notice,) = [n for n in notices_of_enterprise(session, uscc=USCC) if n.kind == "repair_published"]
    assert notice.project_code == session.get(CommitmentRecord, NUMBER).project_code


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_rejection_tells_the_enterprise_once_with_the_reason(session, store, chain_clock):
    application = published(session, store, chain_clock)
    rejected = repairs.reject(session, application_id=application.id, actor="office-clerk", reason="整改材料不全")
    session.commit()
    with pytest.raises(InvalidState):
        repairs.reject(session, application_id=application.id, actor="office-clerk", reason="整改材料不全")
    session.rollback()
    told_again(session, application.id, repair_notices.REJECTED)
    assert repair_notices_of(session) == [
        ("repair_published", NUMBER, shanghai_day(application.notice_ends_at), None),
        ("repair_rejected", NUMBER, shanghai_day(rejected.decided_at), "整改材料不全"),
    ]


def test_an_approval_tells_the_enterprise_once_that_the_repair_is_queued_for_the_chain(session, store, chain_clock):
    application = published(session, store, chain_clock)
    chain_clock.offset += 7 * DAY
    repairs.approve(session, application_id=application.id, actor="office-second")
    session.commit()
    with pytest.raises(InvalidState):
        repairs.approve(session, application_id=application.id, actor="office-second")
    session.rollback()
    told_again(session, application.id, repair_notices.APPROVED)
    approved = repairs.get_application(session, application_id=application.id)
    assert repair_notices_of(session) == [
        ("repair_published", NUMBER, shanghai_day(application.notice_ends_at), None),
        ("repair_approved", NUMBER, shanghai_day(approved.decided_at), None),
    ]


def test_a_repair_decided_through_the_commitment_decision_also_tells_the_enterprise_of_the_approval(
    session, store, chain_clock
):
    application = published(session, store, chain_clock)
    chain_clock.offset += 7 * DAY
    decision = CommitmentDecision(action="repair", document_sha256=application.evidence_digest)
    commitments.decide_commitment(session, commitment_number=NUMBER, decision=decision, actor="office-second")
    session.commit()
    assert [kind for kind, *_ in repair_notices_of(session)] == ["repair_published", "repair_approved"]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_two_applications_of_one_commitment_rejected_the_same_day_are_each_told(session, store, chain_clock):
    """The once-key of a step is its application, not (commitment, kind, day): both rejections are told."""
    first = published(session, store, chain_clock, days=5)
    repairs.reject(session, application_id=first.id, actor="office-clerk", reason="材料不全")
    session.commit()
    second = apply(session, store, files=[(pdf(7), "补充.pdf")])
    second = repairs.publish(session, application_id=second.id, actor="office-clerk", notice_days=5)
    repairs.reject(session, application_id=second.id, actor="office-clerk", reason="照片模糊")
    session.commit()
    assert [(kind, detail) for kind, _, _, detail in repair_notices_of(session)] == [
        ("repair_published", None),
        ("repair_rejected", "材料不全"),
        ("repair_published", None),
        ("repair_rejected", "照片模糊"),
    ]
