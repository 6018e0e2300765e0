"""Random sequences of valid and invalid operations against the real contracts, with every
view checked against a plain Python model after each step.

Every transaction is mined at a time the model chooses (evm_setNextBlockTimestamp), so the
model knows the block time exactly and boundaries are hit, not avoided. `make test` runs a
modest size; `make test-deep` (LEDGER_DEEP=1) a much larger one. The commitment machine also
records which lifecycle paths it took, and the test fails unless it took every one.

Beside the check that every view equals the model, each machine checks after every step each
invariant its contract lists in NatSpec (`@custom:invariant name …`), in the invariant method of
that name (`-` as `_`), on the chain's own views; tests/contracts/test_natspec_invariants.py fails
when one listed there is not checked here.
"""

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger.core.errors import ContractRevert
from ledger.core.identifiers import reason_code, reference_key
from tests.contracts.helpers import (
    ASSESSED,
    BASIS,
    COMMITMENT_FIELDS,
    COUNTER_FIELDS,
    DAY,
    DISTRICT,
    DOC,
    EXEMPT,
    FEE_ACCOUNT_FIELDS,
    NO_REASON,
    NOTHING_OWED,
    OVERPAID,
    PAID,
    PARTIALLY_PAID,
    PAYER,
    RATE,
    SKEW,
    UNASSESSED,
    VERSION,
    project,
)
from ledger.domain.inspection_draws import DrawTerms, seed_of
from tests.support.depth import DEEP

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

HORIZON = 3650 * DAY
FULL = 10_000

# -- fee ledger -----------------------------------------------------------------------------------------

PROJECTS = range(3)
VOUCHER_NUMBERS = [f"V-{i}" for i in range(5)]
REFUND_REFERENCES = [f"R-{i}" for i in range(3)]
VOUCHERS = st.sampled_from(VOUCHER_NUMBERS)
REFUNDS = st.sampled_from(REFUND_REFERENCES)
ALLOWED_REASON = reason_code("ANNULLED")
OTHER_PAYER = reference_key("another payer")


