"""Random sequences of valid and invalid operations against the real contracts, with every
view checked against a plain Python model after each step."""

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ledger.errors import ContractRevert
from ledger.identifiers import reason_code, reference_key
from tests.contracts.helpers import BASIS, DOC, PAYER, project

PROJECTS = range(3)
VOUCHERS = st.sampled_from([f"V-{i}" for i in range(6)])
REFUNDS = st.sampled_from([f"R-{i}" for i in range(3)])
COMMITMENTS = st.sampled_from([f"C-{i}" for i in range(4)])
# Due dates sit half a step between time-travel steps, so no check lands on its boundary.
STEP = 1_000
NONE, RECORDED, FULFILLED, OVERDUE, BREACHED, REPAIRED, EXTENDED = range(7)
OPEN = (RECORDED, EXTENDED, OVERDUE)


@dataclass
class Account:
    due: int = 0
    paid: int = 0
    refunded: int = 0
    revision: int = 0
    payer: bytes = bytes(32)

    @property
    def status(self) -> int:
        if self.revision == 0:
            return 0
        net = self.paid - self.refunded
        if self.due == 0:
            return 5 if net == 0 else 4
        if net == 0:
            return 1
        return 2 if net < self.due else 3 if net == self.due else 4


@dataclass
class Commitment:
    due_at: int
    status: int = RECORDED
    late: bool = False


@dataclass
class Model:
    accounts: dict = field(default_factory=lambda: {p: Account() for p in PROJECTS})
    vouchers: set = field(default_factory=set)
    refunds: set = field(default_factory=set)
    commitments: dict = field(default_factory=dict)
    counters: dict = field(default_factory=lambda: dict(recorded=0, fulfilled=0, late=0, overdue=0, breached=0, repaired=0))


def outcome(send):
    try:
        send()
        return None
    except ContractRevert as exc:
        return exc.name


