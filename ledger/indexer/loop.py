"""The indexer loop (DESIGN.md §5).

checkpoint → safe target → eth_getLogs over an adaptive range → block-hash continuity →
decode → event rows, aggregates and checkpoint in one SQL transaction → repeat.

The next range is fetched (in a thread) while the current one is written. Blocks deeper than
`reorg_limit` below the head are final by definition (a deeper reorg stops the indexer), so
only the checkpoint and each range's last header are read for them. Near the head every block
header is fetched and chained by parent hash to the checkpoint, and every log's block hash
is checked against its header before anything is written. Where a header is read, its
`logsBloom` is checked too: a block whose bloom names an indexed contract but for which the
node returned no log is fetched again (a node behind a load balancer may answer before it
has indexed the block).

Errors are sorted (ledger.core.errors): transient ones (node or database away, rate limits, a lost
lease) are retried with backoff while the loop keeps running; anything else halts it with a
named error. Both are recorded in the read model for /health and /metrics. A stop request is
honoured between batches: what is committed stays, nothing runs on afterwards.
"""

import gc
import logging
import queue
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise

from eth_bloom import BloomFilter
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tqdm import tqdm

from ledger.core.errors import ChainUnavailable, GenesisMismatch, ManifestError, ReadModelUnavailable, ReorgTooDeep, TransientError
from ledger.chain.events import decode_log, raw_log
from ledger.indexer import store
from ledger.indexer.projector import Batch
from ledger.chain.rpc import JsonRpc, RpcError
from ledger.indexer.store import Checkpoint, Header, LeaseLost
from ledger.chain.manifest import Manifest

log = logging.getLogger(__name__)

BLOOM_RETRIES = 4  # refetches of a range whose answer misses logs its blooms announce
CATCH_UP_RETRIES = 5  # consecutive transient failures `catch_up` rides out before it gives up


@dataclass(frozen=True)
class IndexerConfig:
    confirmations: int = 0
    reorg_limit: int = 64
    range_max: int = 2_000
    target_logs: int = 20_000  # logs per eth_getLogs and per transaction: fewer, larger commits rewrite fewer index pages
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


# Range refusals as nodes word them: Geth/Infura "query returned more than 10000 results",
# Besu "exceeds maximum range", Alchemy "Log response size exceeded", Erigon "too many logs".
_RANGE_REFUSAL = re.compile(r"more than|too many|too large|exceed|block range|range limit|response size|max",
                            re.IGNORECASE)


def is_range_refusal(error: RpcError) -> bool:
    return error.code == -32005 or bool(_RANGE_REFUSAL.search(error.message))