@dataclass
class Account:
    assessed_at: int = 0
    payer: bytes = bytes(32)
    revision: int = 0
    base: int = 0
    relief: int = 0
    adjustment: int = 0
    due: int = 0
    due_at: int = 0
    paid: int = 0
    refunded: int = 0
    over_refunded: int = 0

    @property
    def net(self) -> int:
        return max(0, self.paid - self.refunded)

    @property
    def owed(self) -> int:
        return max(0, self.net - self.due)

    @property
    def status(self) -> int:
        if not self.assessed_at:
            return 0
        net = self.net
        if net > self.due:
            return 4
        if self.due == 0:
            return 6 if self.base == 0 else 5
        return 1 if net == 0 else 2 if net < self.due else 3

    def recompute_due(self) -> None:
        relief = (self.base * self.relief + FULL // 2) // FULL
        self.due = max(0, self.base - relief + self.adjustment)


@dataclass
class FeeViews:
    accounts: dict[int, dict]
    vouchers: dict[str, bool]
    refunds: dict[str, bool]


def outcome(send):
    try:
        send()
        return None
    except ContractRevert as exc:
        return exc.name


class Clocked(RuleBasedStateMachine):
    chain = None  # set by the test

    def start(self):
        self.chain.reset()
        self.t = self.chain.now() + 1
        self.writes = 0
        self._reading: tuple[int, object] = (-1, None)
        self._memory: dict[str, dict] = {}

    def send(self, role, call):
        """Mine `call` at the model's next second."""
        self.t += 1
        self.writes += 1
        self.chain.rpc("evm_setNextBlockTimestamp", [self.t])
        return outcome(lambda: self.chain.senders[role].send(call, gas=3_000_000))

    def views(self):
        """The contract's views, read once after each write: every invariant checks the same reading."""
        if self._reading[0] != self.writes:
            self._reading = (self.writes, self.read_views())
        return self._reading[1]

    def read_views(self):
        raise NotImplementedError

    def memory(self, name: str) -> dict:
        """What invariant `name` saw in earlier steps (to check what must never change or decrease)."""
        return self._memory.setdefault(name, {})


# An invariant of a machine is checked from the first step on (after its initialize rule).
STARTED = precondition(lambda self: hasattr(self, "writes"))


class FeeMachine(Clocked):
    @initialize()
    def fresh_contracts(self):
        self.start()
        self.accounts = {p: Account() for p in PROJECTS}
        self.vouchers: dict[str, tuple] = {}
        self.refunds: dict[str, tuple] = {}
        assert (
            self.send("DEFAULT_ADMIN_ROLE", self.chain.fee.functions.setRefundReasonAllowed(ALLOWED_REASON, True))
            is None
        )

    @rule(
        p=st.sampled_from(PROJECTS),
        area=st.integers(0, 10**6),
        due_in=st.sampled_from([DAY - 2, DAY, 30 * DAY]),
        notice=st.sampled_from([0, -DAY, -2 * DAY, SKEW + 1]),
        keep_due=st.booleans(),
        district=st.sampled_from([DISTRICT, 410999]),
        other_payer=st.booleans(),
    )
    def assess(self, p, area, due_in, notice, keep_due, district, other_payer):
        """The levy notice was issued `notice` seconds from now; a reassessment keeps the due date
        (dueAt 0) or asks for a new one, which is refused."""
        payer = OTHER_PAYER if other_payer else PAYER
        t = self.t + 1
        at = t + notice
        a = self.accounts[p]
        due_at = 0 if a.revision and keep_due else at + due_in
        got = self.send(
            "ASSESSOR_ROLE",
            self.chain.fee.functions.assess(project(p), payer, district, area, VERSION, at, due_at, BASIS),
        )
        if at > t + SKEW:
            expected = "FeeLedgerInvalidTime"
        elif not a.revision:
            expected = "FeeLedgerInvalidDueDate" if due_in < DAY else None
        else:
            expected = (
                "FeeLedgerPayerMismatch"
                if payer != a.payer
                else "FeeLedgerInvalidTime"
                if at < a.assessed_at
                else "FeeLedgerInvalidDueDate"
                if due_at not in (0, a.due_at)
                else None
            )
        expected = expected or ("FeeLedgerUnknownRate" if district != DISTRICT else None)
        assert got == expected
        if expected is None:
            a.payer, a.revision, a.base = payer, a.revision + 1, (area * RATE + 50) // 100
            if a.revision == 1:
                a.assessed_at, a.due_at = at, due_at
            a.recompute_due()

    @rule(p=st.sampled_from(PROJECTS), bps=st.sampled_from([0, 5_000, FULL, FULL + 1]))
    def relieve(self, p, bps):
        got = self.send("ASSESSOR_ROLE", self.chain.fee.functions.setRelief(project(p), reason_code("R"), bps, DOC))
        a = self.accounts[p]
        expected = (
            "FeeLedgerNotAssessed"
            if not a.assessed_at
            else "FeeLedgerInvalidRelief"
            if bps > FULL or bps == a.relief
            else None
        )
        assert got == expected
        if expected is None:
            a.relief = bps
            a.recompute_due()

    @rule(p=st.sampled_from(PROJECTS), delta=st.integers(-3 * RATE, 3 * RATE))
    def adjust(self, p, delta):
        got = self.send("ASSESSOR_ROLE", self.chain.fee.functions.adjust(project(p), reason_code("R"), delta, DOC))
        a = self.accounts[p]
        expected = (
            "FeeLedgerZeroAdjustment"
            if delta == 0
            else "FeeLedgerNotAssessed"
            if not a.assessed_at
            else "FeeLedgerAdjustmentBelowZero"
            if a.due + delta < 0
            else None
        )
        assert got == expected
        if expected is None:
            a.adjustment += delta
            a.recompute_due()

    def _payment_error(self, p, voucher, amount, paid_at, t, recorded):
        """The error one payment entry raises at block time `t`, "replay", or None."""
        a = self.accounts[p]
        if amount == 0:
            return "FeeLedgerZeroAmount"
        if voucher in recorded:
            return "replay" if recorded[voucher] == (p, amount, paid_at) else "FeeLedgerVoucherConflict"
        if not a.assessed_at:
            return "FeeLedgerNotAssessed"
        if paid_at < a.assessed_at or paid_at > t + SKEW:
            return "FeeLedgerInvalidTime"
        return None

    @rule(
        entries=st.lists(
            st.tuples(
                st.sampled_from(PROJECTS),
                VOUCHERS,
                st.integers(0, 2 * RATE),
                st.sampled_from([-DAY, 0, SKEW, SKEW + 1]),
            ),
            min_size=1,
            max_size=3,
        ),
        single=st.booleans(),
    )
    def pay(self, entries, single):
        t = self.t + 1
        payments = [(p, v, amount, max(1, t + offset)) for p, v, amount, offset in entries]
        if single:
            payments = payments[:1]
            p, v, amount, paid_at = payments[0]
            call = self.chain.fee.functions.recordPayment(project(p), reference_key(v), amount, paid_at)
        else:
            call = self.chain.fee.functions.recordPayments(
                [(project(p), reference_key(v), a, at) for p, v, a, at in payments]
            )
        got = self.send("TAX_ROLE", call)
        recorded, expected, applied = dict(self.vouchers), None, []
        for p, v, amount, paid_at in payments:
            error = self._payment_error(p, v, amount, paid_at, t, recorded)
            if error == "replay":
                continue
            if error:
                expected = error
                break
            recorded[v] = (p, amount, paid_at)
            applied.append((p, amount))
        assert got == expected
        if expected is None:
            self.vouchers = recorded
            for p, amount in applied:
                self.accounts[p].paid += amount

    @rule(
        p=st.sampled_from(PROJECTS),
        ref=REFUNDS,
        amount=st.integers(0, 2 * RATE),
        allowed=st.booleans(),
        offset=st.sampled_from([-DAY, 0, SKEW + 1]),
    )
    def refund(self, p, ref, amount, allowed, offset):
        t = self.t + 1
        at, reason = max(1, t + offset), ALLOWED_REASON if allowed else NO_REASON
        got = self.send(
            "TAX_ROLE", self.chain.fee.functions.recordRefund(project(p), reference_key(ref), amount, at, reason)
        )
        a = self.accounts[p]
        refundable = a.net if allowed else a.owed
        replay = self.refunds.get(ref) == (p, amount, at, reason)
        expected = (  # never refused for its amount: beyond what is refundable, flagged
            "FeeLedgerZeroAmount"
            if amount == 0
            else None
            if replay
            else "FeeLedgerRefundConflict"
            if ref in self.refunds
            else "FeeLedgerNotAssessed"
            if not a.assessed_at
            else "FeeLedgerInvalidTime"
            if at < a.assessed_at or at > t + SKEW
            else None
        )
        assert got == expected
        if expected is None and not replay:
            self.refunds[ref] = (p, amount, at, reason)
            a.refunded += amount
            a.over_refunded += max(0, amount - refundable)

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        self.t += days * DAY

    def read_views(self):
        fee = self.chain.fee.functions
        return FeeViews(
            accounts={p: dict(zip(FEE_ACCOUNT_FIELDS, fee.feeAccount(project(p)).call())) for p in PROJECTS},
            vouchers={v: fee.isVoucherRecorded(reference_key(v)).call() for v in VOUCHER_NUMBERS},
            refunds={r: fee.isRefundRecorded(reference_key(r)).call() for r in REFUND_REFERENCES},
        )

    @invariant()
    def views_match_the_model(self):
        if not hasattr(self, "accounts"):
            return
        views = self.views()
        for p, a in self.accounts.items():
            view = views.accounts[p]
            assert (
                view["payer"],
                view["revision"],
                view["reliefBps"],
                view["status"],
                view["baseFen"],
                view["adjustmentFen"],
                view["dueFen"],
                view["paidFen"],
                view["refundedFen"],
                view["refundOwedFen"],
                view["assessedAt"],
                view["dueAt"],
                view["overRefundedFen"],
            ) == (
                a.payer,
                a.revision,
                a.relief,
                a.status,
                a.base,
                a.adjustment,
                a.due,
                a.paid,
                a.refunded,
                a.owed,
                a.assessed_at,
                a.due_at,
                a.over_refunded,
            )
        for voucher in VOUCHER_NUMBERS:
            assert views.vouchers[voucher] == (voucher in self.vouchers)

    # -- FeeLedger's NatSpec invariants, on the chain's views --

    @STARTED
    @invariant()
    def due_follows_the_basis(self):
        for view in self.views().accounts.values():
            relief = (view["baseFen"] * view["reliefBps"] + FULL // 2) // FULL
            assert view["dueFen"] == max(0, view["baseFen"] - relief + view["adjustmentFen"])
            assert view["reliefBps"] <= FULL

    @STARTED
    @invariant()
    def refund_owed_follows_the_money(self):
        for view in self.views().accounts.values():
            assert view["refundOwedFen"] == max(0, view["paidFen"] - view["refundedFen"] - view["dueFen"])

    @STARTED
    @invariant()
    def status_follows_the_figures(self):
        for view in self.views().accounts.values():
            net, due = max(0, view["paidFen"] - view["refundedFen"]), view["dueFen"]
            if not view["revision"]:
                expected = UNASSESSED
            elif net > due:
                expected = OVERPAID
            elif due:
                expected = ASSESSED if net == 0 else PARTIALLY_PAID if net < due else PAID
            else:
                expected = EXEMPT if view["baseFen"] else NOTHING_OWED
            assert view["status"] == expected

    @STARTED
    @invariant()
    def first_assessment_is_kept(self):
        first, revisions = self.memory("first assessment"), self.memory("revisions")
        for p, view in self.views().accounts.items():
            assert (view["revision"] > 0) == (view["assessedAt"] != 0)
            if view["revision"]:
                kept = (view["payer"], view["assessedAt"], view["dueAt"])
                assert first.setdefault(p, kept) == kept
            assert view["revision"] >= revisions.get(p, 0)
            revisions[p] = view["revision"]

    @STARTED
    @invariant()
    def money_only_adds(self):
        before = self.memory("money")
        for p, view in self.views().accounts.items():
            money = (view["paidFen"], view["refundedFen"], view["overRefundedFen"])
            assert all(now >= then for now, then in zip(money, before.get(p, (0, 0, 0))))
            assert view["overRefundedFen"] <= view["refundedFen"]
            before[p] = money

    @STARTED
    @invariant()
    def each_entry_counted_once(self):
        views, recorded = self.views(), self.memory("recorded")
        for kind, on_chain in (("voucher", views.vouchers), ("refund", views.refunds)):
            recorded.setdefault(kind, set()).update(key for key, yes in on_chain.items() if yes)
            assert all(on_chain[key] for key in recorded[kind])  # once recorded, recorded for good
        for p, view in views.accounts.items():
            assert view["paidFen"] == sum(amount for q, amount, _ in self.vouchers.values() if q == p)
            assert view["refundedFen"] == sum(amount for q, amount, *_ in self.refunds.values() if q == p)


# -- commitment registry ----------------------------------------------------------------------------------

COMMITMENT_NUMBERS = [f"C-{i}" for i in range(4)]
COMMITMENTS = st.sampled_from(COMMITMENT_NUMBERS)
NONE, RECORDED, FULFILLED, OVERDUE, BREACHED, REPAIRED, EXTENDED = range(7)
OPEN = (RECORDED, EXTENDED, OVERDUE)
GRACE = DAY  # set at the start of every run, so overdue comes within a few steps
# Every lifecycle path the machine must have taken by the end of the test.
PATHS = {
    "recorded→fulfilled",
    "recorded→overdue",
    "recorded→extended",
    "extended→overdue",
    "extended→fulfilled",
    "overdue→fulfilled",
    "overdue→extended",
    "overdue→breached",
    "breached→repaired",
    "fulfilled late",
    "fulfilled on time after the due date (evidence)",
    "overdue refused: evidence pending",
    "overdue refused: decided",
    "overdue refused: not yet due",
    "recorded past due",
    "batch skipped some",
    "evidence before the overdue mark accepted after it",
    "repair refused: before the overdue mark",
    "grace extended by a pause",
}


@dataclass
class CommitmentViews:
    commitments: dict[str, dict]
    counters: dict[str, int]


@dataclass
class Commitment:
    kind: int
    signed: int
    due: int
    status: int = RECORDED
    late: bool = False
    extensions: int = 0
    evidence: int = 0
    decided: int = 0
    recorded_at: int = 0
    overdue_at: int = 0
    first_due: int = 0  # the due date it was recorded with (a replay carries it)

    def __post_init__(self):
        self.first_due = self.first_due or self.due


class CommitmentMachine(Clocked):
    paths: set = set()

    @initialize(
        kinds=st.lists(st.integers(0, 3), min_size=3, max_size=3),
        due_days=st.lists(st.sampled_from([1, 2, 4]), min_size=3, max_size=3),
        signed_days_ago=st.sampled_from([0, 3]),
    )
    def fresh_contracts(self, kinds, due_days, signed_days_ago):
        """Three of the four commitment numbers start recorded, so most steps act on one."""
        self.start()
        self.commitments: dict[str, Commitment] = {}
        self.counters = dict.fromkeys(COUNTER_FIELDS, 0)
        self.pauses: list[tuple[int, int]] = []
        assert self.send("DEFAULT_ADMIN_ROLE", self.chain.registry.functions.setOverdueGracePeriod(GRACE)) is None
        for n, (kind, days) in enumerate(zip(kinds, due_days)):
            self.record(f"C-{n}", kind, days, signed_days_ago if n == 0 else 0)

    def _took(self, path: str) -> None:
        CommitmentMachine.paths.add(path)

    @rule(
        c=COMMITMENTS,
        kind=st.integers(0, 4),
        due_days=st.sampled_from([0, 1, 2, 4]),
        signed_days_ago=st.sampled_from([0, 0, 3]),
    )
    def record(self, c, kind, due_days, signed_days_ago):
        t = self.t + 1
        signed = t - signed_days_ago * DAY
        due = signed + (due_days * DAY if due_days else DAY - 1)
        got = self.send(
            "APPROVAL_ROLE",
            self.chain.registry.functions.record(reference_key(c), project(0), PAYER, kind, signed, due, DOC),
        )
        existing = self.commitments.get(c)
        replay = existing is not None and (existing.kind, existing.signed, existing.first_due) == (kind, signed, due)
        expected = (
            "CommitmentRegistryInvalidKind"
            if kind > 3
            else None
            if replay
            else "CommitmentRegistryAlreadyRecorded"
            if existing
            else "CommitmentRegistryInvalidDueDate"
            if due_days == 0
            else None
        )
        assert got == expected
        if expected is None and not replay:
            self.commitments[c] = Commitment(kind, signed, due, recorded_at=self.t)
            self.counters["recorded"] += 1
            if due < t:
                self._took("recorded past due")

    def _open_error(self, c):
        commitment = self.commitments.get(c)
        if commitment is None:
            return "CommitmentRegistryUnknownCommitment"
        return None if commitment.status in OPEN else "CommitmentRegistryInvalidTransition"

    def _fact_error(self, c, at, repair=False):
        """Called after the send: self.t is the block time. Not before signing (a repair: nor the
        overdue mark), not beyond the skew; evidence may predate the mark (issue 17)."""
        commitment = self.commitments[c]
        earliest = max(commitment.signed, commitment.overdue_at) if repair else commitment.signed
        if commitment.signed <= at < commitment.overdue_at and at <= self.t + SKEW:
            self._took(
                "repair refused: before the overdue mark"
                if repair
                else "evidence before the overdue mark accepted after it"
            )
        return "CommitmentRegistryInvalidTime" if at < earliest or at > self.t + SKEW else None

    @rule(c=COMMITMENTS, offset=st.sampled_from([-DAY, -1, 0, SKEW + 1]), by_office=st.booleans())
    def submit_evidence(self, c, offset, by_office):
        at = self.t + 1 + offset
        got = self.send(
            "VERIFIER_ROLE" if by_office else "APPROVAL_ROLE",
            self.chain.registry.functions.submitEvidence(reference_key(c), DOC, at),
        )
        expected = self._open_error(c) or self._fact_error(c, at)
        assert got == expected
        if expected is None:
            commitment = self.commitments[c]
            commitment.evidence = at if not commitment.evidence else min(commitment.evidence, at)

    @rule(c=COMMITMENTS)
    def reject_evidence(self, c):
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.rejectEvidence(reference_key(c), DOC))
        expected = self._open_error(c) or (
            None if self.commitments[c].evidence else "CommitmentRegistryNoEvidencePending"
        )
        assert got == expected
        if expected is None:
            self.commitments[c].evidence = 0

    @rule(
        c=COMMITMENTS,
        offset=st.sampled_from([-1, 0, 0, SKEW + 1]),
        by_acceptance=st.booleans(),
        wait=st.sampled_from([None, 0, 1]),
    )
    def fulfil(self, c, offset, by_acceptance, wait):
        self._wait_for(c, wait)
        at = self.t + 1 + offset
        if by_acceptance:
            call, role = self.chain.registry.functions.fulfilByAcceptance(reference_key(c), DOC, at), "APPROVAL_ROLE"
        else:
            call, role = self.chain.registry.functions.fulfil(reference_key(c), DOC, at), "VERIFIER_ROLE"
        got = self.send(role, call)
        expected = self._open_error(c)
        if expected is None and by_acceptance and self.commitments[c].kind != 0:
            expected = "CommitmentRegistryNotShelterBuild"
        expected = expected or self._fact_error(c, at)
        assert got == expected
        if expected is None:
            commitment = self.commitments[c]
            fact = commitment.evidence or at
            self._took(f"{STATUS_NAMES[commitment.status]}→fulfilled")
            if commitment.evidence and self.t > commitment.due and fact <= commitment.due:
                self._took("fulfilled on time after the due date (evidence)")
            commitment.status, commitment.late, commitment.decided, commitment.evidence = (
                FULFILLED,
                fact > commitment.due,
                fact,
                0,
            )
            self.counters["fulfilled"] += 1
            self.counters["fulfilledLate"] += commitment.late
            if commitment.late:
                self._took("fulfilled late")

    def _overdue_error(self, c, t):
        commitment = self.commitments.get(c)
        if commitment is None:
            return "CommitmentRegistryUnknownCommitment"
        if commitment.status not in (RECORDED, EXTENDED):
            return "CommitmentRegistryInvalidTransition"
        if commitment.evidence:
            return "CommitmentRegistryEvidencePending"
        start = max(commitment.due, commitment.recorded_at)
        paused = sum(end - max(begin, start) for begin, end in self.pauses if end > start)
        if t <= start + GRACE + paused:
            if t > start + GRACE:
                self._took("grace extended by a pause")
            return "CommitmentRegistryNotYetDue"
        return None

    def _mark(self, c):
        commitment = self.commitments[c]
        self._took(f"{STATUS_NAMES[commitment.status]}→overdue")
        commitment.status, commitment.overdue_at = OVERDUE, self.t
        self.counters["overdue"] += 1

    def _note_refusal(self, c, error):
        if error == "CommitmentRegistryUnknownCommitment":
            return
        if error == "CommitmentRegistryEvidencePending":
            self._took("overdue refused: evidence pending")
        elif error == "CommitmentRegistryNotYetDue":
            self._took("overdue refused: not yet due")
        elif error == "CommitmentRegistryInvalidTransition" and self.commitments[c].status != OVERDUE:
            self._took("overdue refused: decided")

    def _wait_for(self, c, after_due):
        """Let time run to `after_due` seconds past c's due date (if that is still ahead)."""
        commitment = self.commitments.get(c)
        if after_due is not None and commitment is not None and commitment.due + after_due > self.t + 1:
            self.t = commitment.due + after_due - 1

    @rule(c=COMMITMENTS, wait=st.sampled_from([None, GRACE, GRACE + 1]))
    def mark_overdue(self, c, wait):
        self._wait_for(c, wait)
        got = self.send("OUTSIDER", self.chain.registry.functions.markOverdue(reference_key(c)))
        expected = self._overdue_error(c, self.t)
        assert got == expected
        if expected is None:
            self._mark(c)
        else:
            self._note_refusal(c, expected)

    @rule(cs=st.lists(COMMITMENTS, min_size=1, max_size=4), wait=st.sampled_from([None, GRACE + 1]))
    def mark_overdue_batch(self, cs, wait):
        self._wait_for(cs[0], wait)
        got = self.send("OUTSIDER", self.chain.registry.functions.markOverdueBatch([reference_key(c) for c in cs]))
        assert got is None
        skipped = False
        for c in cs:
            error = self._overdue_error(c, self.t)
            if error is None:
                self._mark(c)
            else:
                skipped = True
                self._note_refusal(c, error)
        if skipped and len(cs) > 1:
            self._took("batch skipped some")

    @rule(c=COMMITMENTS)
    def breach(self, c):
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.breach(reference_key(c), DOC))
        commitment = self.commitments.get(c)
        expected = (
            "CommitmentRegistryUnknownCommitment"
            if commitment is None
            else "CommitmentRegistryInvalidTransition"
            if commitment.status != OVERDUE
            else "CommitmentRegistryEvidencePending"
            if commitment.evidence
            else None
        )
        assert got == expected
        if expected is None:
            self._took("overdue→breached")
            commitment.status = BREACHED
            self.counters["breached"] += 1

    @rule(c=COMMITMENTS, offset=st.sampled_from([-4 * DAY, 0]))
    def repair(self, c, offset):
        at = self.t + 1 + offset
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.repair(reference_key(c), DOC, at))
        commitment = self.commitments.get(c)
        expected = (
            "CommitmentRegistryUnknownCommitment"
            if commitment is None
            else "CommitmentRegistryInvalidTransition"
            if commitment.status != BREACHED
            else self._fact_error(c, at, repair=True)
        )
        assert got == expected
        if expected is None:
            self._took("breached→repaired")
            commitment.status, commitment.decided = REPAIRED, at
            self.counters["repaired"] += 1

    @rule(c=COMMITMENTS, days=st.sampled_from([0, 1, 2]))
    def extend(self, c, days):
        """To `days` after the later of the current due date and now (0: refused as not later)."""
        commitment = self.commitments.get(c)
        t = self.t + 1
        new_due = max(commitment.due if commitment else t, t) + days * DAY
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.extend(reference_key(c), new_due, DOC))
        expected = self._open_error(c)
        if expected is None:
            expected = (
                "CommitmentRegistryTooManyExtensions"
                if commitment.extensions >= 3
                else "CommitmentRegistryInvalidDueDate"
                if new_due <= commitment.due or new_due <= t
                else None
            )
        assert got == expected
        if expected is None:
            self._took(f"{STATUS_NAMES[commitment.status]}→extended")
            commitment.due, commitment.status = new_due, EXTENDED
            commitment.extensions += 1

    @precondition(lambda self: hasattr(self, "commitments"))
    @rule(hours=st.sampled_from([12, 24, 36, 60]), paused=st.booleans())
    def time_passes(self, hours, paused):
        """Time passes (across a due date, a grace period), perhaps with the registry paused:
        then the writes wait, and every grace period running is extended by the pause's length."""
        if paused:
            assert self.send("PAUSER_ROLE", self.chain.registry.functions.pause()) is None
            began = self.t
        self.t += hours * 3_600
        if paused:
            assert self.send("PAUSER_ROLE", self.chain.registry.functions.unpause()) is None
            self.pauses.append((began, self.t))

    def read_views(self):
        registry = self.chain.registry.functions
        return CommitmentViews(
            commitments={
                c: dict(zip(COMMITMENT_FIELDS, registry.commitmentOf(reference_key(c)).call()))
                for c in COMMITMENT_NUMBERS
            },
            counters=dict(zip(COUNTER_FIELDS, registry.countersOf(PAYER).call())),
        )

    @invariant()
    def views_match_the_model(self):
        if not hasattr(self, "commitments"):
            return
        views = self.views()
        for c, expected in self.commitments.items():
            view = views.commitments[c]
            assert (
                view["kind"],
                view["status"],
                view["fulfilledLate"],
                view["extensions"],
                view["signedAt"],
                view["dueAt"],
                view["evidenceSubmittedAt"],
                view["decidedAt"],
                view["recordedAt"],
                view["overdueAt"],
            ) == (
                expected.kind,
                expected.status,
                expected.late,
                expected.extensions,
                expected.signed,
                expected.due,
                expected.evidence,
                expected.decided,
                expected.recorded_at,
                expected.overdue_at,
            )
        assert views.counters == self.counters

    # -- CommitmentRegistry's NatSpec invariants, on the chain's views (every commitment is PAYER's) --

    def _recorded(self):
        return {c: view for c, view in self.views().commitments.items() if view["status"] != NONE}

    @STARTED
    @invariant()
    def counters_are_consistent(self):
        n = self.views().counters
        assert n["fulfilledLate"] <= n["fulfilled"] <= n["recorded"]
        assert n["repaired"] <= n["breached"] <= n["overdue"]

    @STARTED
    @invariant()
    def counters_count_the_commitments(self):
        n, recorded = self.views().counters, self._recorded().values()
        statuses = [view["status"] for view in recorded]
        assert n["recorded"] == len(statuses)
        assert n["fulfilled"] == statuses.count(FULFILLED)
        assert n["fulfilledLate"] == sum(view["status"] == FULFILLED and view["fulfilledLate"] for view in recorded)
        assert n["breached"] == statuses.count(BREACHED) + statuses.count(REPAIRED)
        assert n["repaired"] == statuses.count(REPAIRED)
        assert n["overdue"] >= sum(view["overdueAt"] != 0 for view in recorded)

    @STARTED
    @invariant()
    def recorded_terms_are_kept(self):
        terms, before = self.memory("terms"), self.memory("due dates")
        for c, view in self._recorded().items():
            kept = tuple(view[f] for f in ("project", "enterprise", "kind", "signedAt", "recordedAt"))
            assert terms.setdefault(c, kept) == kept
            due, extensions = view["dueAt"], view["extensions"]
            due_before, extensions_before = before.get(c, (due, extensions))
            assert extensions_before <= extensions <= 3
            assert due == due_before if extensions == extensions_before else due > due_before  # moved by extend
            before[c] = (due, extensions)

    @STARTED
    @invariant()
    def decisions_are_final(self):
        before = self.memory("decisions")
        for c, view in self.views().commitments.items():
            now = (view["status"], view["decidedAt"], view["fulfilledLate"])
            then = before.get(c, (NONE, 0, False))
            if then[0] in (FULFILLED, REPAIRED):
                assert now == then
            elif then[0] == BREACHED:
                assert now[0] in (BREACHED, REPAIRED)
            elif then[0] != NONE:
                assert now[0] != NONE and (now[0] != RECORDED or then[0] == RECORDED)
            before[c] = now

    @STARTED
    @invariant()
    def fields_agree_with_the_status(self):
        for view in self._recorded().values():
            status = view["status"]
            assert not view["evidenceSubmittedAt"] or status in OPEN
            assert not view["decidedAt"] or status in (FULFILLED, REPAIRED)
            assert not view["fulfilledLate"] or status == FULFILLED
            assert status != EXTENDED or view["extensions"] >= 1
            assert status != RECORDED or view["overdueAt"] == 0

    @STARTED
    @invariant()
    def times_in_order(self):
        for view in self._recorded().values():
            assert view["signedAt"] <= view["recordedAt"] + SKEW
            assert not view["overdueAt"] or view["overdueAt"] >= view["recordedAt"]
            assert not view["evidenceSubmittedAt"] or view["evidenceSubmittedAt"] >= view["signedAt"]
            assert not view["decidedAt"] or view["decidedAt"] >= view["signedAt"]

    @STARTED
    @invariant()
    def late_means_after_the_due_date(self):
        for view in self._recorded().values():
            if view["status"] == FULFILLED:
                assert view["fulfilledLate"] == (view["decidedAt"] > view["dueAt"])


