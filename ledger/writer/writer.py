"""The outbox writer: accepted commands → checked, batched, signed transactions → receipts.

One round (`run_once`):

1. settle the transactions still `sent` (after a crash: the receipt if there is one; else, if the
   nonce is still free, re-send the very same signed bytes; if the nonce was used by something
   else, ask the chain whether each command's effect landed);
2. claim accepted commands in acceptance order — a command waits while an earlier command of
   its project signed by another role is not yet mined — and group consecutive commands of one
   kind into one call (`recordPayments`, `recordBatch`, ...), one call when alone;
3. send each call as is the first time; commands that come back from a reverted transaction
   are checked with `eth_call` before they go again: the revert is pinned on the commands it
   names (or found by halving the batch), which fail with the decoded custom error while the
   rest go on;
4. sign locally with the role's key and our own nonce, store the signed transaction and mark
   its commands `submitted` in one SQL transaction (fenced by the writer lease), then send;
5. wait for the receipts: `mined`, or back to `accepted` if the transaction reverted after all
   (the next round's check finds the culprit);
6. mark `indexed` every mined command whose block the read model's checkpoint has reached.

Because the signed transaction is in SQL before it is sent, a crash anywhere leaves either an
unsent transaction that is re-sent byte for byte (same nonce, same hash) or a sent one whose
receipt is found: a command lands exactly once.
"""

import logging
import time
from dataclasses import dataclass, field

import orjson
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, bindparam, text
from web3 import Web3

from ledger.chain.artifacts import load_artifact
from ledger.chain.node import decode_revert
from ledger.core.errors import ChainUnavailable, ContractRevert, LedgerError
from ledger.chain.manifest import Manifest
from ledger.chain.rpc import JsonRpc, RpcError
from ledger.outbox.kinds import KINDS, Kind
from ledger.writer.calls import encode_call, landed
from ledger.outbox.commands import ACCEPTED, FAILED, INDEXED, MINED, SUBMITTED

log = logging.getLogger(__name__)

# Reverts that say "not now" rather than "never": the commands wait.
TRANSIENT_ERRORS = {"EnforcedPause"}
MAX_REVERTED_ATTEMPTS = 3  # a command in this many reverted transactions fails


class LeaseLost(LedgerError):
    """Another writer took the lease: this one must not sign with the shared nonces."""


class ChainHolds(LedgerError):
    """The chain refuses for now (paused): commands wait."""


@dataclass
class WriterConfig:
    batch_size: int = 1000
    max_in_flight: int = 4
    lease_seconds: float = 10.0
    receipt_timeout: float = 120.0


@dataclass
class Command:
    seq: int
    id: str
    kind: str
    role: str
    project_code: str
    args: dict
    attempts: int


@dataclass
class SentTransaction:
    id: int
    hash: str
    sender: str
    nonce: int
    raw: bytes
    commands: list[Command] = field(default_factory=list)