class RangeSizer:
    """Adapts the eth_getLogs block range to the log density and to the node's limits."""

    def __init__(self, maximum: int, target_logs: int):
        # Start small so the first request is quick and the pipeline fills; doubling finds the size.
        self.size, self.maximum, self.target = max(1, maximum // 256), maximum, target_logs

    def observed(self, logs: int) -> None:
        if logs > 2 * self.target:
            self.size = max(1, self.size // 2)
        elif logs < self.target // 2:
            self.size = min(self.maximum, self.size * 2)

    def refused(self, error: RpcError) -> None:
        if self.size == 1:
            raise error
        self.size = max(1, self.size // 2)


def fetch_range(rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int) -> tuple[int, list[dict]]:
    """Logs from `low` up to at most `end`, halving the range while the node refuses it as too
    large; any other error the node names is raised."""
    while True:
        high = min(end, low + sizer.size - 1)
        try:
            logs = rpc.get_logs(addresses, low, high)
        except RpcError as error:
            if not is_range_refusal(error):
                raise
            sizer.refused(error)
            continue
        sizer.observed(len(logs))
        return high, logs


def blocks_missing_logs(blocks: list[dict], logs: list[dict], addresses: list[bytes]) -> list[int]:
    """Blocks whose bloom names an indexed address though the answer has no log from them.
    (A bloom can be a false positive, so this is a reason to ask again, not proof.)"""
    answered = {raw["blockNumber"] for raw in logs}
    missing = []
    for block in blocks:
        if block["number"] not in answered:
            bloom = BloomFilter(int(block["logsBloom"], 16))
            if any(address in bloom for address in addresses):
                missing.append(int(block["number"], 16))
    return missing


def block_times(rpc: JsonRpc, logs: list[dict], known: list[dict]) -> list[tuple[int, str, int]] | None:
    """(number, hash, timestamp) of every block holding one of `logs`, reusing headers already
    read; None when a block is gone (the chain got shorter under us)."""
    blocks = {int(b["number"], 16): b for b in known}
    wanted = sorted({int(raw["blockNumber"], 16) for raw in logs})
    missing = [n for n in wanted if n not in blocks]
    for block in rpc.blocks(missing) if missing else []:
        if block is None:
            return None
        blocks[int(block["number"], 16)] = block
    return [(n, blocks[n]["hash"], int(blocks[n]["timestamp"], 16)) for n in wanted]


@dataclass(frozen=True)
class Fetched:
    """One range's logs and headers: every header near the head, only the last one below it."""

    low: int
    high: int
    logs: list[dict]
    headers: list[Header]
    complete: bool  # headers cover every block of the range
    times: list[tuple[int, str, int]]  # (number, hash, timestamp) of each block holding a log


class _Prefetcher:
    """Fetches consecutive ranges in a thread, one range ahead of the writer."""

    _DONE = object()

    def __init__(self, rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int, final: int):
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._rpc, self._addresses, self._sizer = rpc, addresses, sizer
        self._address_bytes = [bytes.fromhex(a[2:]) for a in addresses]
        self._thread = threading.Thread(target=self._run, args=(low, end, final), name="ledger-prefetch", daemon=True)
        self._thread.start()

    def _run(self, low, end, final):
        try:
            while low <= end and not self._stop.is_set():
                high, logs = fetch_range(self._rpc, self._addresses, self._sizer, low, end)
                complete = high > final
                numbers = list(range(low, high + 1)) if complete else [high]
                blocks = self._rpc.blocks(numbers)
                if any(block is None for block in blocks):  # the chain got shorter under us
                    break
                logs = self._confirmed_by_blooms(low, high, logs, blocks)
                times = block_times(self._rpc, logs, blocks)
                if times is None:
                    break
                self._put(Fetched(low, high, logs, [Header.from_rpc(b) for b in blocks], complete, times))
                low = high + 1
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _confirmed_by_blooms(self, low: int, high: int, logs: list[dict], blocks: list[dict]) -> list[dict]:
        for attempt in range(BLOOM_RETRIES + 1):
            missing = blocks_missing_logs(blocks, logs, self._address_bytes)
            if not missing:
                return logs
            if attempt == BLOOM_RETRIES:
                break
            log.warning("eth_getLogs %d-%d returned no log for blocks %s whose blooms name an indexed contract; "
                        "asking again", low, high, missing[:5])
            if self._stop.wait(0.1 * 2 ** attempt):
                return logs  # stopping: the consumer discards it
            logs = self._rpc.get_logs(self._addresses, low, high)
        log.warning("blocks %s still answer no log after %d attempts: taking their blooms for false positives",
                    missing[:5], BLOOM_RETRIES + 1)
        return logs

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _Writer:
    """Writes batches in a thread behind the decoder, so SQLite's and PostgreSQL's own work
    (which runs without the GIL) overlaps the decoding of the next range.

    Group commit: when the writer falls behind, the batches waiting for it are merged into one
    transaction, which rewrites each index page once instead of once per batch. Batches stay
    in order, and each transaction moves the checkpoint only from where the previous one left
    it (compare-and-set), so nothing queued after a failure can be written. On a stop the
    batches still waiting are dropped (the next run fetches them again), so a stop waits for
    one transaction at most.
    """

    GROUP = 4  # at most this many batches per transaction

    def __init__(self, write):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=self.GROUP)
        self._error: BaseException | None = None
        self._dropping = False
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            jobs = [self._queue.get()]
            while len(jobs) < self.GROUP and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            if None in jobs:  # close(): write what came before it, then stop
                stopping = True
                jobs = jobs[:jobs.index(None)]
            try:
                if jobs and self._error is None and not self._dropping:
                    batches, unknown, headers, previous, checkpoint = zip(*jobs)
                    self._write(Batch.merge(batches), [h for hs in headers for h in hs], previous[0], checkpoint[-1],
                                sum(unknown))
            except BaseException as exc:  # handed to the producer by flush()
                self._error = exc
            finally:
                for _ in range(len(jobs) + stopping):
                    self._queue.task_done()

    def submit(self, batch: Batch, unknown: int, headers: list[Header], previous: Header, checkpoint: Header) -> None:
        self._raise_failure()
        self._queue.put((batch, unknown, headers, previous, checkpoint))

    def drop_waiting(self) -> None:
        """Write no batch that is not being written already (a stop)."""
        self._dropping = True

    def flush(self) -> None:
        """Wait until every submitted batch is committed (or dropped); raise what failed."""
        self._queue.join()
        self._raise_failure()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _raise_failure(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class _LeaseKeeper:
    """Renews the lease in a thread while a poll runs, so a long fetch (or a slow node
    answering the header batches) never lets a standby take over mid-poll. The writes fence
    the lease themselves; this only keeps it alive."""

    def __init__(self, engine: Engine, chain_id: int, owner: str, ttl: float):
        self._engine, self._chain_id, self._owner, self._ttl = engine, chain_id, owner, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-lease", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(max(self._ttl / 3, 0.05)):
            try:
                with self._engine.begin() as conn:
                    if not store.renew_lease(conn, self._chain_id, self._owner, self._ttl):
                        return  # lost: the next write's fence stops the poll
            except DBAPIError as exc:  # the poll itself meets the same database and reports it
                log.debug("lease renewal failed: %s", exc)

    def __enter__(self) -> "_LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


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

    def __init__(self, *, engine: Engine, rpc: JsonRpc, manifest: Manifest, config: IndexerConfig, owner: str,
                 rebuild: bool = False, progress: bool = False):
        self.engine, self.rpc, self.manifest, self.config, self.owner = engine, rpc, manifest, config, owner
        self.chain_id = manifest.chain_id
        self.contract_of = {c.address.lower(): c.name for c in manifest.contracts}
        self.addresses = list(self.contract_of)
        self.sizer = RangeSizer(config.range_max, config.target_logs)
        self.rebuild, self.progress = rebuild, progress
        self.stop = threading.Event()  # set (e.g. by SIGTERM) to stop between batches
        self.last_reorg: Reorg | None = None
        self._prepared = False
        # commitment -> enterprise for commitments this process recorded, which may still be
        # in the writer's queue; older ones are looked up in SQL
        self._enterprises: dict[str, str] = {}

    # -- one poll ---------------------------------------------------------------------------

    def run_once(self) -> int | None:
        """Index what is safe to index now. Returns the events written, or None while standby.
        The outcome is recorded in the read model: a good poll, or the error (a halt unless transient)."""
        try:
            try:
                with self.engine.begin() as conn:
                    if not store.acquire_lease(conn, self.chain_id, self.owner, self.config.lease_seconds):
                        return None
                with _LeaseKeeper(self.engine, self.chain_id, self.owner, self.config.lease_seconds):
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
        with self.engine.connect() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
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
        genesis = self.rpc.block(0)["hash"]
        with self.engine.begin() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
            if checkpoint and checkpoint.genesis_hash != genesis:
                if not self.rebuild:
                    raise GenesisMismatch(
                        f"chain {self.chain_id}: the read model was built on genesis {checkpoint.genesis_hash}, "
                        f"the node's genesis is {genesis}; rebuild it with `ledger index --rebuild`"
                    )
                log.warning("chain %s: genesis changed; wiping the read model to rebuild it", self.chain_id)
                store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
                store.wipe(conn, self.chain_id, checkpoint)
                checkpoint = None
            if checkpoint is None:
                first = Header.from_rpc(self.rpc.block(max(0, self.manifest.start_block - 1)))
                store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
                checkpoint = store.start(conn, self.chain_id, genesis, first, self.addresses)
        self._add_new_contracts(checkpoint)
        self._prepared = True

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
            log.warning("chain %s: backfilling %s from block %d up to the checkpoint %d",
                        self.chain_id, added, start, checkpoint.block_number)
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
            store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
            store.add_addresses(conn, batch, checkpoint, self.addresses, unknown)
        self._enterprises.clear()

    def _index(self, checkpoint: Checkpoint, end: int, final: int) -> int:
        """Index blocks after the checkpoint up to `end`; blocks up to `final` need no header chain."""
        with _fewer_collections():
            return self._index_ranges(checkpoint, end, final)

    def _index_ranges(self, checkpoint: Checkpoint, end: int, final: int) -> int:
        written, previous = 0, Header(checkpoint.block_number, checkpoint.block_hash, "")
        bar = tqdm(total=end - previous.number, unit="block", disable=not self.progress, dynamic_ncols=True,
                   desc=f"chain {self.chain_id}")
        started = time.monotonic()
        fetcher = _Prefetcher(self.rpc, self.addresses, self.sizer, previous.number + 1, end, final)
        writer = _Writer(self._write)
        try:
            for fetched in fetcher:
                if self.stop.is_set():
                    writer.drop_waiting()  # the transaction under way commits; the rest is fetched again next run
                    break
                if fetched.complete:
                    if fetched.headers[0].parent_hash != previous.hash:
                        if previous.number == checkpoint.block_number:
                            self._rewind(checkpoint, detected_by="parent_hash")
                        break  # otherwise the chain moved under the prefetch: the next poll sees it
                    if not self._consistent(fetched):
                        break  # a reorg while we read: retry from the new checkpoint
                if len(self._enterprises) > 100_000:
                    writer.flush()  # everything recorded so far is in SQL now
                    self._enterprises.clear()
                batch, unknown = self._build(fetched.logs, fetched.times)
                writer.submit(batch, unknown, fetched.headers, previous, fetched.headers[-1])
                written += batch.events + unknown
                bar.update(fetched.high - previous.number)
                bar.set_postfix(events=written, events_per_s=int(written / max(time.monotonic() - started, 1e-9)))
                previous = fetched.headers[-1]
            writer.flush()
        finally:
            writer.close()
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
            raw_rows.append((self.chain_id, entry.block_number, entry.log_index, entry.block_hash,
                             entry.transaction_hash, contract, entry.address, None, None, entry.topics, entry.data))
        if unknown:
            log.warning("chain %s: %d logs with a topic no ABI here declares, kept raw", self.chain_id, len(unknown))
        return batch, len(unknown)

    def _write(self, batch: Batch, headers: list[Header], previous: Header, checkpoint: Header,
               unknown: int = 0) -> None:
        """Rows, aggregates, block hashes and the checkpoint in one transaction, under the lease."""
        with self.engine.begin() as conn:
            store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
            store.write_batch(conn, batch, headers, previous, checkpoint, keep_blocks=self.config.reorg_limit + 1,
                              unknown=unknown)

    def _rewind(self, checkpoint: Checkpoint, *, detected_by: str) -> None:
        """Find the common ancestor and delete everything above it, or stop if it is too deep."""
        with self.engine.connect() as conn:
            stored = store.recent_headers(conn, self.chain_id, self.config.reorg_limit + 1)
        canonical = self.rpc.blocks([h.number for h in stored])
        ancestor = next((h for h, block in zip(stored, canonical) if block and block["hash"] == h.hash), None)
        if ancestor is None or checkpoint.block_number - ancestor.number > self.config.reorg_limit:
            raise ReorgTooDeep(
                f"chain {self.chain_id}: block {checkpoint.block_number} ({checkpoint.block_hash}) is no longer "
                f"canonical and no common ancestor lies within the reorg limit of {self.config.reorg_limit} blocks; "
                "the indexer stopped rather than diverge — investigate the node, then `ledger reindex`"
            )
        with self.engine.begin() as conn:
            store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
            store.rewind(conn, self.chain_id, checkpoint, ancestor)
        self._enterprises.clear()  # may name commitments recorded only on the orphaned branch
        self.last_reorg = Reorg(checkpoint.block_number - ancestor.number, ancestor.number, detected_by)
        log.warning("chain %s: reorg of depth %d detected by %s; rewound to block %d",
                    self.chain_id, self.last_reorg.depth, detected_by, ancestor.number)

    def wipe(self) -> None:
        """Drop this chain's read model to rebuild it (`ledger reindex`): under the lease, and
        only if no other indexer moved the checkpoint meanwhile."""
        with self.engine.begin() as conn:
            if not store.acquire_lease(conn, self.chain_id, self.owner, self.config.lease_seconds):
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
        with self.engine.connect() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
        return checkpoint.block_number >= self.safe_target(self.rpc.block_number())

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
            store.release_lease(conn, self.chain_id, self.owner)
