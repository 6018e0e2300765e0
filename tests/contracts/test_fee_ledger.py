import pytest

from ledger.core.identifiers import reason_code, reference_key
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from tests.contracts.helpers import (
    ASSESSED,
    BASIS,
    DAY,
    DISTRICT,
    DOC,
    EXEMPT,
    NO_REASON,
    NOTHING_OWED,
    OVERPAID,
    PAID,
    PARTIALLY_PAID,
    PAYER,
    RATE,
    SKEW,
    call,
    UNASSESSED,
    VERSION,
    account,
    adjust,
    assess,
    events,
    pay,
    project,
    refund,
    relieve,
    reverts,
    send_at,
)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def publish(chain, version, rates, *, effective_from=None, basis=BASIS):
    """Publish a table; by default in effect from 100 days ago (after the sample table)."""
    effective_from = chain.now() - 100 * DAY if effective_from is None else effective_from
    return send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.publishRateTable(version, effective_from, basis, rates))


# -- rate tables ------------------------------------------------------------------------------


def test_a_published_rate_table_emits_the_table_and_every_district_rate(chain):
    receipt = publish(chain, 9, [(410102, 1_000), (410103, 2_000)], effective_from=1_800_000_000)
    assert events(chain.fee, "RateTablePublished", receipt) == [
        {"version": 9, "effectiveFrom": 1_800_000_000, "districtCount": 2, "basisHash": BASIS}
    ]
    assert events(chain.fee, "RatePublished", receipt) == [
        {"version": 9, "district": 410102, "rateFenPerM2": 1_000},
        {"version": 9, "district": 410103, "rateFenPerM2": 2_000},
    ]
    assert chain.fee.functions.rateOf(9, 410103).call() == [2_000, 1_800_000_000]


def test_a_rate_table_version_is_published_once_and_must_be_well_formed(chain):
    with reverts("FeeLedgerRateTableExists"):
        publish(chain, VERSION, [(410102, 1)])
    with reverts("FeeLedgerRateTableExists"):
        publish(chain, 0, [(410102, 1)])
    with reverts("FeeLedgerInvalidRateTable"):
        publish(chain, 9, [])
    with reverts("FeeLedgerInvalidRateTable"):
        publish(chain, 9, [(410102, 1), (410102, 2)])
    with reverts("FeeLedgerInvalidRateTable"):
        publish(chain, 9, [(0, 1)])
    with reverts("FeeLedgerInvalidRateTable"):
        publish(chain, 9, [(410102, 1)], effective_from=0)
    with reverts("FeeLedgerInvalidRateTable"):  # tables take effect in the order they are published
        publish(chain, 9, [(410102, 1)], effective_from=SAMPLE_RATE_TABLE.effective_from - 1)
    with reverts("FeeLedgerZeroRate") as excinfo:
        publish(chain, 9, [(410102, 0)])
    assert excinfo.value.args_ == (410102,)
    with reverts("FeeLedgerZeroHash"):
        publish(chain, 9, [(410102, 1)], basis=b"\0" * 32)
    with reverts("FeeLedgerUnknownRate"):
        call(chain.fee.functions.rateOf(9, 410102))


def test_assessment_uses_the_rate_on_chain_rounded_half_up(chain):
    publish(chain, 9, [(410102, 1), (410103, 50), (410104, 49), (410105, 3_000)])
    # (district, area in 0.01 m², expected fen): 0.50 fen rounds up, 0.49 fen rounds down
    cases = [(410102, 150, 2), (410102, 149, 1), (410103, 1, 1), (410104, 1, 0), (410105, 12_345, 370_350)]
    for n, (district, area, expected) in enumerate(cases):
        assess(chain, project(n), area, district=district, version=9)
        assert account(chain, project(n))["baseFen"] == expected
        assert account(chain, project(n))["dueFen"] == expected


def test_a_district_without_a_rate_or_a_table_not_yet_in_effect_is_refused(chain):
    with reverts("FeeLedgerUnknownRate") as excinfo:
        assess(chain, project(), 100, district=410999)
    assert excinfo.value.args_ == (VERSION, 410999)
    start = chain.now() + 100
    publish(chain, 9, [(410102, 1_000)], effective_from=start)
    with reverts("FeeLedgerRateTableNotInEffect"):
        assess(chain, project(), 100, district=410102, version=9, at=start - 1)
    assess(chain, project(), 100, district=410102, version=9, at=start)
    assert account(chain, project())["rateTableVersion"] == 9


