"""The indexer loop (DESIGN.md §5).

checkpoint → safe target → eth_getLogs over an adaptive range (ranges) → block-hash continuity
(fetch) → decode → event rows, aggregates and checkpoint in one SQL transaction (store) → repeat.

The next range is fetched in one thread while the current one is decoded, and decoded batches
are committed in another (pipeline). Blocks deeper than `reorg_limit` below the head are final
by definition (a deeper reorg stops the indexer), so only the checkpoint and each range's last
header are read for them. Near the head every block header is fetched and chained by parent hash
to the checkpoint, and every log's block hash is checked against its header before anything is
written. Every write fences the indexer's lease (ledger.db.lease).

Errors are sorted (ledger.core.errors): transient ones (node or database away, rate limits, a lost
lease) are retried with backoff while the loop keeps running; anything else halts it with a
named error. Both are recorded in the read model for /health and /metrics. A stop request is
honoured between batches: what is committed stays, nothing runs on afterwards.
"""

import gc
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tqdm import tqdm

from ledger.chain.events import decode_log, raw_log
from ledger.chain.manifest import Manifest
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import (
    ChainUnavailable,
    GenesisMismatch,
    LeaseLost,
    LedgerError,
    ManifestError,
    ReadModelUnavailable,
    ReorgTooDeep,
    TransientError,
)
from ledger.db.lease import Lease, LeaseKeeper
from ledger.indexer import store
from ledger.indexer.fetch import Fetched, block_times
from ledger.indexer.pipeline import Committer, Prefetcher
from ledger.indexer.projector import Batch
from ledger.indexer.ranges import RangeSizer, fetch_range
from ledger.indexer.store import Checkpoint, Header

log = logging.getLogger(__name__)

CATCH_UP_RETRIES = 5  # consecutive transient failures `catch_up` rides out before it gives up


@dataclass(frozen=True)
class IndexerConfig:
    confirmations: int = 0
    reorg_limit: int = 64
    range_max: int = 2_000
    target_logs: int = (
        20_000  # logs per eth_getLogs and per transaction: fewer, larger commits rewrite fewer index pages
    )
    use_finalized: bool = False
    lease_seconds: float = 15.0
    poll_seconds: float = 1.0
    retry_max_seconds: float = 30.0


@dataclass(frozen=True)
class Reorg:
    depth: int
    ancestor: int
    detected_by: str  # "parent_hash" or "block_hash"


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)


def _unavailable(exc: DBAPIError) -> ReadModelUnavailable | None:
    """A database that went away (or refused us) is transient; other SQL errors are not."""
    if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
        first_line = str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else ""
        return ReadModelUnavailable(f"read model unavailable: {exc.__class__.__name__}: {first_line}")
    return None


@contextmanager
def _fewer_collections():
    """A backfill allocates millions of short-lived tuples and dicts, none of them in cycles;
    with the default thresholds the collector rescans them again and again (measured: a
    quarter of the backfill time)."""
    saved = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


