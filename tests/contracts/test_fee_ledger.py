from ledger.identifiers import reason_code, reference_key
from tests.contracts.helpers import BASIS, DOC, PAYER, project, reverts

UNASSESSED, ASSESSED, PARTIALLY_PAID, PAID, OVERPAID, EXEMPT = range(6)


def assess(chain, p, area, rate, version=1):
    return chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.assess(p, PAYER, area, rate, version, BASIS))


def pay(chain, p, voucher, amount):
    return chain.senders["TAX_ROLE"].send(
        chain.fee.functions.recordPayment(p, reference_key(voucher), amount, chain.now())
    )


def account(chain, p):
    payer, due, paid, refunded, revision, status = chain.fee.functions.feeAccount(p).call()
    return {"payer": payer, "due": due, "paid": paid, "refunded": refunded, "revision": revision, "status": status}


def test_assessed_amount_is_area_times_rate_over_100_rounded_half_up(chain):
    # 0.50 fen rounds up, 0.49 fen rounds down
    cases = [(150, 1, 2), (149, 1, 1), (12_345, 3_000, 370_350), (1, 50, 1), (1, 49, 0), (0, 3_000, 0)]
    for n, (area, rate, expected) in enumerate(cases):
        assess(chain, project(n), area, rate)
        assert account(chain, project(n))["due"] == expected


def test_assessment_emits_the_explainable_fee_event(chain):
    receipt = assess(chain, project(), 12_345, 3_000, version=7)
    (event,) = chain.fee.events.FeeAssessed().process_receipt(receipt)
    assert dict(event.args) == {
        "project": project(), "payer": PAYER, "revision": 1, "shortfallArea": 12_345,
        "rateFenPerM2": 3_000, "rateTableVersion": 7, "amountFen": 370_350, "basisHash": BASIS,
    }


def test_reassessment_replaces_the_amount_and_raises_the_revision(chain):
    assess(chain, project(), 10_000, 3_000)
    assess(chain, project(), 8_000, 3_000, version=2)
    assert account(chain, project())["due"] == 240_000
    assert account(chain, project())["revision"] == 2


def test_a_zero_rate_is_refused(chain):
    with reverts("FeeLedgerZeroRate"):
        assess(chain, project(), 100, 0)


def test_payments_add_up_through_partially_paid_to_paid(chain):
    assess(chain, project(), 10_000, 3_000)  # 300,000 fen
    assert account(chain, project())["status"] == ASSESSED
    pay(chain, project(), "V-1", 100_000)
    assert account(chain, project())["status"] == PARTIALLY_PAID
    pay(chain, project(), "V-2", 200_000)
    assert account(chain, project())["paid"] == 300_000
    assert account(chain, project())["status"] == PAID


def test_a_voucher_recorded_twice_reverts_and_changes_nothing(chain):
    assess(chain, project(), 10_000, 3_000)
    pay(chain, project(), "V-1", 100_000)
    with reverts("FeeLedgerVoucherAlreadyRecorded") as excinfo:
        pay(chain, project(), "V-1", 100_000)
    assert excinfo.value.args_ == (reference_key("V-1"),)
    assert account(chain, project())["paid"] == 100_000


def test_a_voucher_twice_inside_one_batch_reverts_the_whole_batch(chain):
    assess(chain, project(), 10_000, 3_000)
    now = chain.now()
    batch = [(project(), reference_key("V-1"), 1_000, now), (project(), reference_key("V-1"), 1_000, now)]
    with reverts("FeeLedgerVoucherAlreadyRecorded"):
        chain.senders["TAX_ROLE"].send(chain.fee.functions.recordPayments(batch))
    assert account(chain, project())["paid"] == 0
    assert chain.fee.functions.isVoucherRecorded(reference_key("V-1")).call() is False


def test_a_batch_records_every_payment(chain):
    for n in range(3):
        assess(chain, project(n), 10_000, 3_000)
    now = chain.now()
    batch = [(project(n), reference_key(f"V-{n}"), 1_000 * (n + 1), now) for n in range(3)]
    receipt = chain.senders["TAX_ROLE"].send(chain.fee.functions.recordPayments(batch))
    assert len(chain.fee.events.PaymentRecorded().process_receipt(receipt)) == 3
    assert [account(chain, project(n))["paid"] for n in range(3)] == [1_000, 2_000, 3_000]