def test_assessment_emits_the_explainable_fee_with_every_figure(chain):
    now = chain.now() + 5
    receipt = assess(chain, project(), 12_345, due_in=30 * DAY, at=now)
    base = (12_345 * RATE + 50) // 100
    assert events(chain.fee, "FeeAssessed", receipt) == [
        {
            "project": project(),
            "payer": PAYER,
            "revision": 1,
            "district": DISTRICT,
            "rateTableVersion": VERSION,
            "rateFenPerM2": RATE,
            "shortfallArea": 12_345,
            "baseFen": base,
            "dueFen": base,
            "assessedAt": now,
            "dueAt": now + 30 * DAY,
            "basisHash": BASIS,
        }
    ]
    assert account(chain, project()) == {
        "payer": PAYER,
        "district": DISTRICT,
        "rateTableVersion": VERSION,
        "revision": 1,
        "reliefBps": 0,
        "status": ASSESSED,
        "baseFen": base,
        "adjustmentFen": 0,
        "dueFen": base,
        "paidFen": 0,
        "refundedFen": 0,
        "refundOwedFen": 0,
        "assessedAt": now,
        "dueAt": now + 30 * DAY,
        "overRefundedFen": 0,
    }


def test_the_fee_due_date_must_give_the_minimum_notice_after_the_notice_and_stay_within_the_horizon(chain):
    now = chain.now() + 1
    notice = now - 20 * DAY  # the write lags the notice: the due date is judged from the notice
    for n, (due_in, ok) in enumerate(((DAY - 1, False), (DAY, True), (3650 * DAY, True), (3650 * DAY + 1, False))):
        if ok:
            assess(chain, project(n), 100, due_in=due_in, assessed_at=notice, at=now)
            assert account(chain, project(n))["dueAt"] == notice + due_in
        else:
            with reverts("FeeLedgerInvalidDueDate"):
                assess(chain, project(n), 100, due_in=due_in, assessed_at=notice, at=now)
        now += 10


def test_zero_identifiers_and_a_zero_basis_are_refused(chain):
    with reverts("FeeLedgerZeroIdentifier"):
        assess(chain, b"\0" * 32, 100)
    with reverts("FeeLedgerZeroIdentifier"):
        assess(chain, project(), 100, payer=b"\0" * 32)
    with reverts("FeeLedgerZeroHash"):
        send_at(
            chain,
            "ASSESSOR_ROLE",
            chain.fee.functions.assess(
                project(), PAYER, DISTRICT, 100, VERSION, chain.now(), chain.now() + 2 * DAY, b"\0" * 32
            ),
        )


def test_a_reassessment_keeps_the_payer(chain):
    assess(chain, project(), 100)
    with reverts("FeeLedgerPayerMismatch"):
        assess(chain, project(), 100, payer=reference_key("another payer"))


def test_zero_shortfall_owes_nothing_which_is_not_an_exemption(chain):
    assess(chain, project(0), 0)
    assert account(chain, project(0))["status"] == NOTHING_OWED
    assess(chain, project(1), 10_000)
    relieve(chain, project(1), 10_000)
    assert account(chain, project(1))["status"] == EXEMPT
    assert account(chain, project(2))["status"] == UNASSESSED


# -- relief and adjustments -------------------------------------------------------------------------


def test_an_exemption_survives_a_reassessment(chain):
    assess(chain, project(), 10_000)
    receipt = relieve(chain, project(), 10_000, "SCHOOL_EXEMPT")
    assert events(chain.fee, "FeeReliefSet", receipt) == [
        {
            "project": project(),
            "reason": reason_code("SCHOOL_EXEMPT"),
            "reliefBps": 10_000,
            "documentHash": DOC,
            "dueFen": 0,
        }
    ]
    receipt = assess(chain, project(), 20_000)
    assert events(chain.fee, "FeeAssessed", receipt)[0]["dueFen"] == 0
    assert account(chain, project())["status"] == EXEMPT
    assert account(chain, project())["revision"] == 2


