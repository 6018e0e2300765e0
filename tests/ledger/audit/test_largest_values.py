"""The largest value of every field the deployed contracts accept, end to end (issue 14 items 3
and 4): contract → indexer → `ledger reindex` → `ledger audit verify`, on SQLite and PostgreSQL.

The chain is a v2 deployment (the real v2 bytecode, tests/contracts/fixtures): the read model
must follow a chain that already holds values v3 would refuse (imports beside live writes,
unbounded imported times) without halting. Among them the values that halted the indexer
before: a rate of 2^64−1, an imported account with base and paid 2^64−1, a payment of 2^64−1
fen, a reason code that is not UTF-8."""

import json
from pathlib import Path

import pytest
from sqlalchemy import text

import ledger.deploy
from ledger.audit.verify import verify
from ledger.chain import Sender, connect, signers_from_mnemonic
from ledger.db.models import from_db
from ledger.deploy import DeployOptions, deploy
from ledger.devchain import LocalNode
from ledger.settings import DEV_MNEMONIC
from ledger.identifiers import reference_key
from tests.ledger.indexer.conftest import kind_of, make_indexer, new_database, read_model  # noqa: F401 (a fixture)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

U64, U32, I64_MAX, I64_MIN = 2**64 - 1, 2**32 - 1, 2**63 - 1, -(2**63)
NOT_UTF8 = b"\xff" * 32
DAY = 86_400
MAX_GRACE, FULL_RELIEF, MAX_HORIZON = 90 * DAY, 10_000, 3_650 * DAY
FIXTURES = Path(__file__).resolve().parents[2] / "contracts" / "fixtures"
V2 = {name: json.loads((FIXTURES / f"{name}.v2.json").read_text()) for name in ("FeeLedger", "CommitmentRegistry")}


class V2Chain:
    """A v2 deployment (import window open) on a node of its own, with a Sender per role."""

    def __init__(self, node: LocalNode):
        self.node, self.w3 = node, connect(node.url)
        self.signers = signers_from_mnemonic(DEV_MNEMONIC)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger.deploy, "load_artifact", V2.__getitem__)
            self.manifest, _ = deploy(self.w3, self.signers, options=DeployOptions(import_planned=True))
        self.fee, self.registry = (self.w3.eth.contract(address=self.manifest.latest(name).address, abi=V2[name]["abi"])
                                   for name in ("FeeLedger", "CommitmentRegistry"))
        self.senders = {role: Sender(self.w3, account) for role, account in self.signers.items()}

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def _tx(self, role: str, call, gas: int = 1_000_000):
        return self.senders[role].send(call, gas=gas)


def key(name: str) -> bytes:
    return reference_key(f"largest {name}")


def emit_largest_values(w: V2Chain) -> dict[str, bytes]:
    """On a fresh v2 deployment (imports open): every field at the largest value the contracts accept."""
    fee, registry, now = w.fee, w.registry, w.now()
    admin = lambda call, gas=1_000_000: w._tx("DEFAULT_ADMIN_ROLE", call, gas)  # noqa: E731
    p = {name: key(name) for name in ("relieved", "negative", "paid", "live")}

    # the repro: RatePublished(version 9, district 2, rate 2^64−1); and the largest ids
    w._tx("ASSESSOR_ROLE", fee.functions.publishRateTable(9, 1, NOT_UTF8, [(2, U64), (U32, U64)]))
    w._tx("ASSESSOR_ROLE", fee.functions.publishRateTable(U32, U64, NOT_UTF8, [(U32, U64)]))
    # imported accounts: base and paid 2^64−1 (due 2^63−1 after full relief and the largest adjustment;
    # with the smallest adjustment a refund owed of 2^63), counters at the uint32 maximum
    account = lambda project, relief, adjustment, refunded: (  # noqa: E731
        project, NOT_UTF8, U32, U32, U32, relief, U64, adjustment, U64, refunded, now, U32)
    admin(fee.functions.importAccounts([account(p["relieved"], FULL_RELIEF, I64_MAX, U64),
                                        account(p["negative"], 0, I64_MIN, 0),
                                        account(p["paid"], 0, 0, 0)]))
    admin(fee.functions.importVouchers([(p["paid"], key("voucher"), U64, U64)]))
    admin(fee.functions.importRefunds([(p["paid"], key("refund"), U64, U64, NOT_UTF8)]))
    admin(registry.functions.importCommitments([(key("imported"), p["paid"], NOT_UTF8, 3, 6, True, 3, U64, U64,
                                                 NOT_UTF8)]))
    admin(registry.functions.importCounters([(NOT_UTF8, (U32,) * 6)]))
    admin(registry.functions.setOverdueGracePeriod(MAX_GRACE))
    admin(fee.functions.setRefundReasonAllowed(NOT_UTF8, True))

    # live writes: an assessment due 2^64−1 fen (area 100 × rate 2^64−1 / 100), paid in one payment
    # of 2^64−1 fen, refunded in full under a reason that is not UTF-8, then relieved and adjusted
    live = p["live"]
    w._tx("ASSESSOR_ROLE", fee.functions.assess(live, NOT_UTF8, 2, 100, 9, now + MAX_HORIZON - 60, NOT_UTF8))
    w._tx("TAX_ROLE", fee.functions.recordPayment(live, key("live voucher"), U64, w.now()))
    w._tx("TAX_ROLE", fee.functions.recordRefund(live, key("live refund"), U64, w.now(), NOT_UTF8))
    w._tx("ASSESSOR_ROLE", fee.functions.setRelief(live, NOT_UTF8, FULL_RELIEF, NOT_UTF8))
    w._tx("ASSESSOR_ROLE", fee.functions.adjust(live, NOT_UTF8, I64_MAX, NOT_UTF8))
    # a commitment recorded with the latest due date it may have (by an enterprise whose counters are
    # not at the maximum: v2 would panic on the increment)
    signed = w.now()
    w._tx("APPROVAL_ROLE", registry.functions.record(key("live commitment"), live, key("enterprise"), 3, signed,
                                                      signed + MAX_HORIZON - 60, NOT_UTF8))
    return p


