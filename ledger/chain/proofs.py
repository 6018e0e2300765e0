"""Re-check a read-model proof against a chain node: does the transaction the proof names carry,
at that block and log index, the event the read model says it does?

The read path never touches the chain per request; this is the explicit "check against the chain"
a person asks for on a receipt's verification page (rate-limited with the other public routes).
The answer is a plain `ReceiptCheck`; the domain turns it into the public schema.
"""

from dataclasses import dataclass
from typing import Protocol

from ledger.chain.events import decode_log
from ledger.chain.manifest import Manifest, load_manifest
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import LedgerError, ManifestError
from ledger.core.identifiers import reference_key
from ledger.core.settings import Settings

PAYMENT_EVENTS = {"PaymentRecorded", "VoucherImported"}
CHECK_TIMEOUT_SECONDS = 5  # a person is waiting for the page


class LogProof(Protocol):
    """Where the read model says an event is: the chain, the block, the transaction and the log."""

    chain_id: int
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int


@dataclass(frozen=True)
class ReceiptCheck:
    matches: bool
    checked_block_number: int | None  # the node's head when checked
    detail: str  # what matched, or the first thing that did not


def check_receipt_on_chain(
    proof: LogProof, *, voucher_number: str, amount_fen: int, settings: Settings
) -> ReceiptCheck:
    """recheck_receipt against the configured node and deployment; a manifest that cannot be read is
    an answer too."""
    try:
        manifest = load_manifest(settings.deployment.manifest_path)
    except ManifestError as exc:
        return ReceiptCheck(
            matches=False, checked_block_number=None, detail=f"the deployment manifest cannot be read: {exc}"
        )
    return recheck_receipt(
        proof,
        voucher_number=voucher_number,
        amount_fen=amount_fen,
        rpc=JsonRpc(settings.rpc.url, timeout=CHECK_TIMEOUT_SECONDS),
        manifest=manifest,
    )


def recheck_receipt(
    proof: LogProof, *, voucher_number: str, amount_fen: int, rpc: JsonRpc, manifest: Manifest
) -> ReceiptCheck:
    """Compare a verified receipt (its proof, voucher number and amount) with the node's transaction
    receipt: chain, block, log, contract, event, voucher key and amount. A node that cannot be
    reached is an answer too (matches=False)."""
    try:
        chain_id, head = rpc.chain_id(), rpc.block_number()
        tx = rpc.call("eth_getTransactionReceipt", [proof.transaction_hash])
    except LedgerError as exc:  # unreachable, timed out, or refused by the node
        return ReceiptCheck(matches=False, checked_block_number=None, detail=f"the chain node could not be read: {exc}")

    def differs(detail: str) -> ReceiptCheck:
        return ReceiptCheck(matches=False, checked_block_number=head, detail=detail)

    if chain_id != proof.chain_id:
        return differs(f"the node serves chain {chain_id}, the proof names chain {proof.chain_id}")
    if tx is None or tx.get("blockHash") != proof.block_hash or int(tx["blockNumber"], 16) != proof.block_number:
        return differs(
            f"transaction {proof.transaction_hash} is not in block {proof.block_number} ({proof.block_hash})"
        )
    log = next((entry for entry in tx["logs"] if int(entry["logIndex"], 16) == proof.log_index), None)
    decoded = log and decode_log(log)
    fee_ledgers = {c.address.lower() for c in manifest.contracts if c.name == "FeeLedger"}
    if decoded is None or decoded.address not in fee_ledgers or decoded.event not in PAYMENT_EVENTS:
        return differs(f"log {proof.log_index} of the transaction is not a payment recorded by the FeeLedger")
    if decoded.args["voucher"] != "0x" + reference_key(voucher_number).hex():
        return differs(f"log {proof.log_index} records another voucher")
    if decoded.args["amountFen"] != amount_fen:
        return differs(f"the chain records {decoded.args['amountFen']} fen, not {amount_fen}")
    return ReceiptCheck(
        matches=True,
        checked_block_number=head,
        detail=f"{decoded.event} of {amount_fen} fen in block {proof.block_number}, "
        f"{head - proof.block_number} block(s) below the head",
    )