def test_a_halving_applies_to_the_new_base_after_reassessment_with_adjustments_kept(chain):
    assess(chain, project(), 10_000)  # base 100 m² × RATE
    relieve(chain, project(), 5_000, "AFFORDABLE_HOUSING")
    receipt = adjust(chain, project(), 7_001, "SURVEY_SUPPLEMENT")
    base = 100 * RATE
    assert events(chain.fee, "FeeAdjusted", receipt) == [
        {
            "project": project(),
            "reason": reason_code("SURVEY_SUPPLEMENT"),
            "deltaFen": 7_001,
            "documentHash": DOC,
            "dueFen": base // 2 + 7_001,
        }
    ]
    assess(chain, project(), 20_001)  # base 200.01 m² × RATE
    new_base = (20_001 * RATE + 50) // 100
    relief = (new_base * 5_000 + 5_000) // 10_000
    assert account(chain, project())["dueFen"] == new_base - relief + 7_001
    assert account(chain, project())["adjustmentFen"] == 7_001


def test_relief_is_at_most_full_and_must_change(chain):
    assess(chain, project(), 100)
    with reverts("FeeLedgerInvalidRelief"):
        relieve(chain, project(), 10_001)
    with reverts("FeeLedgerInvalidRelief"):
        relieve(chain, project(), 0)
    relieve(chain, project(), 10_000)
    relieve(chain, project(), 0)  # withdrawn
    assert account(chain, project())["dueFen"] == RATE


def test_a_reduction_below_zero_a_zero_adjustment_zero_hashes_and_an_unassessed_project_are_refused(chain):
    with reverts("FeeLedgerNotAssessed"):
        adjust(chain, project(), -1)
    with reverts("FeeLedgerNotAssessed"):
        relieve(chain, project(), 1)
    assess(chain, project(), 100)  # RATE fen
    with reverts("FeeLedgerAdjustmentBelowZero") as excinfo:
        adjust(chain, project(), -RATE - 1)
    assert excinfo.value.args_ == (project(), RATE, -RATE - 1)
    adjust(chain, project(), -RATE)  # exactly to zero is allowed
    with reverts("FeeLedgerZeroAdjustment"):
        adjust(chain, project(), 0)
    with reverts("FeeLedgerZeroHash"):
        send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.adjust(project(), b"\0" * 32, 1, DOC))
    with reverts("FeeLedgerZeroHash"):
        send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.adjust(project(), reason_code("X"), 1, b"\0" * 32))
    with reverts("FeeLedgerZeroHash"):
        send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.setRelief(project(), b"\0" * 32, 1, DOC))
    assert account(chain, project())["dueFen"] == 0


def test_a_reassessment_below_the_adjustments_owes_nothing_rather_than_reverting(chain):
    assess(chain, project(), 10_000)
    adjust(chain, project(), -50 * RATE, "SURVEY_REDUCTION")
    assess(chain, project(), 1_000)  # base 10 m²; adjustment −50 m² worth
    assert account(chain, project())["dueFen"] == 0


# -- payments -----------------------------------------------------------------------------------------


