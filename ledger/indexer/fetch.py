"""One range read from the node: its logs, the headers needed to check them, and the times of the
blocks holding them (from the logs themselves where the node gives them, else from headers).

Blocks deeper than the reorg limit below the head are final by definition, so only each range's
last header is read for them; near the head every block header is read (the loop chains them
by parent hash). Where a header is read, its `logsBloom` is checked too: a block whose bloom
names an indexed contract but for which the node returned no log is fetched again (a node
behind a load balancer may answer before it has indexed the block).
"""

import logging
import threading
from dataclasses import dataclass

from eth_bloom import BloomFilter

from ledger.chain.rpc import JsonRpc
from ledger.indexer.ranges import RangeSizer, fetch_range
from ledger.indexer.store import Header

log = logging.getLogger(__name__)

BLOOM_RETRIES = 4  # refetches of a range whose answer misses logs its blooms announce


@dataclass(frozen=True)
class Fetched:
    """One range's logs and headers: every header near the head, only the last one below it."""

    low: int
    high: int
    logs: list[dict]
    headers: list[Header]
    complete: bool  # headers cover every block of the range
    times: list[tuple[int, str, int]]  # (number, hash, timestamp) of each block holding a log


def fetch(
    rpc: JsonRpc, addresses: list[str], sizer: RangeSizer, low: int, end: int, final: int, stop: threading.Event
) -> Fetched | None:
    """The range from `low` (up to at most `end`, as the sizer allows); headers of every block
    above `final`. None when a block is gone (the chain got shorter under us)."""
    high, logs = fetch_range(rpc, addresses, sizer, low, end)
    complete = high > final
    answered = rpc.blocks(list(range(low, high + 1)) if complete else [high])
    blocks = [block for block in answered if block is not None]
    if len(blocks) != len(answered):
        return None
    logs = _confirmed_by_blooms(rpc, addresses, low, high, logs, blocks, stop)
    times = block_times(rpc, logs, blocks)
    if times is None:
        return None
    return Fetched(low, high, logs, [Header.from_rpc(b) for b in blocks], complete, times)


def _confirmed_by_blooms(
    rpc: JsonRpc, addresses: list[str], low: int, high: int, logs: list[dict], blocks: list[dict], stop: threading.Event
) -> list[dict]:
    address_bytes = [bytes.fromhex(a[2:]) for a in addresses]
    for attempt in range(BLOOM_RETRIES + 1):
        missing = blocks_missing_logs(blocks, logs, address_bytes)
        if not missing:
            return logs
        if attempt == BLOOM_RETRIES:
            break
        log.warning(
            "eth_getLogs %d-%d returned no log for blocks %s whose blooms name an indexed contract; asking again",
            low,
            high,
            missing[:5],
        )
        if stop.wait(0.1 * 2**attempt):
            return logs  # stopping: the consumer discards it
        logs = rpc.get_logs(addresses, low, high)
    log.warning(
        "blocks %s still answer no log after %d attempts: taking their blooms for false positives",
        missing[:5],
        BLOOM_RETRIES + 1,
    )
    return logs


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
    """(number, hash, timestamp) of every block holding one of `logs`; None when a block is gone
    (the chain got shorter under us).

    A node that puts `blockTimestamp` on its logs (anvil does, Hardhat 2 does not: docs/nodes.md)
    gives the time with the log, so only blocks whose logs lack it need a header: one already
    read (`known`) where there is one, else one read now."""
    times = {
        int(raw["blockNumber"], 16): (raw["blockHash"], int(raw["blockTimestamp"], 16))
        for raw in logs
        if raw.get("blockTimestamp") is not None
    }
    headers = {int(b["number"], 16): b for b in known}
    untimed = sorted({int(raw["blockNumber"], 16) for raw in logs} - times.keys())
    missing = [n for n in untimed if n not in headers]
    for block in rpc.blocks(missing) if missing else []:
        if block is None:
            return None
        headers[int(block["number"], 16)] = block
    for n in untimed:
        times[n] = (headers[n]["hash"], int(headers[n]["timestamp"], 16))
    return [(n, *times[n]) for n in sorted(times)]
