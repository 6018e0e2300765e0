"""The indexer loop (DESIGN.md §5).

checkpoint → safe target → eth_getLogs over an adaptive range → block-hash continuity →
decode → event rows, aggregates and checkpoint in one SQL transaction → repeat.

The next range is fetched (in a thread) while the current one is written. Blocks deeper than
`reorg_limit` below the head are final by definition (a deeper reorg stops the indexer), so
only the checkpoint and each range's last header are read for them. Near the head every block
header is fetched and chained by parent hash to the checkpoint, and every log's block hash
is checked against its header before anything is written.
"""

import gc
import logging
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Engine
from tqdm import tqdm

from ledger.errors import ChainUnavailable, GenesisMismatch, ManifestError, ReorgTooDeep
from ledger.events import decode_log
from ledger.indexer import store
from ledger.indexer.projector import Batch
from ledger.rpc import JsonRpc, RpcError
from ledger.indexer.store import Checkpoint, Header, LeaseLost
from ledger.manifest import Manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexerConfig:
    confirmations: int = 0
    reorg_limit: int = 64
    range_max: int = 2_000
    target_logs: int = 20_000  # logs per eth_getLogs and per transaction: fewer, larger commits rewrite fewer index pages
    use_finalized: bool = False
    lease_seconds: float = 15.0
    poll_seconds: float = 1.0


@dataclass(frozen=True)
class Reorg:
    depth: int
    ancestor: int
    detected_by: str  # "parent_hash" or "block_hash"


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
    """Logs from `low` up to at most `end`, halving the range while the node refuses it."""
    while True:
        high = min(end, low + sizer.size - 1)
        try:
            logs = rpc.get_logs(addresses, low, high)
        except RpcError as error:  # e.g. "query returned more than 10000 results"
            sizer.refused(error)
            continue
        sizer.observed(len(logs))
        return high, logs


@dataclass(frozen=True)
class Fetched:
    """One range's logs and headers: every header near the head, only the last one below it."""

    low: int
    high: int
    logs: list[dict]
    headers: list[Header]
    complete: bool  # headers cover every block of the range


