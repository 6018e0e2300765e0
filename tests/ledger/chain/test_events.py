"""The topic-table decoder agrees with web3's own event decoding on every event type."""

from hexbytes import HexBytes

from ledger.chain.events import EVENTS, decode_log
from tests.ledger.indexer.conftest import import_chain, importing_chain, workload  # noqa: F401 (fixtures)


def web3_view(value):
    """web3's decoded values in the decoder's representation (0x hex, lowercase addresses)."""
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


def test_every_log_decodes_to_what_web3_decodes(importing_chain):
    chain = importing_chain
    workload(chain).every_event(400)
    by_name = {"FeeLedger": chain.fee, "CommitmentRegistry": chain.registry, "InspectionDraws": chain.draws}
    contracts = {c.address.lower(): by_name[c.name] for c in chain.manifest.contracts}
    query = {"address": [c.address for c in chain.manifest.contracts], "fromBlock": 0, "toBlock": "latest"}
    raw_logs = chain.rpc("eth_getLogs", [{**query, "fromBlock": "0x0"}])
    formatted_logs = chain.w3.eth.get_logs(query)
    assert len(raw_logs) == len(formatted_logs)
    seen = set()
    for raw, formatted in zip(raw_logs, formatted_logs):
        ours = decode_log(raw)
        theirs = getattr(contracts[raw["address"].lower()].events, ours.event)().process_log(formatted)
        assert ours.args == {name: web3_view(value) for name, value in theirs.args.items()}
        assert (ours.block_number, ours.log_index, ours.transaction_hash) == (
            theirs.blockNumber,
            theirs.logIndex,
            theirs.transactionHash.to_0x_hex(),
        )
        seen.add(ours.event)
    assert seen == {spec.name for spec in EVENTS.values()} - {"RoleAdminChanged"}


def test_a_log_of_an_unknown_event_is_not_decoded():
    assert decode_log({"topics": ["0x" + "ab" * 32], "data": "0x"}) is None