class Indexer:
    """One chain's indexer. `run_once` is one poll; `follow` polls until `stop` is set;
    `catch_up` polls until the safe head is indexed."""

    def __init__(
        self,
        *,
        engine: Engine,
        rpc: JsonRpc,
        manifest: Manifest,
        config: IndexerConfig,
        owner: str,
        rebuild: bool = False,
        progress: bool = False,
    ):
        self.engine, self.rpc, self.manifest, self.config, self.owner = engine, rpc, manifest, config, owner
        self.chain_id = manifest.chain_id
        self.contract_of = {c.address.lower(): c.name for c in manifest.contracts}
        self.addresses = list(self.contract_of)
        self.sizer = RangeSizer(config.range_max, config.target_logs)
        self.lease = Lease(holder="indexer", chain_id=self.chain_id, owner=owner, seconds=config.lease_seconds)
        self.rebuild, self.progress = rebuild, progress
        self.stop = threading.Event()  # set (e.g. by SIGTERM) to stop between batches
        self.last_reorg: Reorg | None = None
        self._prepared = False
        # commitment -> enterprise for commitments this process recorded, which may still be
        # in the committer's queue; older ones are looked up in SQL
        self._enterprises: dict[str, str] = {}

    # -- one poll ---------------------------------------------------------------------------

    def run_once(self) -> int | None:
        """Index what is safe to index now. Returns the events written, or None while standby.
        The outcome is recorded in the read model: a good poll, or the error (a halt unless transient)."""
        try:
            try:
                with self.engine.begin() as conn:
                    if not self.lease.acquire(conn):
                        return None
                with LeaseKeeper(self.engine, self.lease):
                    written, head = self._poll()
                with self.engine.begin() as conn:
                    store.record_poll(conn, self.chain_id, head)
                return written
            except DBAPIError as exc:
                if (unavailable := _unavailable(exc)) is None:
                    raise
                raise unavailable from exc
        except BaseException as exc:
            self._record_error(exc)
            raise

    def _record_error(self, exc: BaseException) -> None:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return
        halt = not is_transient(exc)
        kind = exc.__class__.__name__
        try:
            with self.engine.begin() as conn:
                store.record_error(conn, self.chain_id, kind, str(exc)[:1000], halt=halt)
        except DBAPIError as db_error:  # the database may be what failed
            log.warning("could not record %s in the read model: %s", kind, db_error.__class__.__name__)

    def safe_target(self, head: int) -> int:
        """The newest block safe to index: `confirmations` behind the head, and no further than
        the node's `finalized` block when so configured."""
        safe = head - self.config.confirmations
        if self.config.use_finalized and (finalized := self.rpc.finalized_block_number()) is not None:
            safe = min(safe, finalized)
        return safe

    def _poll(self) -> tuple[int, int]:
        if not self._prepared:
            self._prepare()
        checkpoint = self._checkpoint()
        head = self.rpc.block_number()
        safe = self.safe_target(head)
        if checkpoint.block_number >= safe or checkpoint.block_number < head - self.config.reorg_limit:
            # Idle at the tip, or about to backfill: the checkpoint itself must still be canonical.
            block = self.rpc.block(checkpoint.block_number)
            if block is None or block["hash"] != checkpoint.block_hash:
                self._rewind(checkpoint, detected_by="block_hash")
                return 0, head
        if checkpoint.block_number >= safe:
            return 0, head
        return self._index(checkpoint, safe, final=head - self.config.reorg_limit), head

    def _prepare(self) -> None:
        if (chain_id := self.rpc.chain_id()) != self.chain_id:
            raise ManifestError(f"the node serves chain {chain_id}, the manifest chain {self.chain_id}")
        genesis = self.rpc.existing_block(0)["hash"]
        with self.engine.begin() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
            if checkpoint and checkpoint.genesis_hash != genesis:
                if not self.rebuild:
                    raise self._genesis_mismatch(checkpoint, genesis)
                log.warning("chain %s: genesis changed; wiping the read model to rebuild it", self.chain_id)
                self.lease.fence(conn)
                store.wipe(conn, self.chain_id, checkpoint)
                checkpoint = None
            if checkpoint is None:
                first = Header.from_rpc(self.rpc.existing_block(max(0, self.manifest.start_block - 1)))
                self.lease.fence(conn)
                checkpoint = store.start(conn, self.chain_id, genesis, first, self.addresses)
        self._add_new_contracts(checkpoint)
        self._prepared = True

    def _genesis_mismatch(self, checkpoint: Checkpoint, genesis: str) -> GenesisMismatch:
        return GenesisMismatch(
            f"chain {self.chain_id}: the read model was built on genesis {checkpoint.genesis_hash}, "
            f"the node's genesis is {genesis}; rebuild it with `ledger index --rebuild`"
        )

    def _add_new_contracts(self, checkpoint: Checkpoint) -> None:
        """Contracts the manifest lists but the read model has not indexed yet are backfilled
        from their deployment up to the checkpoint before the loop moves on."""
        indexed = checkpoint.addresses if checkpoint.addresses is not None else frozenset(self.addresses)
        if dropped := indexed - set(self.addresses):
            raise ManifestError(
                f"chain {self.chain_id}: the read model indexes {sorted(dropped)}, which the manifest no longer "
                "lists; restore the manifest, or rebuild the read model with `ledger reindex`"
            )
        added = [a for a in self.addresses if a not in indexed]
        if not added and checkpoint.addresses is not None:
            return
        batch, unknown = Batch(self.chain_id), 0
        start = min((c.deployed_block for c in self.manifest.contracts if c.address.lower() in added), default=None)
        if start is not None and start <= checkpoint.block_number:
            log.warning(
                "chain %s: backfilling %s from block %d up to the checkpoint %d",
                self.chain_id,
                added,
                start,
                checkpoint.block_number,
            )
            sizer, low, logs = RangeSizer(self.config.range_max, self.config.target_logs), start, []
            while low <= checkpoint.block_number:
                high, found = fetch_range(self.rpc, added, sizer, low, checkpoint.block_number)
                logs.extend(found)
                low = high + 1
            times = block_times(self.rpc, logs, [])
            if times is None:
                raise ChainUnavailable(f"chain {self.chain_id}: a block of the backfilled contracts disappeared")
            batch, unknown = self._build(logs, times)
        with self.engine.begin() as conn:
            self.lease.fence(conn)
            store.add_addresses(conn, batch, checkpoint, self.addresses, unknown)
        self._enterprises.clear()

    def _index(self, checkpoint: Checkpoint, end: int, final: int) -> int:
        """Index blocks after the checkpoint up to `end`; blocks up to `final` need no header chain."""
        with _fewer_collections():
            return self._index_ranges(checkpoint, end, final)

    def _index_ranges(self, checkpoint: Checkpoint, end: int, final: int) -> int:
        written, previous = 0, Header(checkpoint.block_number, checkpoint.block_hash, "")
        bar = tqdm(
            total=end - previous.number,
            unit="block",
            disable=not self.progress,
            dynamic_ncols=True,
            desc=f"chain {self.chain_id}",
        )
        started = time.monotonic()
        fetcher = Prefetcher(self.rpc, self.addresses, self.sizer, previous.number + 1, end, final)
        committer = Committer(self._write)
        try:
            for fetched in fetcher:
                if self.stop.is_set():
                    committer.drop_waiting()  # the transaction under way commits; the rest is fetched again next run
                    break
                if fetched.complete:
                    if fetched.headers[0].parent_hash != previous.hash:
                        if previous.number == checkpoint.block_number:
                            self._rewind(checkpoint, detected_by="parent_hash")
                        break  # otherwise the chain moved under the prefetch: the next poll sees it
                    if not self._consistent(fetched):
                        break  # a reorg while we read: retry from the new checkpoint
                if len(self._enterprises) > 100_000:
                    committer.flush()  # everything recorded so far is in SQL now
                    self._enterprises.clear()
                batch, unknown = self._build(fetched.logs, fetched.times)
                committer.submit(batch, unknown, fetched.headers, previous, fetched.headers[-1])
                written += batch.events + unknown
                bar.update(fetched.high - previous.number)
                bar.set_postfix(events=written, events_per_s=int(written / max(time.monotonic() - started, 1e-9)))
                previous = fetched.headers[-1]
            committer.flush()
        finally:
            committer.close()
            fetcher.close()
            bar.close()
        return written

    @staticmethod
    def _consistent(fetched: Fetched) -> bool:
        """Headers chained by parent hash, and every log from the block its header names."""
        headers = fetched.headers
        if any(child.parent_hash != parent.hash for parent, child in pairwise(headers)):
            return False
        hashes = {h.number: h.hash for h in headers}
        return all(hashes[int(raw["blockNumber"], 16)] == raw["blockHash"] for raw in fetched.logs)

    def _build(self, logs: list[dict], times: list[tuple[int, str, int]]) -> tuple[Batch, int]:
        """Decode a range's logs into rows (no writes), with the times of their blocks. Logs with
        a topic no ABI here declares are kept raw; returns the batch and how many of those it holds."""
        decoded, unknown = [], []
        for raw in logs:
            contract = self.contract_of[raw["address"].lower()]
            if entry := decode_log(raw):
                decoded.append((contract, entry))
            else:
                unknown.append((contract, raw_log(raw)))
        batch = Batch(self.chain_id)
        batch.rows["block_times"] = [(self.chain_id, *time) for time in times]
        missing = Batch.needs_enterprise(decoded) - self._enterprises.keys()
        if missing:
            with self.engine.connect() as conn:
                self._enterprises.update(store.enterprises_of(conn, self.chain_id, missing))
        for contract, entry in decoded:
            batch.add(contract, entry, self._enterprises)
        self._enterprises.update(batch.recorded)
        raw_rows = batch.rows["raw_events"]
        for contract, entry in unknown:
            raw_rows.append(
                (
                    self.chain_id,
                    entry.block_number,
                    entry.log_index,
                    entry.block_hash,
                    entry.transaction_hash,
                    contract,
                    entry.address,
                    None,
                    None,
                    entry.topics,
                    entry.data,
                )
            )
        if unknown:
            log.warning("chain %s: %d logs with a topic no ABI here declares, kept raw", self.chain_id, len(unknown))
        return batch, len(unknown)

    def _write(
        self, batch: Batch, headers: list[Header], previous: Header, checkpoint: Header, unknown: int = 0
    ) -> None:
        """Rows, aggregates, block hashes and the checkpoint in one transaction, under the lease."""
        with self.engine.begin() as conn:
            self.lease.fence(conn)
            store.write_batch(
                conn, batch, headers, previous, checkpoint, keep_blocks=self.config.reorg_limit + 1, unknown=unknown
            )

    def _rewind(self, checkpoint: Checkpoint, *, detected_by: str) -> None:
        """Find the common ancestor and delete everything above it, or stop if it is too deep."""
        with self.engine.connect() as conn:
            stored = store.recent_headers(conn, self.chain_id, self.config.reorg_limit + 1)
        canonical = self.rpc.blocks([h.number for h in stored])
        ancestor = next((h for h, block in zip(stored, canonical) if block and block["hash"] == h.hash), None)
        if ancestor is None or checkpoint.block_number - ancestor.number > self.config.reorg_limit:
            if (genesis := self.rpc.existing_block(0)["hash"]) != checkpoint.genesis_hash:
                raise self._genesis_mismatch(checkpoint, genesis)  # a reset chain (a new node), not a deep reorg
            raise ReorgTooDeep(
                f"chain {self.chain_id}: block {checkpoint.block_number} ({checkpoint.block_hash}) is no longer "
                f"canonical and no common ancestor lies within the reorg limit of {self.config.reorg_limit} blocks; "
                "the indexer stopped rather than diverge — investigate the node, then `ledger reindex`"
            )
        with self.engine.begin() as conn:
            self.lease.fence(conn)
            store.rewind(conn, self.chain_id, checkpoint, ancestor)
        self._enterprises.clear()  # may name commitments recorded only on the orphaned branch
        self.last_reorg = Reorg(checkpoint.block_number - ancestor.number, ancestor.number, detected_by)
        log.warning(
            "chain %s: reorg of depth %d detected by %s; rewound to block %d",
            self.chain_id,
            self.last_reorg.depth,
            detected_by,
            ancestor.number,
        )

    def wipe(self) -> None:
        """Drop this chain's read model to rebuild it (`ledger reindex`): under the lease, and
        only if no other indexer moved the checkpoint meanwhile."""
        with self.engine.begin() as conn:
            if not self.lease.acquire(conn):
                raise LeaseLost(f"chain {self.chain_id}: another indexer holds the lease; stop it first")
            store.wipe(conn, self.chain_id, store.load_checkpoint(conn, self.chain_id))
        self._prepared = False
        self._enterprises.clear()

    # -- loops ------------------------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        """The wait after the n-th transient failure in a row: the poll interval, doubling."""
        return min(self.config.poll_seconds * 2 ** (failures - 1), self.config.retry_max_seconds)

    def catch_up(self) -> int:
        """Poll until the safe target is indexed (for tests, benchmarks and `ledger index`), or
        until `stop` is set. Rides out a few transient errors in a row; raises the rest."""
        total, failures = 0, 0
        while not self.stop.is_set():
            try:
                written = self.run_once()
            except TransientError as exc:
                failures += 1
                if failures > CATCH_UP_RETRIES:
                    raise
                log.warning("%s; retrying in %.1f s", exc, self._backoff(failures))
                self.stop.wait(self._backoff(failures))
                continue
            failures = 0
            if written is None:
                raise LeaseLost(f"chain {self.chain_id}: another indexer holds the lease")
            if written == 0 and self._at_safe_target():
                return total
            total += written
        return total

    def _at_safe_target(self) -> bool:
        """The same target `run_once` indexes up to (finalized tag included)."""
        return self._checkpoint().block_number >= self.safe_target(self.rpc.block_number())

    def _checkpoint(self) -> Checkpoint:
        """The chain's checkpoint, which _prepare made sure of."""
        with self.engine.connect() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
        if checkpoint is None:
            raise LedgerError(f"chain {self.chain_id}: the read model has no checkpoint (wiped under the indexer?)")
        return checkpoint

    def follow(self, stop: threading.Event | None = None) -> None:
        """Poll until `stop` is set; standby while another indexer holds the lease. Transient
        errors are retried with a doubling wait; any other error halts (raises)."""
        if stop is not None:
            self.stop = stop
        failures = 0
        while not self.stop.is_set():
            try:
                written = self.run_once()
            except TransientError as exc:
                failures += 1
                log.warning("%s; retrying in %.1f s", exc, self._backoff(failures))
                self.stop.wait(self._backoff(failures))
                continue
            failures = 0
            if not written:
                self.stop.wait(self.config.poll_seconds)

    def release(self) -> None:
        with self.engine.begin() as conn:
            self.lease.release(conn)
