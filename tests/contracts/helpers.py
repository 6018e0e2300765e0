"""Small helpers for the contract tests."""

import dataclasses
from contextlib import contextmanager

import pytest
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD

from ledger.chain.node import Sender, decode_revert
from ledger.chain.deploy import DeployOptions, deploy

from ledger.core.errors import ContractRevert
from ledger.core.identifiers import enterprise_key, project_key, reason_code, reference_key
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from ledger.core.settings import DEV_PEPPER

PAYER = enterprise_key("91410100MA44XXXX0X", DEV_PEPPER)
BASIS = reference_key("sample-rate-table-v1")
DOC = reference_key("document")
NO_REASON = b"\0" * 32
DAY = 86_400
SKEW = 15 * 60
DISTRICT = 410105
RATE = SAMPLE_RATE_TABLE.rates[str(DISTRICT)]  # fen per m² in the sample table, version 1
VERSION = SAMPLE_RATE_TABLE.version
GRACE = 7 * DAY  # DeployOptions' default overdue grace period

FEE_ACCOUNT_FIELDS = (
    "payer",
    "district",
    "rateTableVersion",
    "revision",
    "reliefBps",
    "status",
    "baseFen",
    "adjustmentFen",
    "dueFen",
    "paidFen",
    "refundedFen",
    "refundOwedFen",
    "assessedAt",
    "dueAt",
    "overRefundedFen",
)
COMMITMENT_FIELDS = (
    "project",
    "enterprise",
    "kind",
    "status",
    "fulfilledLate",
    "extensions",
    "signedAt",
    "dueAt",
    "evidenceSubmittedAt",
    "decidedAt",
    "recordedAt",
    "overdueAt",
)
COUNTER_FIELDS = ("recorded", "fulfilled", "fulfilledLate", "overdue", "breached", "repaired")
UNASSESSED, ASSESSED, PARTIALLY_PAID, PAID, OVERPAID, EXEMPT, NOTHING_OWED = range(7)
NONE, RECORDED, FULFILLED, OVERDUE, BREACHED, REPAIRED, EXTENDED = range(7)


def project(n: int = 0) -> bytes:
    return project_key(f"2026-410105-47-01-{n:06d}")


def account(chain, p) -> dict:
    return dict(zip(FEE_ACCOUNT_FIELDS, chain.fee.functions.feeAccount(p).call()))


def commitment(chain, number="C-1") -> dict:
    return dict(zip(COMMITMENT_FIELDS, chain.registry.functions.commitmentOf(reference_key(number)).call()))


def counters(chain, enterprise=PAYER) -> dict:
    return dict(zip(COUNTER_FIELDS, chain.registry.functions.countersOf(enterprise).call()))


def unsealed(chain):
    """`chain` with fresh contracts whose import window is open (a migration planned), on the same
    node; fresh Senders too (deploying used the admin's nonces), so use only the returned chain."""
    manifest, _ = deploy(chain.w3, chain.signers, options=DeployOptions(import_planned=True))
    senders = {role: Sender(chain.w3, sender.account) for role, sender in chain.senders.items()}
    return dataclasses.replace(chain, manifest=manifest, senders=senders)


def send_at(chain, role: str, call, timestamp: int | None = None):
    """Send `call` from `role` in a block mined at exactly `timestamp`, by default one second
    after the latest block: block times never follow the wall clock here, so a test that reads
    `chain.now()` knows the time of its next transaction even after an evm_revert to an old
    snapshot. (Gas estimation is skipped: it would run at another time.)"""
    chain.rpc("evm_setNextBlockTimestamp", [chain.now() + 1 if timestamp is None else timestamp])
    return chain.senders[role].send(call, gas=5_000_000)


def events(contract, name: str, receipt) -> list[dict]:
    return [dict(e.args) for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)]


def call(fn):
    """A view call; a revert raises ContractRevert naming the custom error."""
    try:
        return fn.call()
    except (ContractCustomError, ContractLogicError) as exc:
        raise decode_revert(exc.data) from None


def assess(
    chain,
    p=None,
    area=10_000,
    *,
    district=DISTRICT,
    version=VERSION,
    due_in=30 * DAY,
    payer=PAYER,
    at=None,
    assessed_at=None,
    due_at=None,
):
    """Assess `p` in a block at `at`; the levy notice was issued at `assessed_at` (by default the
    block time) and is due `due_in` after it (or at `due_at`, e.g. 0 to keep it on a reassessment)."""
    p = project() if p is None else p
    now = at if at is not None else chain.now() + 1
    assessed_at = now if assessed_at is None else assessed_at
    if due_at is None:
        due_at = 0 if account(chain, p)["revision"] else assessed_at + due_in  # a reassessment keeps the date
    call = chain.fee.functions.assess(p, payer, district, area, version, assessed_at, due_at, BASIS)
    return send_at(chain, "ASSESSOR_ROLE", call, now)


def pay(chain, p, voucher: str, amount: int, paid_at=None, *, at=None):
    paid_at = chain.now() if paid_at is None else paid_at
    return send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayment(p, reference_key(voucher), amount, paid_at), at)


def refund(chain, p, ref: str, amount: int, refunded_at=None, reason=NO_REASON, *, at=None):
    refunded_at = chain.now() if refunded_at is None else refunded_at
    call = chain.fee.functions.recordRefund(p, reference_key(ref), amount, refunded_at, reason)
    return send_at(chain, "TAX_ROLE", call, at)


def relieve(chain, p, bps: int, code="SCHOOL_EXEMPT"):
    return send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.setRelief(p, reason_code(code), bps, DOC))


def adjust(chain, p, delta: int, code="SURVEY_SUPPLEMENT"):
    return send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.adjust(p, reason_code(code), delta, DOC))


def record(chain, number="C-1", *, signed_at=None, due_in=30 * DAY, kind=0, enterprise=PAYER, at=None):
    signed_at = chain.now() if signed_at is None else signed_at
    call = chain.registry.functions.record(
        reference_key(number), project(), enterprise, kind, signed_at, signed_at + due_in, DOC
    )
    return send_at(chain, "APPROVAL_ROLE", call, at)


def registry_call(chain, role: str, name: str, number="C-1", *args, at=None):
    return send_at(chain, role, getattr(chain.registry.functions, name)(reference_key(number), *args), at)


@contextmanager
def reverts(name: str):
    with pytest.raises(ContractRevert) as excinfo:
        yield excinfo
    assert excinfo.value.name == name, f"expected {name}, got {excinfo.value}"
