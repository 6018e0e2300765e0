"""The indexer's two threads around the decoding loop: the prefetcher reads the next range from
the node while the current one is decoded, and the committer writes decoded batches to SQL
while the next range is decoded."""

import queue
import threading

from ledger.chain.rpc import JsonRpc
from ledger.indexer.fetch import fetch
from ledger.indexer.projector import Batch
from ledger.indexer.ranges import RangeSizer
from ledger.indexer.store import Header


class Prefetcher:
    """Fetches consecutive ranges in a thread, one range ahead of the loop."""

    _DONE = object()

    def __init__(self, rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int, final: int):
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._rpc, self._addresses, self._sizer = rpc, addresses, sizer
        self._thread = threading.Thread(target=self._run, args=(low, end, final), name="ledger-prefetch", daemon=True)
        self._thread.start()

    def _run(self, low, end, final):
        try:
            while low <= end and not self._stop.is_set():
                fetched = fetch(self._rpc, self._addresses, self._sizer, low, end, final, self._stop)
                if fetched is None:  # the chain got shorter under us
                    break
                self._put(fetched)
                low = fetched.high + 1
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
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
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class Committer:
    """Commits batches in a thread behind the decoder, so SQLite's and PostgreSQL's own work
    (which runs without the GIL) overlaps the decoding of the next range.

    Group commit: when the committer falls behind, the batches waiting for it are merged into one
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
        self._thread = threading.Thread(target=self._run, name="ledger-commit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            jobs = [self._queue.get()]
            while len(jobs) < self.GROUP and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            if None in jobs:  # close(): write what came before it, then stop
                stopping = True
                jobs = jobs[: jobs.index(None)]
            try:
                if jobs and self._error is None and not self._dropping:
                    batches, unknown, headers, previous, checkpoint = zip(*jobs)
                    self._write(
                        Batch.merge(batches),
                        [h for hs in headers for h in hs],
                        previous[0],
                        checkpoint[-1],
                        sum(unknown),
                    )
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
