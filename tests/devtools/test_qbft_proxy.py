"""The chain-facing code against a node that answers as Besu QBFT does (devtools.qbft_proxy in front of a
Hardhat node of the module's own): QBFT extraData and validators, Besu's `finalized`, batch, range and
permissioning answers, and a block every 2 s; the deployment, the outbox writer, the indexer and /health
work through it."""

import logging
import time
from collections import Counter

import pytest
import rlp
from eth_keys import keys
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from devtools.dev_node import LocalNode
from devtools.qbft_proxy import BFT_MIX_HASH, QbftProxy, validators_of
from ledger.chain.deploy import deploy
from ledger.chain.node import Sender, account_at, connect, decode_revert, signers_from_mnemonic
from ledger.chain.rpc import JsonRpc, RpcError
from ledger.core.identifiers import project_key, reference_key
from ledger.core.settings import DEV_MNEMONIC, Settings, get_settings
from ledger.db.engine import make_engine
from ledger.db.write_model import OutboxCommand, OutboxTransaction
from ledger.domain import chain_time, clearance, fees, payments, projects
from ledger.domain.commands import command_status
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.writer.writer import OutboxWriter
from tests.conftest import OUTSIDER_INDEX, Chain
from tests.support.databases import make_database  # noqa: F401
from tests.support.ledger_env import chain_time as now_on
from tests.support.ledger_env import paid_on_chain
from tests.support.samples import assessment, payment, project, project_code
from web.app import create_app


@pytest.fixture(scope="module")
def qbft():
    """A Hardhat node of the module's own behind a QBFT proxy that mines every 2 s and lets only the role
    accounts send; the contracts deployed through the proxy, as `ledger deploy` deploys them on Besu."""
    with LocalNode(kind="hardhat") as node:
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        with QbftProxy(node.url, accounts_allowlist={a.address.lower() for a in signers.values()}) as proxy:
            proxy.first_block = JsonRpc(node.url).block_number() + 1  # the first block mined every 2 s
            w3 = connect(proxy.url)
            manifest, deployed = deploy(w3, signers)
            assert deployed and manifest.chain_id == 31337
            yield Chain(node=node, w3=w3, manifest=manifest, signers=signers), proxy


def test_every_block_names_the_four_validators_and_later_blocks_carry_a_quorum_of_their_seals(qbft):
    _chain, proxy = qbft
    rpc = JsonRpc(proxy.url)
    genesis, head = rpc.block(0), rpc.block("latest")
    assert validators_of(genesis["extraData"]) == validators_of(head["extraData"]) == proxy.validators
    assert len(proxy.validators) == 4
    _vanity, _validators, vote, round_number, seals = rlp.decode(bytes.fromhex(head["extraData"][2:]))
    assert vote == [] and round_number == b"" and len(seals) == 3  # no vote, round 0, ⌈2·4/3⌉ seals
    sealers = {keys.Signature(seal).recover_public_key_from_msg_hash(bytes.fromhex(head["hash"][2:])) for seal in seals}
    assert {key.to_checksum_address().lower() for key in sealers} <= set(proxy.validators)
    assert rlp.decode(bytes.fromhex(genesis["extraData"][2:]))[4] == []  # genesis carries no seals
    assert head["mixHash"] == BFT_MIX_HASH and head["miner"] in proxy.validators
    assert rpc.call("qbft_getValidatorsByBlockNumber", ["latest"]) == proxy.validators
    assert rpc.call("qbft_getValidatorsByBlockNumber", [hex(10**9)]) is None


def test_web3_reads_qbft_blocks_through_the_proof_of_authority_middleware(qbft):
    _chain, proxy = qbft
    block = connect(proxy.url).eth.get_block("latest")
    assert validators_of(block["proofOfAuthorityData"]) == proxy.validators


def test_finalized_and_safe_are_unknown_blocks_as_on_besu_and_the_head_when_asked(qbft):
    chain, proxy = qbft
    rpc = JsonRpc(proxy.url)
    for tag in ("finalized", "safe"):
        with pytest.raises(RpcError) as refused:
            rpc.block(tag)
        assert (refused.value.code, refused.value.message) == (-39001, "Unknown block")
    assert rpc.finalized_block_number() is None  # the indexer then keeps to its confirmations
    with QbftProxy(chain.node.url, finality="latest", block_seconds=None) as as_latest:
        head = JsonRpc(as_latest.url).block_number()
        assert JsonRpc(as_latest.url).finalized_block_number() in (head, head + 1)  # a block may come between