class LedgerMachine(RuleBasedStateMachine):
    chain = None  # set by the test

    @initialize()
    def fresh_contracts(self):
        self.chain.reset()
        self.model = Model()

    def send(self, role, call):
        return outcome(lambda: self.chain.senders[role].send(call))

    @rule(p=st.sampled_from(PROJECTS), area=st.integers(0, 10**7), rate=st.integers(0, 10**6))
    def assess(self, p, area, rate):
        got = self.send("ASSESSOR_ROLE", self.chain.fee.functions.assess(project(p), PAYER, area, rate, 1, BASIS))
        if rate == 0:
            assert got == "FeeLedgerZeroRate"
            return
        assert got is None
        account = self.model.accounts[p]
        account.due, account.revision, account.payer = (area * rate + 50) // 100, account.revision + 1, PAYER

    @rule(p=st.sampled_from(PROJECTS), delta=st.integers(-10**6, 10**6))
    def adjust(self, p, delta):
        got = self.send("ASSESSOR_ROLE", self.chain.fee.functions.adjust(project(p), reason_code("R"), delta, DOC))
        account = self.model.accounts[p]
        expected = (
            "FeeLedgerZeroAdjustment" if delta == 0
            else "FeeLedgerNotAssessed" if account.revision == 0
            else "FeeLedgerAdjustmentBelowZero" if account.due + delta < 0
            else None
        )
        assert got == expected
        if expected is None:
            account.due += delta

    @rule(p=st.sampled_from(PROJECTS), voucher=VOUCHERS, amount=st.integers(0, 10**6))
    def pay(self, p, voucher, amount):
        call = self.chain.fee.functions.recordPayment(project(p), reference_key(voucher), amount, self.chain.now())
        got = self.send("TAX_ROLE", call)
        account = self.model.accounts[p]
        expected = (
            "FeeLedgerZeroAmount" if amount == 0
            else "FeeLedgerVoucherAlreadyRecorded" if voucher in self.model.vouchers
            else "FeeLedgerNotAssessed" if account.revision == 0
            else None
        )
        assert got == expected
        if expected is None:
            self.model.vouchers.add(voucher)
            account.paid += amount

    @rule(p=st.sampled_from(PROJECTS), vouchers=st.lists(VOUCHERS, min_size=1, max_size=3), amount=st.integers(1, 10**5))
    def pay_batch(self, p, vouchers, amount):
        now = self.chain.now()
        batch = [(project(p), reference_key(v), amount, now) for v in vouchers]
        got = self.send("TAX_ROLE", self.chain.fee.functions.recordPayments(batch))
        duplicate = len(set(vouchers)) < len(vouchers) or bool(self.model.vouchers & set(vouchers))
        account = self.model.accounts[p]
        expected = (
            "FeeLedgerVoucherAlreadyRecorded" if duplicate and (account.revision or vouchers[0] in self.model.vouchers)
            else "FeeLedgerNotAssessed" if account.revision == 0
            else None
        )
        assert got == expected
        if expected is None:
            self.model.vouchers |= set(vouchers)
            account.paid += amount * len(vouchers)

    @rule(p=st.sampled_from(PROJECTS), ref=REFUNDS, amount=st.integers(0, 10**6))
    def refund(self, p, ref, amount):
        call = self.chain.fee.functions.recordRefund(project(p), reference_key(ref), amount, self.chain.now())
        got = self.send("TAX_ROLE", call)
        account = self.model.accounts[p]
        expected = (
            "FeeLedgerZeroAmount" if amount == 0
            else "FeeLedgerRefundAlreadyRecorded" if ref in self.model.refunds
            else "FeeLedgerNotAssessed" if account.revision == 0
            else "FeeLedgerRefundExceedsPaid" if amount > account.paid - account.refunded
            else None
        )
        assert got == expected
        if expected is None:
            self.model.refunds.add(ref)
            account.refunded += amount

    @rule(c=COMMITMENTS, kind=st.integers(0, 4), steps=st.integers(-1, 4))
    def record(self, c, kind, steps):
        due_at = self.chain.now() + steps * STEP + STEP // 2
        call = self.chain.registry.functions.record(reference_key(c), project(0), PAYER, kind, due_at, DOC)
        got = self.send("APPROVAL_ROLE", call)
        expected = (
            "CommitmentRegistryInvalidKind" if kind > 3
            else "CommitmentRegistryInvalidDueDate" if steps < 0
            else "CommitmentRegistryAlreadyRecorded" if c in self.model.commitments
            else None
        )
        assert got == expected
        if expected is None:
            self.model.commitments[c] = Commitment(due_at)
            self.model.counters["recorded"] += 1

    def _decision(self, c, allowed):
        commitment = self.model.commitments.get(c)
        if commitment is None:
            return "CommitmentRegistryUnknownCommitment"
        return None if commitment.status in allowed else "CommitmentRegistryInvalidTransition"

    @rule(c=COMMITMENTS)
    def fulfil(self, c):
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.fulfil(reference_key(c), DOC))
        expected = self._decision(c, OPEN)
        assert got == expected
        if expected is None:
            commitment = self.model.commitments[c]
            commitment.late = self.chain.now() > commitment.due_at
            commitment.status = FULFILLED
            self.model.counters["fulfilled"] += 1
            self.model.counters["late"] += commitment.late

    @rule(c=COMMITMENTS)
    def mark_overdue(self, c):
        got = self.send("OUTSIDER", self.chain.registry.functions.markOverdue(reference_key(c)))
        expected = self._decision(c, (RECORDED, EXTENDED))
        if expected is None and self.chain.now() <= self.model.commitments[c].due_at:
            expected = "CommitmentRegistryNotYetDue"
        assert got == expected
        if expected is None:
            self.model.commitments[c].status = OVERDUE
            self.model.counters["overdue"] += 1

    @rule(c=COMMITMENTS)
    def breach(self, c):
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.breach(reference_key(c), DOC))
        expected = self._decision(c, OPEN)
        assert got == expected
        if expected is None:
            self.model.commitments[c].status = BREACHED
            self.model.counters["breached"] += 1

    @rule(c=COMMITMENTS)
    def repair(self, c):
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.repair(reference_key(c), DOC))
        expected = self._decision(c, (BREACHED,))
        assert got == expected
        if expected is None:
            self.model.commitments[c].status = REPAIRED
            self.model.counters["repaired"] += 1

    @rule(c=COMMITMENTS, steps=st.integers(-1, 4))
    def extend(self, c, steps):
        new_due = self.chain.now() + steps * STEP + STEP // 2
        got = self.send("VERIFIER_ROLE", self.chain.registry.functions.extend(reference_key(c), new_due, DOC))
        expected = self._decision(c, OPEN)
        if expected is None and (steps < 0 or new_due <= self.model.commitments[c].due_at):
            expected = "CommitmentRegistryInvalidDueDate"
        assert got == expected
        if expected is None:
            self.model.commitments[c].due_at = new_due
            self.model.commitments[c].status = EXTENDED

    @rule(steps=st.integers(1, 3))
    def time_passes(self, steps):
        self.chain.travel(steps * STEP)

    @invariant()
    def views_match_the_model(self):
        if not hasattr(self, "model"):
            return
        for p, expected in self.model.accounts.items():
            payer, due, paid, refunded, revision, status = self.chain.fee.functions.feeAccount(project(p)).call()
            assert (due, paid, refunded, revision, status) == (
                expected.due, expected.paid, expected.refunded, expected.revision, expected.status
            )
            assert payer == expected.payer
        for voucher in (f"V-{i}" for i in range(6)):
            assert self.chain.fee.functions.isVoucherRecorded(reference_key(voucher)).call() == (voucher in self.model.vouchers)
        for c, expected in self.model.commitments.items():
            view = self.chain.registry.functions.commitmentOf(reference_key(c)).call()
            assert (view[2], view[5], view[6]) == (expected.due_at, expected.status, expected.late)
        counters = self.chain.registry.functions.countersOf(PAYER).call()
        assert tuple(counters) == tuple(self.model.counters.values())


def test_random_operation_sequences_keep_the_contracts_equal_to_the_model(deployed_chain):
    LedgerMachine.chain = deployed_chain
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=30, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow], derandomize=True,
    )
    try:
        machine().runTest()
    finally:
        deployed_chain.reset()