class OutboxWriter:
    def __init__(self, *, engine: Engine, rpc: JsonRpc, manifest: Manifest, signers: dict[str, LocalAccount],
                 owner: str, config: WriterConfig | None = None):
        self.engine, self.rpc, self.manifest, self.owner = engine, rpc, manifest, owner
        self.config = config or WriterConfig()
        self.signers = signers
        self.chain_id = manifest.chain_id
        offline = Web3()
        self.contracts = {name: offline.eth.contract(address=Web3.to_checksum_address(manifest.latest(name).address),
                                                     abi=load_artifact(name)["abi"])
                          for name in {k.contract for k in KINDS.values()}}
        self._nonces: dict[str, int] = {}  # next nonce per sender address
        self._gas_price: int | None = None

    # --- the round -------------------------------------------------------------------------

    def run_once(self) -> int | None:
        """One round; returns how many commands changed state, or None while another writer holds the lease."""
        if not self._acquire_lease():
            return None
        if self.rpc.chain_id() != self.chain_id:
            raise LedgerError(f"the node's chain id is not the manifest's {self.chain_id}")
        changed = self._settle_unfinished()
        self._gas_price = int(self.rpc.call("eth_gasPrice"), 16)
        sent: list[SentTransaction] = []
        try:
            for role in self._roles_with_work():
                for group in self._groups(role):
                    sent.extend(self._check_sign_send(group, in_flight=sent))
                    changed += len(group)
        finally:
            changed += self._settle(sent)
        changed += self.mark_indexed()
        return changed

    def mark_indexed(self) -> int:
        """Mined commands whose block the read model's checkpoint has passed are `indexed`."""
        with self.engine.begin() as conn:
            result = conn.execute(text(
                "UPDATE outbox_commands SET status = :indexed, indexed_at = :now WHERE status = :mined AND "
                "block_number <= (SELECT block_number FROM chain_state WHERE chain_id = :chain)"),
                {"indexed": INDEXED, "mined": MINED, "now": time.time(), "chain": self.chain_id})
            return result.rowcount

    # --- lease -----------------------------------------------------------------------------

    def _acquire_lease(self) -> bool:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO writer_leases (chain_id, owner, expires_at) VALUES (:c, :o, 0) "
                              "ON CONFLICT DO NOTHING"), {"c": self.chain_id, "o": self.owner})
            taken = conn.execute(text("UPDATE writer_leases SET owner = :o, expires_at = :e "
                                      "WHERE chain_id = :c AND (owner = :o OR expires_at < :now)"),
                                 {"c": self.chain_id, "o": self.owner, "e": now + self.config.lease_seconds,
                                  "now": now})
        if taken.rowcount != 1:
            self._nonces.clear()  # another writer may use them meanwhile
        return taken.rowcount == 1

    def release_lease(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE writer_leases SET expires_at = 0 WHERE chain_id = :c AND owner = :o"),
                         {"c": self.chain_id, "o": self.owner})

    def _fence(self, conn) -> None:
        renewed = conn.execute(text("UPDATE writer_leases SET expires_at = :e WHERE chain_id = :c AND owner = :o"),
                               {"c": self.chain_id, "o": self.owner, "e": time.time() + self.config.lease_seconds})
        if renewed.rowcount != 1:
            self._nonces.clear()
            raise LeaseLost(f"chain {self.chain_id}: the writer lease passed to another writer")

    # --- claiming --------------------------------------------------------------------------

    def _roles_with_work(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT DISTINCT role FROM outbox_commands WHERE status = :s"), {"s": ACCEPTED})
            return sorted(r[0] for r in rows if r[0] in self.signers)

    def _groups(self, role: str) -> list[list[Command]]:
        """Accepted commands of a role that may go now, as consecutive runs of one kind (one call each)."""
        limit = self.config.batch_size * self.config.max_in_flight
        with self.engine.connect() as conn:
            rows = conn.execute(text("""
                SELECT c.seq, c.id, c.kind, c.role, c.project_code, c.args, c.attempts FROM outbox_commands c
                WHERE c.status = :accepted AND c.role = :role AND NOT EXISTS (
                    SELECT 1 FROM outbox_commands p
                    WHERE p.project_code = c.project_code AND p.seq < c.seq AND p.role <> c.role
                      AND p.status IN (:accepted, :submitted))
                ORDER BY c.seq LIMIT :limit"""),
                {"accepted": ACCEPTED, "submitted": SUBMITTED, "role": role, "limit": limit}).all()
        groups: list[list[Command]] = []
        for seq, id_, kind, role_, project, args, attempts in rows:
            command = Command(seq, id_, kind, role_, project, orjson.loads(args), attempts)
            spec = KINDS[kind]
            last = groups[-1] if groups else None
            if (last and last[0].kind == kind and spec.batch
                    and len(last) < min(self.config.batch_size, spec.max_batch)):
                last.append(command)
            else:
                groups.append([command])
        return groups

    # --- check, sign, send -----------------------------------------------------------------

    def _check_sign_send(self, group: list[Command], *, in_flight: list[SentTransaction]) -> list[SentTransaction]:
        """Send the group's commands, failing the ones the contract refuses; returns what was sent."""
        kind = KINDS[group[0].kind]
        contract = self.contracts[kind.contract]
        signer = self.signers[kind.role]
        data, gas = encode_call(kind, [c.args for c in group])
        if not any(c.attempts for c in group):
            # First try: send unchecked (a check would execute the call twice on the node). If it
            # reverts, its commands come back with attempts > 0 and are checked before the next send.
            return [self._sign_and_send(signer, contract.address, data, gas, group)]
        revert = self._check(signer.address, contract.address, data)
        if revert is not None and in_flight:
            self._settle(in_flight)  # it may depend on a transaction still in flight: look again after it
            in_flight.clear()
            revert = self._check(signer.address, contract.address, data)
        if revert is None:
            return [self._sign_and_send(signer, contract.address, data, gas, group)]
        if revert.name in TRANSIENT_ERRORS:
            raise ChainHolds(f"the chain refuses for now: {revert}")
        culprits = self._culprits(group, revert)
        if culprits:
            self._fail(culprits, revert)
            rest = [c for c in group if c not in culprits]
            return self._check_sign_send(rest, in_flight=in_flight) if rest else []
        if len(group) == 1:
            self._fail(group, revert)
            return []
        half = len(group) // 2
        return (self._check_sign_send(group[:half], in_flight=in_flight)
                + self._check_sign_send(group[half:], in_flight=in_flight))

    def _check(self, sender: str, to: str, data: bytes) -> ContractRevert | None:
        try:
            self.rpc.call("eth_call", [{"from": sender, "to": to, "data": "0x" + data.hex()}, "latest"])
        except RpcError as exc:
            if exc.data:
                return decode_revert(exc.data)
            return ContractRevert("Revert", (exc.message,))
        return None

    @staticmethod
    def _culprits(group: list[Command], revert: ContractRevert) -> list[Command]:
        """The commands whose identifiers (voucher, commitment, project...) the error names."""
        named = {"0x" + a.hex() for a in revert.args_ if isinstance(a, bytes) and len(a) == 32}
        if not named:
            return []
        return [c for c in group if named & {v for v in c.args.values() if isinstance(v, str) and len(v) == 66}]

    def _fail(self, commands: list[Command], revert: ContractRevert) -> None:
        error_args = orjson.dumps(["0x" + a.hex() if isinstance(a, bytes) else str(a) for a in revert.args_]).decode()
        log.info("outbox: %d command(s) failed with %s", len(commands), revert)
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE outbox_commands SET status = :failed, error_name = :name, error_args = :args, "
                              "mined_at = NULL WHERE seq IN :seqs AND status = :accepted")
                         .bindparams(bindparam("seqs", expanding=True)),
                         {"failed": FAILED, "name": revert.name, "args": error_args, "accepted": ACCEPTED,
                          "seqs": [c.seq for c in commands]})

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = int(self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
        nonce = self._nonces[address]
        self._nonces[address] += 1
        return nonce

    def _sign_and_send(self, signer: LocalAccount, to: str, data: bytes, gas: int,
                       group: list[Command]) -> SentTransaction:
        nonce = self._next_nonce(signer.address)
        signed = signer.sign_transaction({"chainId": self.chain_id, "nonce": nonce, "gasPrice": self._gas_price,
                                          "gas": gas, "to": to, "value": 0, "data": data})
        tx_hash = "0x" + signed.hash.hex()
        now = time.time()
        with self.engine.begin() as conn:
            self._fence(conn)
            tx_id = conn.execute(text(
                "INSERT INTO outbox_transactions (chain_id, sender, nonce, transaction_hash, raw, status, created_at) "
                "VALUES (:chain, :sender, :nonce, :hash, :raw, 'sent', :now) RETURNING id"),
                {"chain": self.chain_id, "sender": signer.address, "nonce": nonce, "hash": tx_hash,
                 "raw": bytes(signed.raw_transaction), "now": now}).scalar_one()
            conn.execute(text("UPDATE outbox_commands SET status = :submitted, transaction_id = :tx, "
                              "transaction_hash = :hash, submitted_at = :now, attempts = attempts + 1 "
                              "WHERE seq IN :seqs").bindparams(bindparam("seqs", expanding=True)),
                         {"submitted": SUBMITTED, "tx": tx_id, "hash": tx_hash, "now": now,
                          "seqs": [c.seq for c in group]})
        sent = SentTransaction(tx_id, tx_hash, signer.address, nonce, bytes(signed.raw_transaction), group)
        self._broadcast(sent)
        return sent

    def _broadcast(self, sent: SentTransaction) -> None:
        """Send the stored bytes; a node that already has them (or mined them) is fine."""
        try:
            self.rpc.call("eth_sendRawTransaction", ["0x" + sent.raw.hex()])
        except RpcError as exc:
            # Automining nodes (Hardhat) report a reverted execution here, though the transaction is mined;
            # "already known" / "nonce too low" mean the node has seen these bytes: the receipt decides.
            log.info("outbox: sending %s: %s", sent.hash, exc)
            self._nonces.pop(sent.sender, None)

    # --- receipts and recovery -------------------------------------------------------------

    def _settle(self, sent: list[SentTransaction]) -> int:
        """Wait for each sent transaction's receipt and record the outcome."""
        changed = 0
        for tx in sent:
            receipt = self._wait_receipt(tx)
            if receipt is None:  # the node dropped it (never mined): recovery decides next round
                continue
            changed += self._record_receipt(tx.id, receipt)
        return changed

    def _wait_receipt(self, tx: SentTransaction) -> dict | None:
        deadline = time.monotonic() + self.config.receipt_timeout
        delay = 0.005
        while True:
            receipt = self.rpc.call("eth_getTransactionReceipt", [tx.hash])
            if receipt is not None:
                return receipt
            if self._nonce_used_elsewhere(tx):
                return None
            if time.monotonic() > deadline:
                raise ChainUnavailable(f"no receipt for {tx.hash} after {self.config.receipt_timeout} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _nonce_used_elsewhere(self, tx: SentTransaction) -> bool:
        mined_nonce = int(self.rpc.call("eth_getTransactionCount", [tx.sender, "latest"]), 16)
        if mined_nonce <= tx.nonce:
            return False
        # The nonce is used; if our transaction is not what used it, there will never be a receipt.
        return self.rpc.call("eth_getTransactionReceipt", [tx.hash]) is None

    def _record_receipt(self, tx_id: int, receipt: dict) -> int:
        block = int(receipt["blockNumber"], 16)
        ok = int(receipt["status"], 16) == 1
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE outbox_transactions SET status = :s, block_number = :b, settled_at = :now "
                              "WHERE id = :id"), {"s": "mined" if ok else "reverted", "b": block, "now": now,
                                                  "id": tx_id})
            if ok:
                return conn.execute(text(
                    "UPDATE outbox_commands SET status = :mined, block_number = :b, mined_at = :now "
                    "WHERE transaction_id = :id AND status = :submitted"),
                    {"mined": MINED, "b": block, "now": now, "id": tx_id, "submitted": SUBMITTED}).rowcount
            # Reverted after all (the chain moved between check and mining): back to the queue, whose
            # check finds the culprit; a command that keeps reverting fails.
            conn.execute(text(
                "UPDATE outbox_commands SET status = :failed, error_name = 'TransactionReverted', "
                "error_args = :args WHERE transaction_id = :id AND status = :submitted AND attempts >= :max"),
                {"failed": FAILED, "args": orjson.dumps([receipt["transactionHash"]]).decode(), "id": tx_id,
                 "submitted": SUBMITTED, "max": MAX_REVERTED_ATTEMPTS})
            return conn.execute(text(
                "UPDATE outbox_commands SET status = :accepted, transaction_id = NULL, transaction_hash = NULL "
                "WHERE transaction_id = :id AND status = :submitted"),
                {"accepted": ACCEPTED, "id": tx_id, "submitted": SUBMITTED}).rowcount

    def _settle_unfinished(self) -> int:
        """Transactions left `sent` by an earlier round or a crashed writer: settle them, in nonce order."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, transaction_hash, sender, nonce, raw FROM outbox_transactions "
                                     "WHERE chain_id = :c AND status = 'sent' ORDER BY sender, nonce"),
                                {"c": self.chain_id}).all()
        if not rows:
            return 0
        changed = 0
        for id_, hash_, sender, nonce, raw in rows:
            tx = SentTransaction(id_, hash_, sender, nonce, bytes(raw))
            receipt = self.rpc.call("eth_getTransactionReceipt", [hash_])
            if receipt is None and not self._nonce_used_elsewhere(tx):
                self._broadcast(tx)  # never reached the node, or the node lost it: the same bytes again
                receipt = self._wait_receipt(tx)
            if receipt is not None:
                changed += self._record_receipt(id_, receipt)
            else:
                changed += self._reconcile_dropped(tx)
        self._nonces.clear()
        return changed

    def _reconcile_dropped(self, tx: SentTransaction) -> int:
        """Our nonce was used by another transaction: ask the chain which commands landed anyway."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, kind, args FROM outbox_commands WHERE transaction_id = :id "
                                     "AND status = :submitted"), {"id": tx.id, "submitted": SUBMITTED}).all()
        head = int(self.rpc.call("eth_blockNumber"), 16)
        landed_seqs, requeue = [], []
        for seq, kind_name, args in rows:
            kind = KINDS[kind_name]
            on_chain = landed(self._live_contract(kind), kind, orjson.loads(args))
            (landed_seqs if on_chain else requeue).append(seq)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE outbox_transactions SET status = 'dropped', settled_at = :now WHERE id = :id"),
                         {"now": now, "id": tx.id})
            if landed_seqs:
                conn.execute(text("UPDATE outbox_commands SET status = :mined, block_number = :head, mined_at = :now, "
                                  "transaction_hash = NULL WHERE seq IN :seqs")
                             .bindparams(bindparam("seqs", expanding=True)),
                             {"mined": MINED, "head": head, "now": now, "seqs": landed_seqs})
            if requeue:
                conn.execute(text("UPDATE outbox_commands SET status = :accepted, transaction_id = NULL, "
                                  "transaction_hash = NULL WHERE seq IN :seqs")
                             .bindparams(bindparam("seqs", expanding=True)), {"accepted": ACCEPTED, "seqs": requeue})
        log.warning("outbox: transaction %s was dropped; %d command(s) had landed, %d requeued",
                    tx.hash, len(landed_seqs), len(requeue))
        return len(rows)

    def _live_contract(self, kind: Kind):
        from ledger.chain.node import connect, contract_at

        w3 = connect(self.rpc.url)
        return contract_at(w3, kind.contract, self.contracts[kind.contract].address)

