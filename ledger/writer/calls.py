"""Every contract write the outbox makes: command kind → contract, signing role, function, arguments.

This is the one module that knows the contracts' write functions (v3: IFeeLedger,
ICommitmentRegistry); moving to another contract version changes this table (and the
arguments the domain services put into commands).

Command arguments are stored as JSON: bytes32 values as 0x-hex, numbers as integers.
`fields` gives their order in the single call; `batch` (when the contract has one) takes a list
of tuples in the same order, so many commands share one transaction.
"""

from dataclasses import dataclass
from functools import cache

from eth_abi import encode as abi_encode
from eth_utils import collapse_if_tuple, function_abi_to_4byte_selector

from ledger.artifacts import load_artifact


@dataclass(frozen=True)
class Kind:
    name: str
    contract: str  # FeeLedger, CommitmentRegistry
    role: str  # the role whose key signs it
    function: str  # the single call
    fields: tuple[str, ...]  # argument names, in the function's order
    batch: str | None = None  # the batch call taking a list of `fields` tuples (or of one value)
    # A view telling whether the command's effect is already on chain (for reconciling after a crash):
    # (function, argument name, how to read its answer).
    landed_view: tuple[str, str, str] | None = None
    gas_single: int = 150_000  # generous upper bounds of the gas used (the measured figures are well below)
    gas_per_item: int = 60_000
    max_batch: int = 1000  # keeps one transaction well under the block gas limit

    def args_of(self, args: dict) -> tuple:
        return tuple(_abi_value(args[name]) for name in self.fields)


def _abi_value(value):
    if isinstance(value, str) and value.startswith("0x"):
        return bytes.fromhex(value[2:])
    return value


KINDS: dict[str, Kind] = {k.name: k for k in [
    # FeeLedger v3: the rate comes from the table published on chain for (version, district);
    # `assessed_at` is the levy notice's issue time (the account keeps the first one).
    Kind("assess_fee", "FeeLedger", "ASSESSOR_ROLE", "assess",
         ("project", "payer", "district", "shortfall_area", "rate_table_version", "assessed_at", "due_at",
          "basis_hash")),
    Kind("set_relief", "FeeLedger", "ASSESSOR_ROLE", "setRelief", ("project", "reason", "relief_bps", "document_hash")),
    Kind("adjust_fee", "FeeLedger", "ASSESSOR_ROLE", "adjust", ("project", "reason", "delta_fen", "document_hash")),
    Kind("record_payment", "FeeLedger", "TAX_ROLE", "recordPayment", ("project", "voucher", "amount_fen", "paid_at"),
         batch="recordPayments", landed_view=("isVoucherRecorded", "voucher", "bool"),
         gas_single=100_000, gas_per_item=45_000, max_batch=1000),
    Kind("record_refund", "FeeLedger", "TAX_ROLE", "recordRefund",
         ("project", "refund_ref", "amount_fen", "refunded_at", "reason"),
         batch="recordRefunds", landed_view=("isRefundRecorded", "refund_ref", "bool"), max_batch=500),
    # CommitmentRegistry v3: fact times (signedAt, fulfilledAt, repairedAt, acceptedAt) come from the request.
    Kind("record_commitment", "CommitmentRegistry", "APPROVAL_ROLE", "record",
         ("commitment", "project", "enterprise", "kind", "signed_at", "due_at", "terms_hash"),
         batch="recordBatch", landed_view=("commitmentOf", "commitment", "status"), gas_single=250_000,
         gas_per_item=200_000, max_batch=100),  # v3 stores recordedAt and seals an open import
    Kind("fulfil_by_acceptance", "CommitmentRegistry", "APPROVAL_ROLE", "fulfilByAcceptance",
         ("commitment", "report_hash", "accepted_at")),
    Kind("submit_evidence", "CommitmentRegistry", "VERIFIER_ROLE", "submitEvidence",
         ("commitment", "evidence_hash", "submitted_at")),
    Kind("reject_evidence", "CommitmentRegistry", "VERIFIER_ROLE", "rejectEvidence", ("commitment", "reason_hash")),
    Kind("fulfil_commitment", "CommitmentRegistry", "VERIFIER_ROLE", "fulfil",
         ("commitment", "evidence_hash", "fulfilled_at")),
    Kind("breach_commitment", "CommitmentRegistry", "VERIFIER_ROLE", "breach", ("commitment", "reason_hash")),
    Kind("extend_commitment", "CommitmentRegistry", "VERIFIER_ROLE", "extend",
         ("commitment", "new_due_at", "document_hash")),
    Kind("repair_commitment", "CommitmentRegistry", "VERIFIER_ROLE", "repair",
         ("commitment", "evidence_hash", "repaired_at")),
    Kind("mark_overdue", "CommitmentRegistry", "VERIFIER_ROLE", "markOverdue", ("commitment",),
         batch="markOverdueBatch", max_batch=200),
]}

# Commitment kinds as the registry numbers them (ICommitmentRegistry.CommitmentKind).
COMMITMENT_KINDS = {"shelter_build": 0, "fee_payment": 1, "materials": 2, "peacetime_use": 3}
COMMITMENT_STATUSES = ["none", "recorded", "fulfilled", "overdue", "breached", "repaired", "extended"]


def role_of(kind: str) -> str:
    return KINDS[kind].role


@cache
def _encoder(contract_name: str, function: str) -> tuple[bytes, list[str]]:
    """Selector and argument types of a contract function, from the artifact's ABI."""
    for item in load_artifact(contract_name)["abi"]:
        if item["type"] == "function" and item["name"] == function:
            return function_abi_to_4byte_selector(item), [collapse_if_tuple(i) for i in item["inputs"]]
    raise KeyError(f"{contract_name} has no function {function}")


def encode_call(kind: Kind, commands_args: list[dict]) -> tuple[bytes, int]:
    """The calldata for these commands of one kind (one call, or the batch call), and a gas limit.
    eth_abi directly: web3's encode_abi is ~50× slower on a batch of a thousand tuples (measured)."""
    if len(commands_args) == 1 or kind.batch is None:
        assert len(commands_args) == 1, f"{kind.name} has no batch call"
        selector, types = _encoder(kind.contract, kind.function)
        return selector + abi_encode(types, list(kind.args_of(commands_args[0]))), kind.gas_single
    selector, types = _encoder(kind.contract, kind.batch)
    if len(kind.fields) == 1:
        items = [kind.args_of(a)[0] for a in commands_args]
    else:
        items = [kind.args_of(a) for a in commands_args]
    return selector + abi_encode(types, [items]), 60_000 + kind.gas_per_item * len(commands_args)


def landed(contract, kind: Kind, args: dict) -> bool | None:
    """Whether the command's effect is on chain (None: this kind cannot tell)."""
    if kind.landed_view is None:
        return None
    function, argument, reading = kind.landed_view
    answer = getattr(contract.functions, function)(_abi_value(args[argument])).call()
    if reading == "bool":
        return bool(answer)
    return answer[3] != 0  # Commitment.status (v2 struct order); None = 0