class _Prefetcher:
    """Fetches consecutive ranges in a thread, one range ahead of the writer."""

    _DONE = object()

    def __init__(self, rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int, final: int):
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(rpc, addresses, sizer, low, end, final), daemon=True)
        self._thread.start()

    def _run(self, rpc, addresses, sizer, low, end, final):
        try:
            while low <= end and not self._stop.is_set():
                high, logs = fetch_range(rpc, addresses, sizer, low, end)
                complete = high > final
                numbers = list(range(low, high + 1)) if complete else [high]
                blocks = rpc.blocks(numbers)
                if any(block is None for block in blocks):  # the chain got shorter under us
                    break
                self._put(Fetched(low, high, logs, [Header.from_rpc(b) for b in blocks], complete))
                low = high + 1
            self._put(self._DONE)
        except Exception as exc:  # handed to the consumer, which raises it
            self._put(exc)

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
            if isinstance(item, Exception):
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
    it (compare-and-set), so nothing queued after a failure can be written.
    """

    GROUP = 4  # at most this many batches per transaction

    def __init__(self, write):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=self.GROUP)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
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
                if jobs and self._error is None:
                    batches, headers, previous, checkpoint = zip(*jobs)
                    self._write(Batch.merge(batches), [h for hs in headers for h in hs], previous[0], checkpoint[-1])
            except BaseException as exc:  # handed to the producer by flush()
                self._error = exc
            finally:
                for _ in range(len(jobs) + stopping):
                    self._queue.task_done()

    def submit(self, batch: Batch, headers: list[Header], previous: int, checkpoint: Header) -> None:
        self._raise_failure()
        self._queue.put((batch, headers, previous, checkpoint))

    def flush(self) -> None:
        """Wait until every submitted batch is committed; raise what failed."""
        self._queue.join()
        self._raise_failure()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _raise_failure(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


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
    """One chain's indexer. `run_once` is one poll; `follow` polls until stopped."""

    def __init__(self, *, engine: Engine, rpc: JsonRpc, manifest: Manifest, config: IndexerConfig, owner: str,
                 rebuild: bool = False, progress: bool = False):
        self.engine, self.rpc, self.manifest, self.config, self.owner = engine, rpc, manifest, config, owner
        self.chain_id = manifest.chain_id
        self.contract_of = {c.address.lower(): c.name for c in manifest.contracts}
        self.addresses = list(self.contract_of)
        self.sizer = RangeSizer(config.range_max, config.target_logs)
        self.rebuild, self.progress = rebuild, progress
        self.last_reorg: Reorg | None = None
        self._prepared = False
        # commitment -> enterprise for commitments this process recorded, which may still be
        # in the writer's queue; older ones are looked up in SQL
        self._enterprises: dict[str, str] = {}

    # -- one poll ---------------------------------------------------------------------------

    def run_once(self) -> int | None:
        """Index what is safe to index now. Returns the events written, or None while standby."""
        with self.engine.begin() as conn:
            if not store.acquire_lease(conn, self.chain_id, self.owner, self.config.lease_seconds):
                return None
        if not self._prepared:
            self._prepare()
        with self.engine.connect() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
        head = self.rpc.block_number()
        safe = head - self.config.confirmations
        if self.config.use_finalized and (finalized := self.rpc.finalized_block_number()) is not None:
            safe = min(safe, finalized)
        if checkpoint.block_number >= safe or checkpoint.block_number < head - self.config.reorg_limit:
            # Idle at the tip, or about to backfill: the checkpoint itself must still be canonical.
            block = self.rpc.block(checkpoint.block_number)
            if block is None or block["hash"] != checkpoint.block_hash:
                self._rewind(checkpoint, detected_by="block_hash")
                return 0
        if checkpoint.block_number >= safe:
            return 0
        return self._index(checkpoint, safe, final=head - self.config.reorg_limit)

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
                store.wipe(conn, self.chain_id)
                checkpoint = None
            if checkpoint is None:
                first = Header.from_rpc(self.rpc.block(max(0, self.manifest.start_block - 1)))
                store.start(conn, self.chain_id, genesis, first)
        self._prepared = True

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
                batch = self._build(fetched.logs)
                writer.submit(batch, fetched.headers, previous.number, fetched.headers[-1])
                written += batch.events
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

    def _build(self, logs: list[dict]) -> Batch:
        """Decode a range's logs into rows (no writes)."""
        decoded = [(self.contract_of[raw["address"].lower()], entry) for raw in logs if (entry := decode_log(raw))]
        batch = Batch(self.chain_id)
        missing = Batch.needs_enterprise(decoded) - self._enterprises.keys()
        if missing:
            with self.engine.connect() as conn:
                self._enterprises.update(store.enterprises_of(conn, self.chain_id, missing))
        for contract, entry in decoded:
            batch.add(contract, entry, self._enterprises)
        self._enterprises.update(batch.recorded)
        return batch

    def _write(self, batch: Batch, headers: list[Header], previous: int, checkpoint: Header) -> None:
        """Rows, aggregates, block hashes and the checkpoint in one transaction, under the lease."""
        with self.engine.begin() as conn:
            store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
            store.write_batch(conn, batch, headers, previous, checkpoint, keep_blocks=self.config.reorg_limit + 1)

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
            store.rewind(conn, self.chain_id, ancestor)
        self._enterprises.clear()  # may name commitments recorded only on the orphaned branch
        self.last_reorg = Reorg(checkpoint.block_number - ancestor.number, ancestor.number, detected_by)
        log.warning("chain %s: reorg of depth %d detected by %s; rewound to block %d",
                    self.chain_id, self.last_reorg.depth, detected_by, ancestor.number)

    # -- loops ------------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Poll until nothing is left to index (for tests, benchmarks and `ledger index`)."""
        total = 0
        while True:
            written = self.run_once()
            if written is None:
                raise LeaseLost(f"chain {self.chain_id}: another indexer holds the lease")
            if written == 0 and self._at_safe_tip():
                return total
            total += written

    def _at_safe_tip(self) -> bool:
        with self.engine.connect() as conn:
            checkpoint = store.load_checkpoint(conn, self.chain_id)
        return checkpoint.block_number >= self.rpc.block_number() - self.config.confirmations

    def follow(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; standby while another indexer holds the lease."""
        backoff = self.config.poll_seconds
        while not stop.is_set():
            try:
                written = self.run_once()
                backoff = self.config.poll_seconds
            except (ChainUnavailable, LeaseLost) as exc:
                log.warning("%s; retrying in %.1f s", exc, backoff)
                written, backoff = None, min(backoff * 2, 30)
            if not written:
                stop.wait(backoff)

    def release(self) -> None:
        with self.engine.begin() as conn:
            store.release_lease(conn, self.chain_id, self.owner)