# `make test-deep`'s size: at least 500 examples of each machine (issue 18 item 8), on each node.
DEEP_EXAMPLES = 500

STATUS_NAMES = {RECORDED: "recorded", EXTENDED: "extended", OVERDUE: "overdue", BREACHED: "breached"}


def _explore(machine, chain, *, examples: int, steps: int, rounds: int, done=lambda: True) -> int:
    """Run `machine` in rounds of `examples` runs (seeded 0, 1, …: deterministic) until `done()`,
    at most `rounds` rounds. Returns the rounds run."""
    machine.chain = chain
    config = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    try:
        for n in range(rounds):
            run_state_machine_as_test(seed(n)(machine), settings=config)
            if done():
                return n + 1
        return rounds
    finally:
        chain.reset()


def test_random_fee_operations_keep_the_ledger_equal_to_the_model(deployed_chain):
    # On anvil `make test` runs half of the examples: the model is the node-independent part
    # and Hardhat runs it in full; `make test-deep` runs both nodes at the large size.
    examples = 10 if deployed_chain.node.kind == "hardhat" else 5
    _explore(
        FeeMachine, deployed_chain, examples=DEEP_EXAMPLES if DEEP else examples, steps=60 if DEEP else 25, rounds=1
    )


def test_random_commitment_operations_keep_the_registry_equal_to_the_model_and_take_every_path(deployed_chain):
    # The seeded rounds are what take every lifecycle path: Hardhat runs them until every path is
    # taken; on anvil `make test` runs one short round (the model is node-independent), and
    # `make test-deep` runs both nodes at the large size, every path required on each.
    CommitmentMachine.paths = set()
    every_path = DEEP or deployed_chain.node.kind == "hardhat"
    _explore(
        CommitmentMachine,
        deployed_chain,
        examples=DEEP_EXAMPLES if DEEP else 8 if every_path else 4,
        steps=80 if DEEP else 40 if every_path else 30,
        rounds=10 if every_path else 1,
        done=lambda: DEEP or PATHS <= CommitmentMachine.paths,
    )
    if every_path:
        assert PATHS - CommitmentMachine.paths == set(), sorted(CommitmentMachine.paths)


