"""The outbox writer: accepted commands → checked, batched, signed transactions → receipts.

One round (`run_once`):

1. settle the transactions still `sent` (after a crash: the receipt if there is one; else, if the
   nonce is still free, re-send the very same signed bytes; if the nonce was used by something
   else, ask the chain whether each command's effect landed);
2. claim accepted commands in acceptance order — a command waits while an earlier command of
   its project signed by another role is not yet mined — and group consecutive commands of one
   kind into one call (`recordPayments`, `recordBatch`, ...), one call when alone; a group is cut
   where its gas would pass `gas_cap` (95 % of the block gas limit, ledger.chain.node);
3. send each call as is the first time; commands that come back from a reverted transaction
   are checked with `eth_call` before they go again: the revert is pinned on the commands it
   names (or found by halving the batch), which fail with the decoded custom error while the
   rest go on; a draw's commitment takes its reveal block from the chain's head at that moment
   (`Kind.from_head`), so one held in the outbox still lands;
4. sign locally with the role's key and our own nonce, store the signed transaction and mark
   its commands `submitted` in one SQL transaction, then send; a nonce counts as spent only once
   that transaction is stored, and each round reads the next one from the chain, so a database
   lost mid-round never leaves a nonce gap (a gap found behind a stored transaction is filled
   with a stored no-op);
5. wait for the receipts: `mined`, or back to `accepted` if the transaction reverted after all
   (the next round's check finds the culprit);
6. mark `indexed` every mined command whose block the read model's checkpoint has reached.

Because the signed transaction is in SQL before it is sent, a crash anywhere leaves either an
unsent transaction that is re-sent byte for byte (same nonce, same hash) or a sent one whose
receipt is found: a command lands exactly once.

Exactly one writer per chain signs: the writer's lease (ledger.db.lease, on the database's
clock) is taken at the start of each round and fenced in every write transaction of the round,
so a writer that lost it writes nothing and forgets its nonces. The SQL is in ledger.writer.store.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils import to_checksum_address
from sqlalchemy import Connection, Engine

from ledger.chain.manifest import Manifest
from ledger.chain.node import connect, contract_at, decode_revert, gas_cap, items_per_transaction
from ledger.chain.rpc import JsonRpc, RpcError
from ledger.core.errors import ChainUnavailable, ContractRevert, LeaseLost, LedgerError
from ledger.db.lease import Lease
from ledger.outbox.kinds import KINDS, Kind
from ledger.writer import store
from ledger.writer.calls import BATCH_BASE_GAS, encode_call, landed
from ledger.writer.store import Command, SentTransaction

log = logging.getLogger(__name__)

# Reverts that say "not now" rather than "never": the commands wait.
TRANSIENT_ERRORS = {"EnforcedPause"}
MAX_REVERTED_ATTEMPTS = 3  # a command in this many reverted transactions fails


class ChainHolds(LedgerError):
    """The chain refuses for now (paused): commands wait."""


@dataclass
class WriterConfig:
    batch_size: int = 1000
    max_in_flight: int = 4
    lease_seconds: float = 30.0  # longer than an RPC request (Settings check it), so a slow node never costs it
    receipt_timeout: float = 120.0


class OutboxWriter:
    def __init__(
        self,
        *,
        engine: Engine,
        rpc: JsonRpc,
        manifest: Manifest,
        signers: dict[str, LocalAccount],
        owner: str,
        config: WriterConfig | None = None,
    ):
        self.engine, self.rpc, self.manifest, self.owner = engine, rpc, manifest, owner
        self.config = config or WriterConfig()
        self.signers = signers
        self._accounts: dict[str, LocalAccount] = {a.address: a for a in signers.values()}  # by sender address
        self.chain_id = manifest.chain_id
        self.lease = Lease(holder="writer", chain_id=self.chain_id, owner=owner, seconds=self.config.lease_seconds)
        self.addresses = {
            name: to_checksum_address(manifest.latest(name).address) for name in {k.contract for k in KINDS.values()}
        }
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
        # Nothing of ours is in flight now: the chain's count, not a count kept across rounds, gives the
        # next nonce (one kept across a round the database failed in may be past a nonce never sent).
        self._nonces.clear()
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
        """Mined commands whose block the read model's checkpoint has passed are `indexed` (no lease
        needed: it only follows the read model, and the Celery task runs it on its own)."""
        with self.engine.begin() as conn:
            return store.mark_indexed(conn, self.chain_id)

    # --- lease -----------------------------------------------------------------------------

    def _acquire_lease(self) -> bool:
        with self.engine.begin() as conn:
            taken = self.lease.acquire(conn)
        if not taken:
            self._nonces.clear()  # another writer may use them meanwhile
        return taken

    def release_lease(self) -> None:
        with self.engine.begin() as conn:
            self.lease.release(conn)

    @contextmanager
    def _fenced(self) -> Iterator[Connection]:
        """A write transaction under the lease: it renews the lease first, or aborts with LeaseLost."""
        with self.engine.begin() as conn:
            try:
                self.lease.fence(conn)
            except LeaseLost:
                self._nonces.clear()  # another writer may use them meanwhile
                raise
            yield conn

    # --- claiming --------------------------------------------------------------------------

    def _roles_with_work(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(role for role in store.roles_with_work(conn) if role in self.signers)

    def _groups(self, role: str) -> list[list[Command]]:
        """Accepted commands of a role that may go now, as consecutive runs of one kind (one call each)."""
        with self.engine.connect() as conn:
            commands = store.claimable(conn, role, limit=self.config.batch_size * self.config.max_in_flight)
        groups: list[list[Command]] = []
        for command in commands:
            spec = KINDS[command.kind]
            last = groups[-1] if groups else None
            if last and last[0].kind == command.kind and spec.batch and len(last) < self._batch_limit(spec):
                last.append(command)
            else:
                groups.append([command])
        return groups

    @cached_property
    def _gas_cap(self) -> int:
        """gas_cap of the latest block's gas limit, read once (it changes rarely, and slowly)."""
        return gas_cap(int(self.rpc.existing_block("latest")["gasLimit"], 16))

    def _batch_limit(self, kind: Kind) -> int:
        """Commands of `kind` per call: the configured and the contract's maximum, and what fits under gas_cap."""
        most = min(self.config.batch_size, kind.max_batch)
        return items_per_transaction(self._gas_cap, BATCH_BASE_GAS, kind.gas_per_item, most)

    # --- check, sign, send -----------------------------------------------------------------

    def _check_sign_send(self, group: list[Command], *, in_flight: list[SentTransaction]) -> list[SentTransaction]:
        """Send the group's commands, failing the ones the contract refuses; returns what was sent."""
        kind = KINDS[group[0].kind]
        to = self.addresses[kind.contract]
        signer = self.signers[kind.role]
        args = [c.args for c in group]
        if kind.from_head is not None:  # a draw's reveal block: counted from the head now, not at acceptance
            head = self.rpc.block_number()
            args = [kind.at_head(a, head) for a in args]
        data, gas = encode_call(kind, args)
        gas = min(gas, self._gas_cap)  # a single call's upper bound may pass a small block's cap
        if not any(c.attempts for c in group):
            # First try: send unchecked (a check would execute the call twice on the node). If it
            # reverts, its commands come back with attempts > 0 and are checked before the next send.
            return [self._sign_and_send(signer, to, data, gas, group)]
        revert = self._check(signer.address, to, data)
        if revert is not None and in_flight:
            self._settle(in_flight)  # it may depend on a transaction still in flight: look again after it
            in_flight.clear()
            revert = self._check(signer.address, to, data)
        if revert is None:
            return [self._sign_and_send(signer, to, data, gas, group)]
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
        return self._check_sign_send(group[:half], in_flight=in_flight) + self._check_sign_send(
            group[half:], in_flight=in_flight
        )

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
        log.info("outbox: %d command(s) failed with %s", len(commands), revert)
        with self._fenced() as conn:
            store.fail(
                conn,
                [c.seq for c in commands],
                revert.name,
                ["0x" + a.hex() if isinstance(a, bytes) else str(a) for a in revert.args_],
            )

    def _next_nonce(self, address: str) -> int:
        """The sender's next nonce; it is spent only once a transaction using it is recorded (_sign_and_send)."""
        if address not in self._nonces:
            self._nonces[address] = int(self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
        return self._nonces[address]

    def _sign_and_send(
        self, signer: LocalAccount, to: str, data: bytes, gas: int, group: list[Command]
    ) -> SentTransaction:
        if self._gas_price is None:
            raise LedgerError("a transaction is signed only within a round, which reads the gas price first")
        nonce = self._next_nonce(signer.address)
        signed = signer.sign_transaction(
            {
                "chainId": self.chain_id,
                "nonce": nonce,
                "gasPrice": self._gas_price,
                "gas": gas,
                "to": HexStr(to),  # (HexStr: eth_account's type for a 0x string; the same str)
                "value": 0,
                "data": data,
            }
        )
        sent = self._record_signed(signer.address, nonce, signed, group)
        self._broadcast(sent)
        return sent

    def _record_signed(
        self, sender: str, nonce: int, signed: SignedTransaction, group: list[Command]
    ) -> SentTransaction:
        """Store a signed transaction before it is sent, and only then count its nonce as spent: if the
        database fails here, nothing was sent under that nonce, and the next transaction must take it,
        or every later one would wait behind a nonce gap for good."""
        tx_hash, raw = "0x" + signed.hash.hex(), bytes(signed.raw_transaction)
        try:
            with self._fenced() as conn:
                tx_id = store.record_signed(conn, self.chain_id, sender, nonce, tx_hash, raw, [c.seq for c in group])
        except BaseException:
            self._nonces.pop(sender, None)  # recorded or not, we cannot tell: the next round asks the chain
            raise
        self._nonces[sender] = nonce + 1
        return SentTransaction(tx_id, tx_hash, sender, nonce, raw, group)

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
        """Mined, or reverted after all (the chain moved between check and mining): back to the queue,
        whose check finds the culprit; a command that keeps reverting fails."""
        with self._fenced() as conn:
            return store.record_receipt(
                conn,
                tx_id,
                int(receipt["blockNumber"], 16),
                int(receipt["status"], 16) == 1,
                receipt["transactionHash"],
                max_attempts=MAX_REVERTED_ATTEMPTS,
            )

    def _settle_unfinished(self) -> int:
        """Transactions left `sent` by an earlier round or a crashed writer: settle them, in nonce order.
        Only the receipt lookup, the stored bytes and the contracts are needed, never the sender's key
        (it may have been rotated out of the signers since), except to fill a nonce gap."""
        with self.engine.connect() as conn:
            unsettled = store.unsettled(conn, self.chain_id)
        changed = 0
        ours = {(tx.sender, tx.nonce) for tx in unsettled}
        for tx in unsettled:
            receipt = self.rpc.call("eth_getTransactionReceipt", [tx.hash])
            if receipt is None and not self._nonce_used_elsewhere(tx):
                if not self._gap_below_filled(tx, ours):
                    continue  # it waits behind a nonce we may not fill: not sent, not waited for
                self._broadcast(tx)  # never reached the node, or the node lost it: the same bytes again
                receipt = self._wait_receipt(tx)
            if receipt is not None:
                changed += self._record_receipt(tx.id, receipt)
            else:
                changed += self._reconcile_dropped(tx)
        return changed

    def _pending_nonce(self, sender: str) -> int:
        """The node's next nonce for `sender` counting its pool: every nonce below it is held by a
        transaction, mined or pending (ours or not); nothing in the node holds this one."""
        return int(self.rpc.call("eth_getTransactionCount", [sender, "pending"]), 16)

    def _gap_below_filled(self, tx: SentTransaction, ours: set[tuple[str, int]]) -> bool:
        """Fill each nonce below `tx` that nothing will use with a stored no-op transfer (a transaction
        above such a nonce waits in the node's queue forever; a writer that counted a nonce whose
        transaction the database then lost left such gaps). A nonce is filled only when it is the
        node's `pending` nonce, so a filler never replaces a transaction pending in the node that is
        not in our store (sent with the same key outside the writer, or pending again after a reorg).
        False when a gap stays: the sender is no longer a signer, or the node refused the filler."""
        pending = self._pending_nonce(tx.sender)
        while pending < tx.nonce:
            if (tx.sender, pending) in ours:
                return False  # our own earlier transaction, not in the node: its settlement comes first
            if tx.sender not in self._accounts:
                log.error(
                    "outbox: transaction %s (nonce %d of %s) waits behind nonce %d, which nothing will use, "
                    "and %s is no longer a signer: the gap cannot be filled; the transaction stays sent",
                    tx.hash,
                    tx.nonce,
                    tx.sender,
                    pending,
                    tx.sender,
                )
                return False
            log.warning("outbox: nonce %d of %s was never sent; filling it with a no-op", pending, tx.sender)
            filler = self._sign_filler(tx.sender, pending, int(self.rpc.call("eth_gasPrice"), 16))
            self._broadcast(filler)
            receipt = self._wait_receipt(filler)
            if receipt is None:
                self._reconcile_dropped(filler)
            else:
                self._record_receipt(filler.id, receipt)
            after = self._pending_nonce(tx.sender)
            if after <= pending:
                return False
            pending = after
        return True

    def _sign_filler(self, sender: str, nonce: int, gas_price: int) -> SentTransaction:
        """A transfer of nothing to the sender itself under `nonce`, stored like any transaction (no commands)."""
        signer = self._accounts[sender]
        signed = signer.sign_transaction(
            {
                "chainId": self.chain_id,
                "nonce": nonce,
                "gasPrice": gas_price,
                "gas": 21_000,
                "to": HexStr(sender),
                "value": 0,
            }
        )
        return self._record_signed(sender, nonce, signed, [])

    def _reconcile_dropped(self, tx: SentTransaction) -> int:
        """Our nonce was used by another transaction: ask the chain which commands landed anyway."""
        with self.engine.connect() as conn:
            commands = store.submitted_commands(conn, tx.id)
        head = int(self.rpc.call("eth_blockNumber"), 16)
        landed_seqs: list[int] = []
        requeue: list[int] = []
        for seq, kind_name, args in commands:
            kind = KINDS[kind_name]
            (landed_seqs if landed(self._live_contract(kind), kind, args) else requeue).append(seq)
        with self._fenced() as conn:
            store.record_dropped(conn, tx.id, landed_seqs, requeue, head)
        log.warning(
            "outbox: transaction %s was dropped; %d command(s) had landed, %d requeued",
            tx.hash,
            len(landed_seqs),
            len(requeue),
        )
        return len(commands)

    def _live_contract(self, kind: Kind):
        return contract_at(connect(self.rpc.url), kind.contract, self.addresses[kind.contract])