def test_an_empty_batch_is_refused(chain):
    with reverts("FeeLedgerEmptyBatch"):
        chain.senders["TAX_ROLE"].send(chain.fee.functions.recordPayments([]))


def test_a_payment_before_assessment_is_refused(chain):
    with reverts("FeeLedgerNotAssessed"):
        pay(chain, project(), "V-1", 100)


def test_a_payment_of_zero_or_dated_in_the_future_is_refused(chain):
    assess(chain, project(), 10_000, 3_000)
    with reverts("FeeLedgerZeroAmount"):
        pay(chain, project(), "V-1", 0)
    with reverts("FeeLedgerInvalidTime"):
        chain.senders["TAX_ROLE"].send(
            chain.fee.functions.recordPayment(project(), reference_key("V-2"), 10, chain.now() + 3_600)
        )


def test_an_overpayment_is_recorded_and_flagged(chain):
    assess(chain, project(), 100, 3_000)  # 3,000 fen
    receipt = pay(chain, project(), "V-1", 5_000)
    (flag,) = chain.fee.events.OverpaymentFlagged().process_receipt(receipt)
    assert flag.args.excessFen == 2_000
    assert account(chain, project())["paid"] == 5_000
    assert account(chain, project())["status"] == OVERPAID


def test_a_refund_settles_an_overpayment(chain):
    assess(chain, project(), 100, 3_000)
    pay(chain, project(), "V-1", 5_000)
    chain.senders["TAX_ROLE"].send(chain.fee.functions.recordRefund(project(), reference_key("R-1"), 2_000, chain.now()))
    assert account(chain, project())["refunded"] == 2_000
    assert account(chain, project())["status"] == PAID


def test_a_refund_beyond_the_net_paid_or_twice_is_refused(chain):
    assess(chain, project(), 100, 3_000)
    pay(chain, project(), "V-1", 3_000)
    with reverts("FeeLedgerRefundExceedsPaid") as excinfo:
        chain.senders["TAX_ROLE"].send(chain.fee.functions.recordRefund(project(), reference_key("R-1"), 3_001, chain.now()))
    assert excinfo.value.args_ == (project(), 3_000, 3_001)
    chain.senders["TAX_ROLE"].send(chain.fee.functions.recordRefund(project(), reference_key("R-1"), 1_000, chain.now()))
    with reverts("FeeLedgerRefundAlreadyRecorded"):
        chain.senders["TAX_ROLE"].send(chain.fee.functions.recordRefund(project(), reference_key("R-1"), 1_000, chain.now()))


def test_adjustments_carry_reason_codes_and_change_the_amount_due(chain):
    assess(chain, project(), 10_000, 3_000)  # 300,000
    receipt = chain.senders["ASSESSOR_ROLE"].send(
        chain.fee.functions.adjust(project(), reason_code("AFFORDABLE_HOUSING_HALF"), -150_000, DOC)
    )
    (event,) = chain.fee.events.FeeAdjusted().process_receipt(receipt)
    assert event.args.reason == reason_code("AFFORDABLE_HOUSING_HALF")
    assert event.args.deltaFen == -150_000
    chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.adjust(project(), reason_code("SURVEY_SUPPLEMENT"), 20_000, DOC))
    assert account(chain, project())["due"] == 170_000


def test_an_exemption_takes_the_amount_to_zero_and_the_status_to_exempt(chain):
    assess(chain, project(), 10_000, 3_000)
    chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.adjust(project(), reason_code("SCHOOL_EXEMPT"), -300_000, DOC))
    assert account(chain, project())["status"] == EXEMPT


def test_a_reduction_below_zero_a_zero_adjustment_and_an_unassessed_project_are_refused(chain):
    with reverts("FeeLedgerNotAssessed"):
        chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.adjust(project(), reason_code("X"), -1, DOC))
    assess(chain, project(), 100, 3_000)
    with reverts("FeeLedgerAdjustmentBelowZero"):
        chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.adjust(project(), reason_code("X"), -3_001, DOC))
    with reverts("FeeLedgerZeroAdjustment"):
        chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.adjust(project(), reason_code("X"), 0, DOC))
    assert account(chain, project())["due"] == 3_000
