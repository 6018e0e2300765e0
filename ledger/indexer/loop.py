"""The indexer loop (DESIGN.md §5).

checkpoint → safe target → eth_getLogs over an adaptive range → block-hash continuity →
decode → event rows, aggregates and checkpoint in one SQL transaction → repeat.

Blocks deeper than `reorg_limit` below the head are final by definition (a deeper reorg stops
the indexer), so a backfill over them is pipelined: the next range is fetched while the
current one is written. Near the head every block header is fetched and chained by parent
hash, and every log's block hash is checked against it.
"""

import logging
import queue
import threading
import time
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Engine
from tqdm import tqdm

from ledger.errors import ChainUnavailable, GenesisMismatch, ManifestError, ReorgTooDeep
from ledger.events import decode_log
from ledger.indexer import store
from ledger.indexer.projector import Batch
from ledger.indexer.rpc import JsonRpc, RpcError
from ledger.indexer.store import Checkpoint, Header, LeaseLost
from ledger.manifest import Manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexerConfig:
    confirmations: int = 0
    reorg_limit: int = 64
    range_max: int = 2_000
    target_logs: int = 5_000  # the adaptive range aims at about this many logs per eth_getLogs
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
        self.size, self.maximum, self.target = max(1, maximum // 32), maximum, target_logs

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


class _Prefetcher:
    """Fetches consecutive final ranges in a thread, one range ahead of the writer."""

    _DONE = object()

    def __init__(self, rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int):
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(rpc, addresses, sizer, low, end), daemon=True)
        self._thread.start()

    def _run(self, rpc, addresses, sizer, low, end):
        try:
            while low <= end and not self._stop.is_set():
                high, logs = fetch_range(rpc, addresses, sizer, low, end)
                header = Header.from_rpc(rpc.block(high))
                self._put((low, high, logs, header))
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
        final_end = min(safe, head - self.config.reorg_limit)
        if checkpoint.block_number < final_end:
            return self._backfill(checkpoint, final_end)
        return self._follow_tip(checkpoint, safe)

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

    def _backfill(self, checkpoint: Checkpoint, end: int) -> int:
        written, previous = 0, checkpoint.block_number
        bar = tqdm(total=end - previous, unit="block", disable=not self.progress, dynamic_ncols=True,
                   desc=f"chain {self.chain_id}")
        started = time.monotonic()
        fetcher = _Prefetcher(self.rpc, self.addresses, self.sizer, previous + 1, end)
        try:
            for _low, high, logs, header in fetcher:
                written += self._commit(logs, [header], previous, header)
                bar.update(high - previous)
                bar.set_postfix(events=written, events_per_s=int(written / max(time.monotonic() - started, 1e-9)))
                previous = high
        finally:
            fetcher.close()
            bar.close()
        return written

    def _follow_tip(self, checkpoint: Checkpoint, safe: int) -> int:
        high = min(safe, checkpoint.block_number + self.sizer.size)
        blocks = self.rpc.blocks(list(range(checkpoint.block_number + 1, high + 1)))
        if any(block is None for block in blocks):
            return 0  # the chain got shorter under us: the next poll sees the reorg
        headers = [Header.from_rpc(block) for block in blocks]
        if headers[0].parent_hash != checkpoint.block_hash:
            self._rewind(checkpoint, detected_by="parent_hash")
            return 0
        if any(child.parent_hash != parent.hash for parent, child in pairwise(headers)):
            return 0  # a reorg while we read the headers: retry
        logs = self.rpc.get_logs(self.addresses, checkpoint.block_number + 1, high)
        self.sizer.observed(len(logs))
        hashes = {h.number: h.hash for h in headers}
        if any(hashes[int(raw["blockNumber"], 16)] != raw["blockHash"] for raw in logs):
            return 0  # the logs come from another branch than the headers: retry
        return self._commit(logs, headers, checkpoint.block_number, headers[-1])

    def _commit(self, logs: list[dict], headers: list[Header], previous: int, checkpoint: Header) -> int:
        decoded = [(self.contract_of[raw["address"].lower()], entry) for raw in logs if (entry := decode_log(raw))]
        batch = Batch(self.chain_id)
        with self.engine.begin() as conn:
            store.fence(conn, self.chain_id, self.owner, self.config.lease_seconds)
            missing = batch.needs_enterprise(decoded)
            enterprise_of = store.enterprises_of(conn, self.chain_id, missing) if missing else {}
            for contract, entry in decoded:
                batch.add(contract, entry, enterprise_of)
            store.write_batch(conn, batch, headers, previous, checkpoint, keep_blocks=self.config.reorg_limit + 1)
        return batch.events

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