# -- inspection draws -----------------------------------------------------------------------------------

DRAW_NUMBERS = ["D-0", "D-1"]
DRAWS = st.sampled_from(DRAW_NUMBERS)
INSPECTED = ["C-0", "C-1", "C-2"]  # the commitments whose outcomes the machine records
DRAW_FIELDS = (
    "poolHash",
    "rosterHash",
    "seed",
    "revealBlock",
    "poolSize",
    "rosterSize",
    "commitmentsToPick",
    "inspectorsToPick",
    "attempt",
    "outcomes",
    "status",
)
MIN_REVEAL_DELAY = 10
DRAW_POOLS = [(reference_key("pool A"), 5), (reference_key("pool B"), 6)]  # (pool hash, size); roster fixed
ROSTER_HASH, ROSTER_SIZE = reference_key("roster"), 3
NO_DRAW, DRAW_COMMITTED, DRAW_REVEALED, DRAW_EXPIRED = range(4)


@dataclass
class Draw:
    status: int = NO_DRAW
    attempt: int = 0
    pool: int = 0
    reveal_block: int = 0
    seed: bytes = bytes(32)
    outcomes: int = 0
    commit_block: int = 0  # the block of the last commit


@dataclass
class DrawViews:
    draws: dict[str, dict]
    outcomes: dict[tuple[str, str], int]  # (draw, commitment) → outcome
    commitments: dict[str, bytes]  # drawCommitment of each draw committed so far