def test_a_batch_over_besus_1024_is_refused_whole_and_the_client_halves_it(qbft):
    _chain, proxy = qbft
    numbers = [n % 5 for n in range(1500)]
    refused_before = proxy.seen["refused_batches"]
    rpc = JsonRpc(proxy.url, batch_size=1500)
    blocks = rpc.blocks(numbers)
    assert [int(b["number"], 16) for b in blocks] == numbers
    assert proxy.seen["refused_batches"] == refused_before + 1 and rpc.batch_size == 750


def test_what_besu_does_not_serve_is_refused_in_besus_words(qbft):
    chain, proxy = qbft
    rpc = JsonRpc(proxy.url)
    for method, code in (("evm_mine", -32601), ("hardhat_mine", -32601), ("eth_sendTransaction", -32604)):
        with pytest.raises(RpcError) as refused:
            rpc.call(method, [])
        assert refused.value.code == code
    with pytest.raises(RpcError) as too_wide:
        rpc.get_logs([chain.fee.address], 0, 5001)
    assert (too_wide.value.code, too_wide.value.message) == (-32005, "Requested range exceeds maximum RPC range limit")


def test_an_account_off_the_allowlist_cannot_send_and_a_revert_is_code_3_with_its_data(qbft):
    chain, proxy = qbft
    outsider = account_at(DEV_MNEMONIC, OUTSIDER_INDEX)
    rpc = JsonRpc(proxy.url)
    call = chain.fee.functions.recordPayment(project_key("P"), reference_key("V"), 1, int(time.time()))
    data = call._encode_transaction_data()
    signed = outsider.sign_transaction(
        {"to": chain.fee.address, "data": data, "gas": 200_000, "gasPrice": 10**10, "nonce": 0, "chainId": 31337}
    )
    with pytest.raises(RpcError) as refused:
        rpc.call("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
    assert (refused.value.code, refused.value.message) == (-32007, "Sender account not authorized to send transactions")
    with pytest.raises(RpcError) as reverted:
        rpc.call("eth_call", [{"from": outsider.address, "to": chain.fee.address, "data": data}, "latest"])
    assert (reverted.value.code, reverted.value.message) == (3, "Execution reverted")
    assert decode_revert(reverted.value.data).name == "AccessControlUnauthorizedAccount"


def _drain(engine, writer: OutboxWriter) -> None:
    for _ in range(30):
        writer.run_once()
        with Session(engine) as s:
            waiting = s.execute(
                select(func.count()).where(col(OutboxCommand.status).in_(["accepted", "submitted"]))
            ).scalar_one()
        if not waiting:
            return
    raise AssertionError("the outbox did not drain through the QBFT proxy")


def _services(chain, proxy, url: str, monkeypatch) -> tuple[Engine, Indexer, OutboxWriter]:
    """The engine, an indexer and an outbox writer on `url`, all reading and writing through the proxy."""
    engine = make_engine(url)
    clock = chain_time.ChainClock(proxy.url)  # the services judge fact times by the QBFT node's clock
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    indexer = Indexer(
        engine=engine,
        rpc=JsonRpc(proxy.url),
        manifest=chain.manifest,
        config=IndexerConfig(use_finalized=True),  # Besu answers no `finalized`: the indexer keeps to confirmations
        owner=f"qbft-indexer-{url[-8:]}",
    )
    writer = OutboxWriter(
        engine=engine, rpc=JsonRpc(proxy.url, timeout=10), manifest=chain.manifest, signers=chain.signers, owner="qbft"
    )
    return engine, indexer, writer


def _assessed(engine, indexer: Indexer, writer: OutboxWriter, n: int) -> int:
    """Project `n` registered, assessed, on chain and indexed; returns its levy's amount."""
    indexer.catch_up()  # the rate tables the deployment published
    with Session(engine) as s:
        projects.register_project(s, project=project(n), client="approval")
        fees.assess_fee(s, assessment=assessment(n), actor="office")
        s.commit()
    _drain(engine, writer)
    indexer.catch_up()
    with Session(engine) as s:
        return payments.levies_feed(s, limit=500).items[0].amount_fen


def test_a_payment_is_written_indexed_and_health_is_ok_through_a_qbft_node(
    qbft,
    make_database,  # noqa: F811 (the fixture imported above)
    tmp_path,
    monkeypatch,
):
    chain, proxy = qbft
    before = Counter(proxy.seen)
    url = make_database("postgresql")
    engine, indexer, writer = _services(chain, proxy, url, monkeypatch)
    due = _assessed(engine, indexer, writer, 1)
    with Session(engine) as s:
        paid = payment(1, "V-QBFT-1", due, paid_at=now_on(chain))
        command_id = payments.confirm_payment(s, confirmation=paid, client="tax").command_id
        s.commit()
    _drain(engine, writer)
    indexer.catch_up()
    writer.mark_indexed()

    assert paid_on_chain(chain, project_code(1)) == due
    with Session(engine) as s:
        status = command_status(s, command_id=command_id)
        assert status.status == "indexed" and status.block_number >= proxy.first_block
        assert clearance.clearance(s, project_code=project_code(1)).fee_status == "paid"
    seen = proxy.seen - before
    assert seen["requests"] > 0 and not [what for what in seen if what.startswith("refused evm_")]  # none Besu lacks
    assert seen["refused eth_getBlockByNumber"] >= 1  # the indexer asked for `finalized` and went on

    chain.manifest.save(tmp_path / "deployment.json")
    settings = Settings(
        rpc={"url": proxy.url}, deployment={"manifest_path": tmp_path / "deployment.json"}, database={"url": url}
    )
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    response = TestClient(app).get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["chain"]["chain_id"] == 31337
    assert body["indexer"]["lag_blocks"] <= 2  # a block every 2 s: at most one came since the last poll

    rpc = JsonRpc(proxy.url)
    times = [int(b["timestamp"], 16) for b in rpc.blocks(list(range(proxy.first_block, rpc.block_number() + 1)))]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert len(gaps) >= 3 and min(gaps) >= 1 and 1.5 <= sum(gaps) / len(gaps) <= 2.5  # one block every ~2 s
    engine.dispose()


def test_a_revert_on_a_qbft_node_fails_the_command_it_names_and_the_rest_are_mined(
    qbft,
    make_database,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    caplog,
):
    """Besu accepts a transaction that will revert and tells only by its status-0 receipt; the writer's
    check then reads the custom error from eth_call's code-3 answer and fails the command it names."""
    chain, proxy = qbft
    engine, indexer, writer = _services(chain, proxy, make_database("sqlite"), monkeypatch)
    _assessed(engine, indexer, writer, 2)
    at = now_on(chain)
    Sender(chain.w3, chain.signers["TAX_ROLE"]).send(  # the voucher reaches the chain first, with other figures
        chain.fee.functions.recordPayment(
            project_key(project_code(2)), reference_key("V-QBFT-TAKEN"), 999, int(at.timestamp())
        )
    )
    with Session(engine) as s:
        ids = [
            payments.confirm_payment(s, confirmation=payment(2, voucher, 100, paid_at=at), client="tax").command_id
            for voucher in ("V-QBFT-A", "V-QBFT-TAKEN", "V-QBFT-B")
        ]
        s.commit()
    with caplog.at_level(logging.INFO, logger="ledger.writer.writer"):
        _drain(engine, writer)
    assert not [r for r in caplog.records if r.getMessage().startswith("outbox: sending")]  # Besu took the send
    with Session(engine) as s:
        assert (
            s.execute(
                select(func.count()).select_from(OutboxTransaction).where(col(OutboxTransaction.status) == "reverted")
            ).scalar_one()
            == 1
        )
        taken = command_status(s, command_id=ids[1])
        assert (taken.status, taken.error.name) == ("failed", "FeeLedgerVoucherConflict")
        assert [command_status(s, command_id=i).status for i in (ids[0], ids[2])] == ["mined", "mined"]
    assert paid_on_chain(chain, project_code(2)) == 999 + 200
    engine.dispose()
