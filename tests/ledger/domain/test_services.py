"""Domain services on SQLite and PostgreSQL: state and outbox in one transaction, refusals write nothing."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ledger.db.write_model import Enterprise, Levy, OutboxCommand, PaymentConfirmation as ConfirmationRow
from ledger.domain import commitments, fees, payments, projects, statements
from ledger.domain.common import SHANGHAI
from ledger.domain.errors import Conflict, NotFound, ValidationFailed
from ledger.domain.rates import fee_fen
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from ledger.domain.schemas.approval import AcceptanceReport
from ledger.domain.schemas.office import AdjustmentCreate, CommitmentDecision
from ledger.domain.schemas.tax import PaymentBatch, StatementItem, TaxStatement
from tests.support.samples import assessment, commitment, make_uscc, payment, project, project_code, sha


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def registered_and_assessed(session, n: int = 1) -> int:
    projects.register_project(session, project=project(n), client="approval")
    fees.assess_fee(session, assessment=assessment(n), actor="office")
    session.commit()
    return session.execute(select(Levy.amount_fen).where(Levy.project_code == project_code(n))).scalar_one()


def test_a_builder_name_and_contacts_are_stored_only_encrypted(session):
    public = projects.register_project(session, project=project(1), client="approval")
    session.commit()
    assert public.builder_name == "样例建设单位 1 有限公司"
    row = session.get(Enterprise, make_uscc(1))
    stored = " ".join([row.name_token, row.contact_person_token, row.contact_phone_token])
    assert "样例" not in stored and "张三" not in stored and "12345678" not in stored
    assert row.name_token.startswith("dev1.")


def test_an_assessment_follows_the_rate_table_and_opens_a_levy_with_one_outbox_command(session):
    amount = registered_and_assessed(session)
    rate = SAMPLE_RATE_TABLE.rates[project(1).district]
    assert amount == fee_fen(60_000, rate) == 600 * rate
    command = session.execute(select(OutboxCommand)).scalar_one()
    assert (command.kind, command.role, command.status) == ("assess_fee", "ASSESSOR_ROLE", "accepted")


def test_a_policy_reduction_halves_the_levy(session):
    amount = registered_and_assessed(session)
    fees.adjust_fee(
        session,
        adjustment=AdjustmentCreate(
            project_code=project_code(1), reason_code="AFFORDABLE_HOUSING", document_sha256=sha("doc")
        ),
        actor="office",
    )
    session.commit()
    assert session.execute(select(Levy.amount_fen)).scalar_one() == amount - (amount + 1) // 2


def test_an_unknown_reason_code_is_refused_naming_the_field(session):
    registered_and_assessed(session)
    with pytest.raises(ValidationFailed) as refused:
        fees.adjust_fee(
            session,
            adjustment=AdjustmentCreate(
                project_code=project_code(1), reason_code="FRIENDSHIP", document_sha256=sha("doc")
            ),
            actor="office",
        )
    assert (refused.value.field, refused.value.rule) == ("reason_code", "policy_reason")


def test_a_batch_of_confirmations_answers_per_item_and_writes_only_the_accepted(session):
    amount = registered_and_assessed(session)
    batch = PaymentBatch(
        items=[
            payment(1, "V-1", amount // 2),
            payment(1, "V-1", amount // 2),  # the same voucher again inside the batch
            payment(1, "V-2", amount // 2, levy=f"{project_code(1)}-A9"),  # well formed, never issued
            payment(1, "V-3", amount - amount // 2),
        ]
    )
    result = payments.confirm_payments(session, batch=batch, client="tax")
    session.commit()
    assert [item.accepted for item in result.items] == [True, False, False, True]
    assert (result.items[1].problem.field, result.items[1].problem.rule) == ("voucher_number", "unique_forever")
    assert (result.items[2].problem.field, result.items[2].problem.type) == ("levy_number", "not-found")
    assert count(session, ConfirmationRow) == 2
    assert session.execute(select(func.count()).where(OutboxCommand.kind == "record_payment")).scalar_one() == 2
    feed = payments.levies_feed(session)
    assert feed.items[0].status == "paid" and feed.items[0].confirmed_fen == amount


def test_a_voucher_stays_unique_forever(session):
    registered_and_assessed(session)
    payments.confirm_payment(session, confirmation=payment(1, "V-9", 100), client="tax")
    session.commit()
    with pytest.raises(Conflict) as refused:
        payments.confirm_payment(session, confirmation=payment(1, "V-9", 100), client="tax")
    session.rollback()
    assert refused.value.field == "voucher_number"
    assert count(session, ConfirmationRow) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has one writer: no interleaving
def test_a_voucher_recorded_by_a_concurrent_request_after_the_check_is_a_conflict_not_a_second_record(engine, session):
    first = session
    registered_and_assessed(first)
    with Session(engine) as concurrent:

        def record_it_first(_conn, _cursor, statement, *_):  # between our voucher check and our insert
            if statement.startswith("INSERT INTO payment_confirmations") and not concurrent.in_transaction():
                payments.confirm_payment(concurrent, confirmation=payment(1, "V-RACE", 100), client="other")
                concurrent.commit()

        event.listen(engine, "before_cursor_execute", record_it_first)
        with pytest.raises(Conflict) as refused:
            payments.confirm_payment(first, confirmation=payment(1, "V-RACE", 100), client="tax")
        event.remove(engine, "before_cursor_execute", record_it_first)
        first.commit()  # the refusal left the transaction usable: nothing half-written to roll back
        assert (refused.value.field, refused.value.rule) == ("voucher_number", "unique_forever")
        assert first.execute(select(ConfirmationRow.client)).scalars().all() == ["other"]
        assert count(first, OutboxCommand) == 2  # the assessment's and the other request's payment


def test_a_payer_other_than_the_levy_s_is_refused_and_nothing_is_written(session):
    registered_and_assessed(session)
    other = payment(1, "V-5", 100).model_copy(update={"payer_uscc": make_uscc(99)})
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(session, confirmation=other, client="tax")
    session.rollback()
    assert refused.value.field == "payer_uscc"
    assert count(session, ConfirmationRow) == 0 and count(session, OutboxCommand) == 1  # only the assessment


def test_the_levy_feed_pages_with_an_opaque_cursor(session):
    for n in range(1, 6):
        registered_and_assessed(session, n)
    first = payments.levies_feed(session, limit=2)
    second = payments.levies_feed(session, cursor=first.next_cursor, limit=2)
    third = payments.levies_feed(session, cursor=second.next_cursor, limit=2)
    numbers = [levy.levy_number for page in (first, second, third) for levy in page.items]
    assert numbers == [f"{project_code(n)}-A1" for n in range(1, 6)] and third.next_cursor is None
    with pytest.raises(ValidationFailed):
        payments.levies_feed(session, cursor="garbage!")


def test_commitment_numbers_are_unique_and_due_dates_must_be_future(session):
    projects.register_project(session, project=project(1), client="approval")
    commitments.record_commitments(session, commitments=[commitment(1, "C-1")], client="approval")
    session.commit()
    with pytest.raises(Conflict):
        commitments.record_commitments(
            session, commitments=[commitment(1, "C-2"), commitment(1, "C-1")], client="approval"
        )
    session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        commitments.record_commitments(session, commitments=[commitment(1, "C-3", days=-1)], client="approval")
    session.rollback()
    assert refused.value.rule == "min_notice"
    with pytest.raises(NotFound):
        commitments.record_commitments(session, commitments=[commitment(7, "C-4")], client="approval")
    session.rollback()
    assert session.execute(select(func.count()).where(OutboxCommand.kind == "record_commitment")).scalar_one() == 1


def test_a_passed_acceptance_with_a_smaller_surveyed_area_fulfils_shelter_build_and_charges_the_difference(session):
    amount = registered_and_assessed(session)
    commitments.record_commitments(
        session, commitments=[commitment(1, "C-1"), commitment(1, "C-2", "materials")], client="approval"
    )
    result = commitments.report_acceptance(
        session,
        report=AcceptanceReport(
            project_code=project_code(1), passed=True, surveyed_shelter_area=30_000, report_sha256=sha("report")
        ),
        client="approval",
    )
    session.commit()
    rate = amount // 600
    assert result.delta_fen == 100 * rate  # 100 m² less shelter than built
    assert [c.kind for c in result.commands] == ["fulfil_by_acceptance", "adjust_fee"]
    supplementary = session.execute(select(Levy).where(Levy.kind == "supplementary")).scalar_one()
    assert supplementary.amount_fen == 100 * rate


def test_an_extension_needs_a_later_due_date(session):
    projects.register_project(session, project=project(1), client="approval")
    commitments.record_commitments(session, commitments=[commitment(1, "C-1", days=30)], client="approval")
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        commitments.decide_commitment(
            session,
            commitment_number="C-1",
            decision=CommitmentDecision(action="extend", document_sha256=sha("x"), new_due_date=date.today()),
            actor="office",
        )
    assert refused.value.field == "new_due_date"


def test_reconciliation_reports_missing_extra_and_mismatched_payments_and_nothing_on_a_clean_day(session):
    amount = registered_and_assessed(session)
    paid_at = datetime.now(timezone.utc).replace(microsecond=0)
    day = paid_at.astimezone(SHANGHAI).date()
    for voucher in ("V-1", "V-2", "V-3"):
        payments.confirm_payment(session, confirmation=payment(1, voucher, 1000, paid_at=paid_at), client="tax")
    session.commit()
    ours = statements.daily_statement(session, day=day)
    assert (ours.count, ours.total_fen) == (3, 3000)
    clean = statements.reconcile(session, statement=TaxStatement(day=day, items=ours.items))
    assert clean.clean and clean.matched == 3
    theirs = [
        ours.items[0],
        ours.items[1].model_copy(update={"amount_fen": 999}),
        StatementItem(voucher_number="V-404", levy_number=f"{project_code(1)}-A1", amount_fen=5, paid_at=paid_at),
    ]
    report = statements.reconcile(session, statement=TaxStatement(day=day, items=theirs))
    assert not report.clean
    assert report.missing_here == ["V-404"] and report.missing_there == ["V-3"]
    assert [(m.voucher_number, m.ours_fen, m.theirs_fen) for m in report.amount_mismatches] == [("V-2", 1000, 999)]
    assert report.matched == 1
    assert statements.daily_statement(session, day=day + timedelta(days=1)).count == 0


def test_a_client_sees_only_its_own_commands(session):
    registered_and_assessed(session)
    accepted = payments.confirm_payment(session, confirmation=payment(1, "V-1", 100), client="tax")
    session.commit()
    from ledger.domain.commands import command_status

    assert command_status(session, command_id=accepted.command_id, client="tax").status == "accepted"
    with pytest.raises(NotFound):
        command_status(session, command_id=accepted.command_id, client="approval")
