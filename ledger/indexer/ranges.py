"""The eth_getLogs block range: sized to the log density and to the node's limits."""

import re

from ledger.chain.rpc import JsonRpc, RpcError

# Range refusals as nodes word them: Geth/Infura "query returned more than 10000 results",
# Besu "exceeds maximum range", Alchemy "Log response size exceeded", Erigon "too many logs".
_RANGE_REFUSAL = re.compile(
    r"more than|too many|too large|exceed|block range|range limit|response size|max", re.IGNORECASE
)


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