def test_payments_add_up_through_partially_paid_to_paid(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", RATE // 4)
    assert account(chain, project())["status"] == PARTIALLY_PAID
    pay(chain, project(), "V-2", RATE - RATE // 4)
    assert account(chain, project())["status"] == PAID


def test_a_payment_event_carries_every_field_and_late_after_the_due_date(chain):
    now = chain.now() + 1
    assess(chain, project(), 100, due_in=DAY, at=now)
    receipt = pay(chain, project(), "V-1", 10, now + DAY, at=now + DAY)
    assert events(chain.fee, "PaymentRecorded", receipt) == [
        {"project": project(), "voucher": reference_key("V-1"), "amountFen": 10, "paidAt": now + DAY, "late": False}
    ]
    receipt = pay(chain, project(), "V-2", 10, now + DAY + 1)
    assert events(chain.fee, "PaymentRecorded", receipt)[0]["late"] is True
    # paid on time, written late: not late
    receipt = pay(chain, project(), "V-3", 10, now + DAY - 5, at=now + 3 * DAY)
    assert events(chain.fee, "PaymentRecorded", receipt)[0]["late"] is False


def test_a_payment_time_before_the_assessment_or_beyond_the_skew_is_refused(chain):
    now = chain.now() + 1
    assess(chain, project(), 100, at=now)
    with reverts("FeeLedgerInvalidTime") as excinfo:
        pay(chain, project(), "V-1", 10, now - 1, at=now + 10)
    assert excinfo.value.args_ == (now - 1,)
    pay(chain, project(), "V-1", 10, now, at=now + 20)
    with reverts("FeeLedgerInvalidTime"):
        pay(chain, project(), "V-2", 10, now + 30 + SKEW + 1, at=now + 30)
    pay(chain, project(), "V-2", 10, now + 40 + SKEW, at=now + 40)
    assert account(chain, project())["paidFen"] == 20


def test_a_payment_before_assessment_or_of_zero_is_refused(chain):
    with reverts("FeeLedgerNotAssessed"):
        pay(chain, project(), "V-1", 100)
    assess(chain, project(), 100)
    with reverts("FeeLedgerZeroAmount"):
        pay(chain, project(), "V-1", 0)
    with reverts("FeeLedgerZeroIdentifier"):
        send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayment(project(), b"\0" * 32, 1, chain.now()))


def test_a_replayed_payment_is_a_no_op_and_a_different_one_under_the_voucher_reverts(chain):
    assess(chain, project(), 100)
    now = chain.now()
    pay(chain, project(), "V-1", 100, now)
    receipt = pay(chain, project(), "V-1", 100, now)
    assert events(chain.fee, "PaymentRecorded", receipt) == []
    assert account(chain, project())["paidFen"] == 100
    for changed in ((project(), 101, now), (project(), 100, now - 1), (project(1), 100, now)):
        with reverts("FeeLedgerVoucherConflict") as excinfo:
            send_at(
                chain, "TAX_ROLE", chain.fee.functions.recordPayment(changed[0], reference_key("V-1"), *changed[1:])
            )
        assert excinfo.value.args_ == (reference_key("V-1"),)


def test_a_replayed_payment_batch_is_a_no_op(chain):
    for n in range(3):
        assess(chain, project(n), 100)
    now = chain.now()
    batch = [(project(n), reference_key(f"V-{n}"), 1_000 * (n + 1), now) for n in range(3)]
    send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayments(batch))
    # the retry carries one new entry besides the three already recorded
    retry = batch + [(project(0), reference_key("V-new"), 5, now)]
    receipt = send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayments(retry))
    assert [e["voucher"] for e in events(chain.fee, "PaymentRecorded", receipt)] == [reference_key("V-new")]
    assert [account(chain, project(n))["paidFen"] for n in range(3)] == [1_005, 2_000, 3_000]


def test_a_conflicting_entry_reverts_the_whole_batch(chain):
    assess(chain, project(), 100)
    now = chain.now()
    batch = [(project(), reference_key("V-1"), 1_000, now), (project(), reference_key("V-1"), 2_000, now)]
    with reverts("FeeLedgerVoucherConflict"):
        send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayments(batch))
    assert account(chain, project())["paidFen"] == 0
    assert chain.fee.functions.isVoucherRecorded(reference_key("V-1")).call() is False


def test_an_empty_batch_is_refused(chain):
    with reverts("FeeLedgerEmptyBatch"):
        send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayments([]))
    with reverts("FeeLedgerEmptyBatch"):
        send_at(chain, "TAX_ROLE", chain.fee.functions.recordRefunds([]))