class DrawMachine(Clocked):
    """Commit, reveal, expire and inspect at block numbers the model tracks: early, late and double
    reveals, replacements and re-commits with other pools are tried as often as the valid ones."""

    PICKS = 2

    @initialize()
    def setup(self):
        self.start()
        self.draws = {d: Draw() for d in DRAW_NUMBERS}

    def next_block(self) -> int:
        return self.chain.w3.eth.block_number + 1

    def terms(self, d: str, draw: Draw) -> DrawTerms:
        pool_hash_, size = DRAW_POOLS[draw.pool]
        return DrawTerms(
            reference_key(d), draw.attempt, pool_hash_, size, ROSTER_HASH, ROSTER_SIZE, self.PICKS, 1, draw.reveal_block
        )

    @rule(d=DRAWS, pool=st.sampled_from([0, 1]), delay=st.sampled_from([9, 10, 12]))
    def commit(self, d, pool, delay):
        draw, reveal_block = self.draws[d], self.next_block() + delay
        pool_hash_, size = DRAW_POOLS[pool]
        call = self.chain.draws.functions.commitDraw(
            reference_key(d), pool_hash_, size, ROSTER_HASH, ROSTER_SIZE, self.PICKS, 1, reveal_block
        )
        got = self.send("VERIFIER_ROLE", call)
        if delay < MIN_REVEAL_DELAY:
            assert got == "InspectionDrawsInvalidRevealBlock"
        elif draw.status in (DRAW_COMMITTED, DRAW_REVEALED):
            assert got == "InspectionDrawsDrawExists"
        elif draw.status == DRAW_EXPIRED and pool != draw.pool:
            assert got == "InspectionDrawsRecommitMismatch"
        else:
            assert got is None
            draw.status, draw.attempt, draw.pool, draw.reveal_block, draw.commit_block = (
                DRAW_COMMITTED,
                draw.attempt + 1,
                pool,
                reveal_block,
                reveal_block - delay,
            )

    @rule(blocks=st.sampled_from([1, 4, 11, 260]))
    def mine(self, blocks):
        for _ in range(blocks):
            self.t += 1
            self.chain.rpc("evm_setNextBlockTimestamp", [self.t])
            self.chain.rpc("evm_mine")

    @rule(d=DRAWS)
    def reveal(self, d):
        draw, block = self.draws[d], self.next_block()
        got = self.send("OUTSIDER", self.chain.draws.functions.reveal(reference_key(d)))
        if draw.status == NO_DRAW:
            assert got == "InspectionDrawsUnknownDraw"
        elif draw.status != DRAW_COMMITTED:
            assert got == "InspectionDrawsNotCommitted"
        elif block <= draw.reveal_block:
            assert got == "InspectionDrawsTooEarly"
        elif block > draw.reveal_block + 256:
            assert got == "InspectionDrawsRevealWindowPassed"
        else:
            assert got is None
            block_hash = bytes(self.chain.w3.eth.get_block(draw.reveal_block)["hash"])
            draw.status, draw.seed = DRAW_REVEALED, seed_of(block_hash, self.terms(d, draw).commitment())

    @rule(d=DRAWS)
    def expire(self, d):
        draw, block = self.draws[d], self.next_block()
        got = self.send("OUTSIDER", self.chain.draws.functions.expire(reference_key(d)))
        if draw.status == NO_DRAW:
            assert got == "InspectionDrawsUnknownDraw"
        elif draw.status != DRAW_COMMITTED:
            assert got == "InspectionDrawsNotCommitted"
        elif block <= draw.reveal_block + 256:
            assert got == "InspectionDrawsNotExpired"
        else:
            assert got is None
            draw.status = DRAW_EXPIRED

    @rule(d=DRAWS, c=st.sampled_from(INSPECTED), result=st.sampled_from([1, 3]))
    def record_outcome(self, d, c, result):
        draw = self.draws[d]
        key = reference_key(c)
        recorded = self.chain.draws.functions.outcomeOf(reference_key(d), key).call()
        got = self.send("VERIFIER_ROLE", self.chain.draws.functions.recordOutcome(reference_key(d), key, result, DOC))
        if draw.status == NO_DRAW:
            assert got == "InspectionDrawsUnknownDraw"
        elif draw.status != DRAW_REVEALED:
            assert got == "InspectionDrawsNotRevealed"
        elif recorded:
            assert got == "InspectionDrawsOutcomeRecorded"
        elif draw.outcomes >= self.PICKS:
            assert got == "InspectionDrawsTooManyOutcomes"
        else:
            assert got is None
            draw.outcomes += 1

    def read_views(self):
        functions = self.chain.draws.functions
        draws = {d: dict(zip(DRAW_FIELDS, functions.drawOf(reference_key(d)).call())) for d in DRAW_NUMBERS}
        return DrawViews(
            draws=draws,
            outcomes={
                (d, c): functions.outcomeOf(reference_key(d), reference_key(c)).call()
                for d in DRAW_NUMBERS
                for c in INSPECTED
            },
            commitments={
                d: functions.drawCommitment(reference_key(d)).call() for d, view in draws.items() if view["status"]
            },
        )

    @invariant()
    def draws_equal_the_model(self):
        if not hasattr(self, "draws"):
            return
        views = self.views()
        for d, draw in self.draws.items():
            view = views.draws[d]
            pool_hash_, size = DRAW_POOLS[draw.pool] if draw.status else (bytes(32), 0)
            assert (view["poolHash"], view["poolSize"]) == (pool_hash_, size)
            assert (view["seed"], view["revealBlock"], view["attempt"], view["outcomes"], view["status"]) == (
                draw.seed,
                draw.reveal_block,
                draw.attempt,
                draw.outcomes,
                draw.status,
            )

    # -- InspectionDraws' NatSpec invariants, on the chain's views --

    @STARTED
    @invariant()
    def terms_never_change(self):
        first = self.memory("terms")
        for d, view in self.views().draws.items():
            if view["status"] != NO_DRAW:
                terms = tuple(
                    view[f]
                    for f in (
                        "poolHash",
                        "poolSize",
                        "rosterHash",
                        "rosterSize",
                        "commitmentsToPick",
                        "inspectorsToPick",
                    )
                )
                assert first.setdefault(d, terms) == terms

    @STARTED
    @invariant()
    def attempts_count_the_commits(self):
        before = self.memory("attempts")
        for d, view in self.views().draws.items():
            attempt, reveal_block = view["attempt"], view["revealBlock"]
            assert (attempt == 0) == (view["status"] == NO_DRAW)
            assert attempt == self.draws[d].attempt  # the commits that succeeded, and nothing else
            attempt_before, reveal_block_before = before.get(d, (0, 0))
            assert attempt in (attempt_before, attempt_before + 1)
            assert reveal_block == reveal_block_before or attempt == attempt_before + 1
            if attempt:
                assert reveal_block >= self.draws[d].commit_block + MIN_REVEAL_DELAY
            before[d] = (attempt, reveal_block)

    @STARTED
    @invariant()
    def seed_set_once(self):
        views, before = self.views(), self.memory("seeds")
        for d, view in views.draws.items():
            if view["status"] != DRAW_REVEALED:
                assert view["seed"] == bytes(32) and d not in before  # Revealed is final
                continue
            if d not in before:
                block_hash = bytes(self.chain.w3.eth.get_block(view["revealBlock"])["hash"])
                assert view["revealBlock"] > self.draws[d].commit_block
                before[d] = seed_of(block_hash, views.commitments[d])
            assert view["seed"] == before[d]

    @STARTED
    @invariant()
    def outcomes_at_most_the_picks(self):
        views, recorded = self.views(), self.memory("outcomes")
        for d, view in views.draws.items():
            assert view["outcomes"] == 0 or view["status"] == DRAW_REVEALED
            assert view["outcomes"] <= view["commitmentsToPick"]
            assert view["outcomes"] == sum(views.outcomes[d, c] != 0 for c in INSPECTED)
        for key, result in views.outcomes.items():
            if result:
                assert recorded.setdefault(key, result) == result
            else:
                assert key not in recorded


def test_random_draw_operations_keep_the_draws_equal_to_the_model(deployed_chain):
    examples = 6 if deployed_chain.node.kind == "hardhat" else 3
    _explore(
        DrawMachine, deployed_chain, examples=DEEP_EXAMPLES if DEEP else examples, steps=40 if DEEP else 20, rounds=1
    )
