"""The benchmark workload's batches fit the node's blocks: each transaction within 95 % of the
block gas limit (`ledger bench index --events 100000` once asked for 60.1 M gas of a 60 M block)."""

from devtools.bench.workload import Workload
from tests.support.chain import block_gas_limit


def workload(chain) -> Workload:
    return Workload(chain.w3, chain.manifest, chain.signers, seed=5)


def test_no_items_make_no_batch(chain):
    assert list(workload(chain)._batched([], gas_per_item=40_000)) == []


def test_batches_are_cut_to_95_percent_of_the_block_gas_limit(chain):
    with block_gas_limit(chain, 3_000_000):
        batches = list(workload(chain)._batched(list(range(200)), gas_per_item=40_000))
    assert [len(batch) for batch, _ in batches] == [68, 68, 64]  # (2_850_000 − 100_000) // 40_000 = 68
    assert [gas for _, gas in batches] == [2_820_000, 2_820_000, 2_660_000]
    assert [item for batch, _ in batches for item in batch] == list(range(200))


def test_payments_and_commitments_beyond_one_block_are_split_and_all_mined(chain):
    load = workload(chain)
    projects = load.assess(2)
    before = load.count_events()
    with block_gas_limit(chain, 3_000_000):
        first_block = chain.w3.eth.block_number + 1
        load.pay(projects, 150)  # 150 × 40_000 + 100_000 = 6_100_000 gas in one batch: two blocks' worth
        load.record(projects, 30)  # 30 × 200_000 + 100_000 = 6_100_000
        last_block = chain.w3.eth.block_number
    assert load.count_events() - before == 150 + 30
    for number in range(first_block, last_block + 1):
        block = chain.w3.eth.get_block(number, full_transactions=True)
        assert all(tx["gas"] <= 2_850_000 for tx in block["transactions"])


def test_an_import_larger_than_one_block_is_split_and_all_of_it_is_mined(importing_chain):
    chain = importing_chain
    load = workload(chain)
    with block_gas_limit(chain, 3_000_000):
        first_block = chain.w3.eth.block_number + 1
        commitments = load.migrate(12)  # importAccounts alone asks for 12 × 300_000 + 100_000 = 3_700_000
        last_block = chain.w3.eth.block_number
    assert all(load.registry.functions.commitmentOf(c).call()[3] != 0 for c in commitments)  # status: each one is there
    assert load.fee.functions.importSealed().call()
    gas = [
        tx["gas"]
        for number in range(first_block, last_block + 1)
        for tx in chain.w3.eth.get_block(number, full_transactions=True)["transactions"]
    ]
    assert len(gas) > 5 + 2  # five import calls, some of them split, and the two seals
    assert max(gas) <= 2_850_000