@pytest.fixture(scope="module")
def largest(node_kind):
    with LocalNode(kind=node_kind) as node:
        chain = V2Chain(node)
        yield chain, emit_largest_values(chain)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_largest_values_are_indexed_exactly_reindexed_alike_and_pass_the_audit(largest, kind, new_database):
    chain, projects = largest
    url = new_database(kind)
    indexer = make_indexer(chain, url)
    indexer.catch_up()  # halted with an OverflowError before, the checkpoint left behind
    head = chain.w3.eth.block_number
    with indexer.engine.connect() as conn:
        assert conn.execute(text("SELECT block_number FROM chain_state")).scalar() == head
        # every v2 event decoded (the changed ones by their v2 layouts), none kept as unknown
        assert conn.execute(text("SELECT unknown_events FROM chain_state")).scalar() == 0

        def values(sql: str, **params) -> list:
            return [tuple(from_db(v) for v in row) for row in conn.execute(text(sql), params)]

        assert sorted(values("SELECT version, district, rate_fen_per_m2 FROM rates WHERE version IN (9, :v)", v=U32)) == [
            (9, 2, U64), (9, U32, U64), (U32, U32, U64)]
        assert values("SELECT effective_from FROM rate_tables WHERE version = :v", v=U32) == [(U64,)]
        assert values("SELECT amount_fen, paid_at FROM payments WHERE imported") == [(U64, U64)]
        assert values("SELECT amount_fen FROM payments WHERE NOT imported") == [(U64,)]
        assert values("SELECT base_fen, paid_fen, refunded_fen, due_fen, refund_owed_fen, adjustment_fen "
                      "FROM fee_accounts WHERE project = :p", p="0x" + projects["negative"].hex()) == [
            (U64, U64, 0, 2**63 - 1, 2**63, I64_MIN)]
        assert values("SELECT reason FROM refunds WHERE NOT imported") == [("0x" + NOT_UTF8.hex(),)]
        assert values("SELECT signed_at, due_at, extensions FROM commitments WHERE status = 'extended'") == [
            (U64, U64, 3)]
        assert values("SELECT recorded, repaired FROM enterprise_commitment_summaries WHERE enterprise = :e",
                      e="0x" + NOT_UTF8.hex()) == [(U32, U32)]

    # `ledger reindex`: wipe and index again, to the same rows
    before = read_model(indexer.engine)
    indexer.wipe()
    indexer.catch_up()
    assert read_model(indexer.engine) == before
    fresh = make_indexer(chain, new_database(kind_of(url)))
    fresh.catch_up()
    assert read_model(fresh.engine) == before

    report = verify(chain.w3, chain.manifest, indexer.engine)
    assert report.equal, "\n".join(report.lines())
    assert {t.table: t.rows for t in report.tables}["fee_account_imports"] == 3
    indexer.engine.dispose()
    fresh.engine.dispose()