def test_a_total_paid_beyond_64_bits_is_a_named_error(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", 2**64 - 1)
    with reverts("FeeLedgerPaidOverflow") as excinfo:
        pay(chain, project(), "V-2", 1)
    assert excinfo.value.args_ == (project(),)


# -- refund owed and refunds ---------------------------------------------------------------------------


def test_an_overpayment_raises_the_refund_owed_level(chain):
    assess(chain, project(), 100)
    receipt = pay(chain, project(), "V-1", RATE + 2_000)
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": 2_000}]
    receipt = pay(chain, project(), "V-2", 500)
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": 2_500}]
    assert account(chain, project())["status"] == OVERPAID


def test_a_reduction_below_what_was_paid_raises_refund_owed(chain):
    assess(chain, project(), 100)
    assert events(chain.fee, "RefundOwedChanged", pay(chain, project(), "V-1", RATE)) == []
    receipt = relieve(chain, project(), 5_000, "AFFORDABLE_HOUSING")
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": RATE // 2}]
    receipt = adjust(chain, project(), -100, "SURVEY_REDUCTION")
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": RATE // 2 + 100}]
    receipt = assess(chain, project(), 50)  # reassessed: base halves, relief still halves it
    expected = RATE - (RATE // 2 - RATE // 4 - 100)
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": expected}]
    assert account(chain, project())["refundOwedFen"] == expected


def test_a_refund_of_the_excess_lowers_the_level_and_is_not_flagged(chain):
    now = chain.now() + 1
    assess(chain, project(), 100, at=now)
    pay(chain, project(), "V-1", RATE + 2_000)
    receipt = refund(chain, project(), "R-1", 2_000, now + 5)
    assert events(chain.fee, "RefundRecorded", receipt) == [
        {
            "project": project(),
            "refundRef": reference_key("R-1"),
            "amountFen": 2_000,
            "refundedAt": now + 5,
            "reason": NO_REASON,
        }
    ]
    assert events(chain.fee, "RefundOwedChanged", receipt) == [{"project": project(), "owedFen": 0}]
    assert events(chain.fee, "OverRefundFlagged", receipt) == []
    assert account(chain, project())["status"] == PAID


def test_a_refund_beyond_the_refund_owed_is_recorded_and_flagged(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", RATE + 2_000)
    receipt = refund(chain, project(), "R-1", 2_001)
    assert len(events(chain.fee, "RefundRecorded", receipt)) == 1
    assert events(chain.fee, "OverRefundFlagged", receipt) == [
        {"project": project(), "refundRef": reference_key("R-1"), "excessFen": 1, "overRefundedFen": 1}
    ]
    receipt = refund(chain, project(), "R-2", 10)  # nothing is owed now: all of it is over
    assert events(chain.fee, "OverRefundFlagged", receipt)[0]["overRefundedFen"] == 11
    after = account(chain, project())
    assert (after["refundedFen"], after["overRefundedFen"], after["status"]) == (2_011, 11, PARTIALLY_PAID)


def test_a_refund_beyond_everything_paid_is_recorded_and_the_account_reads_as_unpaid(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", 100)
    refund(chain, project(), "R-1", 300)
    after = account(chain, project())
    assert (after["paidFen"], after["refundedFen"], after["overRefundedFen"]) == (100, 300, 300)
    assert (after["status"], after["refundOwedFen"]) == (ASSESSED, 0)


def test_a_settled_fee_is_undone_only_by_a_refund_with_an_allowed_reason_capped_at_the_net_paid(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", RATE + 10)
    refund(chain, project(), "R-0", 10)  # the excess: the net paid is now RATE
    annulled = reason_code("ASSESSMENT_ANNULLED")
    receipt = refund(chain, project(), "R-1", 1, reason=annulled)  # not allowed yet: an ordinary refund
    assert events(chain.fee, "OverRefundFlagged", receipt)[0]["excessFen"] == 1
    receipt = send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.setRefundReasonAllowed(annulled, True))
    assert events(chain.fee, "RefundReasonAllowed", receipt) == [{"reason": annulled, "allowed": True}]
    receipt = refund(chain, project(), "R-2", RATE - 1, reason=annulled)  # up to the net paid: not flagged
    assert events(chain.fee, "OverRefundFlagged", receipt) == []
    receipt = refund(chain, project(), "R-3", 1, reason=annulled)  # beyond the net paid (not the gross)
    assert events(chain.fee, "OverRefundFlagged", receipt) == [
        {"project": project(), "refundRef": reference_key("R-3"), "excessFen": 1, "overRefundedFen": 2}
    ]
    assert account(chain, project())["refundedFen"] == RATE + 11


def test_a_replayed_refund_is_a_no_op_and_a_different_one_reverts(chain):
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", RATE + 10)
    now = chain.now()
    refund(chain, project(), "R-1", 5, now)
    receipt = send_at(
        chain, "TAX_ROLE", chain.fee.functions.recordRefunds([(project(), reference_key("R-1"), 5, now, NO_REASON)])
    )
    assert events(chain.fee, "RefundRecorded", receipt) == []
    with reverts("FeeLedgerRefundConflict"):
        refund(chain, project(), "R-1", 4, now)
    assert account(chain, project())["refundedFen"] == 5


def test_refunds_in_a_batch_and_their_time_bounds(chain):
    now = chain.now() + 1
    assess(chain, project(), 100, at=now)
    pay(chain, project(), "V-1", RATE + 10)
    with reverts("FeeLedgerInvalidTime"):
        refund(chain, project(), "R-0", 1, now - 1)
    with reverts("FeeLedgerZeroAmount"):
        refund(chain, project(), "R-0", 0)
    t = chain.now() + 1
    batch = [(project(), reference_key(f"R-{n}"), 3, t, NO_REASON) for n in range(3)]
    receipt = send_at(chain, "TAX_ROLE", chain.fee.functions.recordRefunds(batch), t)
    assert len(events(chain.fee, "RefundRecorded", receipt)) == 3
    assert account(chain, project())["refundOwedFen"] == 1


def test_a_base_or_an_adjustment_beyond_64_bits_is_a_named_error(chain):
    with reverts("FeeLedgerAmountTooLarge"):
        assess(chain, project(), 2**64 - 1)  # × 2,000 yuan per m² overflows 64 bits of fen
    assess(chain, project(), 100)
    adjust(chain, project(), 2**63 - 1 - RATE)
    with reverts("FeeLedgerAmountTooLarge"):
        adjust(chain, project(), RATE + 1)  # the sum of adjustments would leave int64


# -- contracts v3 (issue 13) -----------------------------------------------------------------------


def test_relief_is_rounded_half_up_in_fen(chain):
    publish(chain, 9, [(410102, 1)])  # 1 fen per m²: area 300 is 3 fen, 500 is 5 fen
    assess(chain, project(0), 300, district=410102, version=9)
    relieve(chain, project(0), 5_000)  # relief 1.5 fen rounds up to 2
    assert account(chain, project(0))["dueFen"] == 1
    assess(chain, project(1), 500, district=410102, version=9)
    relieve(chain, project(1), 1_000)  # relief 0.5 fen rounds up to 1
    assert account(chain, project(1))["dueFen"] == 4


def test_a_payment_made_against_the_paper_notice_before_the_assessment_landed_is_recorded(chain):
    # finding 1: the payment is judged against the notice's fact time, not the block of `assess`
    notice = chain.now() + 1
    assess(chain, project(), 100, assessed_at=notice, due_in=10 * DAY, at=notice + 3 * DAY)
    receipt = pay(chain, project(), "V-1", RATE, notice + 3_600)
    assert events(chain.fee, "PaymentRecorded", receipt)[0]["late"] is False
    assert account(chain, project())["assessedAt"] == notice
    with reverts("FeeLedgerInvalidTime"):  # never before the notice itself
        pay(chain, project(), "V-2", 1, notice - 1)


def test_the_notice_time_is_bounded_like_every_fact_time_and_the_first_one_is_kept(chain):
    now = chain.now() + 1
    for n, bad in enumerate((0, now + 10 + SKEW + 1, 2**32)):
        with reverts("FeeLedgerInvalidTime"):
            assess(chain, project(), 100, assessed_at=bad, due_at=now + 30 * DAY, at=now + n)
    now += 10
    assess(chain, project(), 100, assessed_at=now - DAY, at=now)
    with reverts("FeeLedgerInvalidTime"):  # a reassessment's notice does not precede the first
        assess(chain, project(), 200, assessed_at=now - DAY - 1)
    receipt = assess(chain, project(), 200, assessed_at=now + 5, at=now + 10)
    assert events(chain.fee, "FeeAssessed", receipt)[0]["assessedAt"] == now + 5
    assert account(chain, project())["assessedAt"] == now - DAY


def test_a_refund_paid_out_before_a_reassessment_landed_is_recorded_and_flagged(chain):
    # finding 2: the refund owed dropped when the reassessment landed first; the money went out anyway
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", RATE + 1_000)  # 1,000 fen owed back
    paid_out = chain.now()
    assess(chain, project(), 110)  # the survey correction raises the fee by 10 % of RATE
    receipt = refund(chain, project(), "R-1", 1_000, paid_out)
    assert events(chain.fee, "RefundRecorded", receipt)[0]["amountFen"] == 1_000
    excess = 1_000 if RATE // 10 >= 1_000 else RATE // 10
    assert events(chain.fee, "OverRefundFlagged", receipt) == [
        {"project": project(), "refundRef": reference_key("R-1"), "excessFen": excess, "overRefundedFen": excess}
    ]
    assert account(chain, project())["overRefundedFen"] == excess


def test_a_reassessment_keeps_the_due_date_so_a_late_payment_stays_late(chain):
    # finding 4: a survey correction after the due date does not re-date the fee
    now = chain.now() + 1
    assess(chain, project(), 100, due_in=DAY, at=now)
    due = now + DAY
    with reverts("FeeLedgerInvalidDueDate"):
        assess(chain, project(), 90, due_at=due + 30 * DAY, at=due + 10)
    receipt = assess(chain, project(), 90, at=due + 20)  # dueAt 0: keep it
    assert events(chain.fee, "FeeAssessed", receipt)[0]["dueAt"] == due
    assess(chain, project(), 120, due_at=due)  # an increase keeps it too (decided, see IFeeLedger)
    assert account(chain, project())["dueAt"] == due
    receipt = pay(chain, project(), "V-1", 10, due + 1)
    assert events(chain.fee, "PaymentRecorded", receipt)[0]["late"] is True


def test_a_rate_table_superseded_at_the_notice_time_is_refused(chain):
    # finding 12: the table in effect at the fact time, no older one
    start = chain.now() - 10 * DAY
    publish(chain, 9, [(DISTRICT, RATE * 2)], effective_from=start)
    with reverts("FeeLedgerRateTableSuperseded") as excinfo:
        assess(chain, project(0), 100, assessed_at=start)
    assert excinfo.value.args_ == (VERSION, DISTRICT, start)
    assess(chain, project(1), 100, assessed_at=start - 1)  # a notice before the change keeps the old rate...
    assert account(chain, project(1))["dueFen"] == RATE
    assess(chain, project(1), 200)  # ...and so does its reassessment, judged at the first notice
    assert account(chain, project(1))["dueFen"] == 2 * RATE
    with reverts("FeeLedgerRateTableNotInEffect"):
        assess(chain, project(1), 200, version=9)
    assess(chain, project(2), 100, version=9, assessed_at=start)
    assert account(chain, project(2))["dueFen"] == 2 * RATE
    other = next(int(d) for d in SAMPLE_RATE_TABLE.rates if int(d) != DISTRICT)
    assess(chain, project(3), 100, district=other, assessed_at=start)  # table 9 does not list it
    assert account(chain, project(3))["rateTableVersion"] == VERSION


def test_a_table_in_effect_from_the_same_time_is_published_and_supersedes_the_earlier(chain):
    # review D2: v2 held two tables with one effectiveFrom; a migration republishes both
    start = SAMPLE_RATE_TABLE.effective_from
    publish(chain, 9, [(DISTRICT, RATE * 2)], effective_from=start)
    assert chain.fee.functions.rateOf(9, DISTRICT).call() == [RATE * 2, start]
    with reverts("FeeLedgerRateTableSuperseded") as excinfo:  # the one published later wins from that time
        assess(chain, project(0), 100)
    assert excinfo.value.args_ == (VERSION, DISTRICT, start)
    assess(chain, project(0), 100, version=9)
    assert account(chain, project(0))["dueFen"] == 2 * RATE


def test_every_overflow_of_a_total_is_a_named_error(chain):
    # finding 9: no panics
    assess(chain, project(), 100)
    pay(chain, project(), "V-1", 2**64 - 1)
    refund(chain, project(), "R-1", 2**64 - 1)
    with reverts("FeeLedgerRefundedOverflow") as excinfo:
        refund(chain, project(), "R-2", 1)
    assert excinfo.value.args_ == (project(),)
