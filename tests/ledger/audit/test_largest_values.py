"""The largest value of every field the deployed contracts accept, end to end (issue 14 items 3
and 4): contract → indexer → `ledger reindex` → `ledger audit verify`, on SQLite and PostgreSQL.

Two chains. A v2 deployment (the real v2 bytecode, tests/contracts/fixtures): the read model
must follow a chain that already holds values v3 would refuse (imports beside live writes,
unbounded imported times) without halting. Among them the values that halted the indexer
before: a rate of 2^64−1, an imported account with base and paid 2^64−1, a payment of 2^64−1
fen, a reason code that is not UTF-8. And a v3 deployment with its import window open, for the
fields only v3 emits (OverRefundFlagged, FeeAssessed.assessedAt, AccountImported.dueFen, the
times CommitmentImported carries, the commitment decisions), each at the largest value v3
accepts: amounts 2^64−1, fact times at the block time plus the clock skew, due dates at the
horizon."""

import json
from pathlib import Path

import pytest
from sqlalchemy import text

import ledger.chain.deploy
from ledger.chain.artifacts import load_artifact
from ledger.audit.verify import verify
from ledger.chain.node import Sender, connect, signers_from_mnemonic
from ledger.db.read_model import from_db, read_sql
from ledger.chain.deploy import DeployOptions, deploy
from devtools.dev_node import LocalNode
from ledger.core.settings import DEV_MNEMONIC
from ledger.core.identifiers import reference_key
from tests.ledger.indexer.conftest import kind_of, make_indexer, new_database, read_model  # noqa: F401 (a fixture)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

U64, U32, I64_MAX, I64_MIN = 2**64 - 1, 2**32 - 1, 2**63 - 1, -(2**63)
NOT_UTF8 = b"\xff" * 32
DAY = 86_400
MAX_GRACE, FULL_RELIEF, MAX_HORIZON = 90 * DAY, 10_000, 3_650 * DAY
FIXTURES = Path(__file__).resolve().parents[2] / "contracts" / "fixtures"
V2 = {name: json.loads((FIXTURES / f"{name}.v2.json").read_text()) for name in ("FeeLedger", "CommitmentRegistry")}


class V2Chain:
    """A deployment (import window open) on a node of its own, with a Sender per role: of the v2
    bytecode, or with `artifacts=None` of the contracts this repository builds (v3)."""

    def __init__(self, node: LocalNode, artifacts: dict | None = V2):
        self.node, self.w3 = node, connect(node.url)
        self.signers = signers_from_mnemonic(DEV_MNEMONIC)
        # v2 had no InspectionDraws: its current artifact is deployed beside the v2 pair
        artifact = (
            (lambda name: artifacts[name] if name in artifacts else load_artifact(name)) if artifacts else load_artifact
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger.chain.deploy, "load_artifact", artifact)
            self.manifest, _ = deploy(self.w3, self.signers, options=DeployOptions(import_planned=True))
        self.fee, self.registry = (
            self.w3.eth.contract(address=self.manifest.latest(name).address, abi=artifact(name)["abi"])
            for name in ("FeeLedger", "CommitmentRegistry")
        )
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
        project,
        NOT_UTF8,
        U32,
        U32,
        U32,
        relief,
        U64,
        adjustment,
        U64,
        refunded,
        now,
        U32,
    )
    admin(
        fee.functions.importAccounts(
            [
                account(p["relieved"], FULL_RELIEF, I64_MAX, U64),
                account(p["negative"], 0, I64_MIN, 0),
                account(p["paid"], 0, 0, 0),
            ]
        )
    )
    admin(fee.functions.importVouchers([(p["paid"], key("voucher"), U64, U64)]))
    admin(fee.functions.importRefunds([(p["paid"], key("refund"), U64, U64, NOT_UTF8)]))
    admin(
        registry.functions.importCommitments(
            [(key("imported"), p["paid"], NOT_UTF8, 3, 6, True, 3, U64, U64, NOT_UTF8)]
        )
    )
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
    w._tx(
        "APPROVAL_ROLE",
        registry.functions.record(
            key("live commitment"), live, key("enterprise"), 3, signed, signed + MAX_HORIZON - 60, NOT_UTF8
        ),
    )
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

        assert sorted(
            values("SELECT version, district, rate_fen_per_m2 FROM rates WHERE version IN (9, :v)", v=U32)
        ) == [(9, 2, U64), (9, U32, U64), (U32, U32, U64)]
        assert values("SELECT effective_from FROM rate_tables WHERE version = :v", v=U32) == [(U64,)]
        assert values("SELECT amount_fen, paid_at FROM payments WHERE imported") == [(U64, U64)]
        assert values("SELECT amount_fen FROM payments WHERE NOT imported") == [(U64,)]
        assert values(
            "SELECT base_fen, paid_fen, refunded_fen, due_fen, refund_owed_fen, adjustment_fen "
            "FROM fee_accounts WHERE project = :p",
            p="0x" + projects["negative"].hex(),
        ) == [(U64, U64, 0, 2**63 - 1, 2**63, I64_MIN)]
        assert values("SELECT reason FROM refunds WHERE NOT imported") == [("0x" + NOT_UTF8.hex(),)]
        assert values("SELECT signed_at, due_at, extensions FROM commitments WHERE status = 'extended'") == [
            (U64, U64, 3)
        ]
        assert values(
            "SELECT recorded, repaired FROM enterprise_commitment_summaries WHERE enterprise = :e",
            e="0x" + NOT_UTF8.hex(),
        ) == [(U32, U32)]

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


# -- v3 -----------------------------------------------------------------------------------------------

SKEW = 15 * 60  # CLOCK_SKEW of both contracts: a fact time may be this far past the block time
RECORDED, FULFILLED, OVERDUE, SHELTER_BUILD, PEACETIME_USE = 1, 2, 3, 0, 3


def emit_largest_values_v3(w: V2Chain) -> dict[str, bytes]:
    """On a fresh v3 deployment (imports open): every field at the largest value v3 accepts. Imports
    first (the first live write closes them), then live writes, then a commitment let go overdue."""
    fee, registry = w.fee, w.registry
    admin = lambda call, gas=1_000_000: w._tx("DEFAULT_ADMIN_ROLE", call, gas)  # noqa: E731
    latest = lambda: w.now() + SKEW  # noqa: E731 - the latest fact time the next block accepts
    p = {name: key(name) for name in ("relieved", "negative", "paid", "live")}

    # imported accounts: base and paid 2^64−1, due 2^64−1 (no relief, no adjustment; AccountImported.dueFen),
    # 2^63−1 (full relief, largest adjustment) and 2^63−1 (smallest adjustment); the due date at uint32's end
    at = latest()
    account = lambda project, relief, adjustment, refunded: (  # noqa: E731
        project,
        NOT_UTF8,
        U32,
        U32,
        U32,
        relief,
        U64,
        adjustment,
        U64,
        refunded,
        at,
        U32,
    )
    admin(
        fee.functions.importAccounts(
            [
                account(p["relieved"], FULL_RELIEF, I64_MAX, 0),
                account(p["negative"], 0, I64_MIN, 0),
                account(p["paid"], 0, 0, U64),
            ]
        )
    )
    admin(fee.functions.importVouchers([(p["paid"], key("voucher"), U64, latest())]))
    admin(fee.functions.importRefunds([(p["paid"], key("refund"), U64, latest(), NOT_UTF8)]))
    # imported commitments with every time v3 carries: an overdue one with evidence pending (the largest
    # submission time), a fulfilled one decided at the largest time, an overdue one to breach and repair;
    # due at the latest time the overdue clock can add the grace to (by an enterprise whose counters are
    # not at the maximum: a decision increments them)
    now, due = w.now(), U64 - MAX_GRACE
    imported = lambda name, status, late, evidence, decided: (  # noqa: E731
        key(name),
        p["paid"],
        key("imported enterprise"),
        PEACETIME_USE,
        status,
        late,
        3,
        now + SKEW,
        due,
        NOT_UTF8,
        now,
        now,
        evidence,
        decided,
    )
    admin(
        registry.functions.importCommitments(
            [
                imported("imported pending", OVERDUE, False, now + SKEW, 0),
                imported("imported fulfilled", FULFILLED, True, 0, now + SKEW),
                imported("imported breach", OVERDUE, False, 0, 0),
            ]
        ),
        2_000_000,
    )
    admin(registry.functions.importCounters([(NOT_UTF8, (U32,) * 6)]))
    admin(registry.functions.setOverdueGracePeriod(MAX_GRACE))

    # live: a rate of 2^64−1 in effect now, and a table that takes effect at 2^64−1 s
    w._tx("ASSESSOR_ROLE", fee.functions.publishRateTable(9, w.now(), NOT_UTF8, [(2, U64), (U32, U64)]))
    w._tx("ASSESSOR_ROLE", fee.functions.publishRateTable(U32, U64, NOT_UTF8, [(U32, U64)]))
    # an assessment of 2^64−1 fen (area 100 × rate 2^64−1 / 100) at the latest fact time, due at the
    # horizon; paid in one payment of 2^64−1, refunded in full beyond the refund owed (0), under a
    # reason not allowed: OverRefundFlagged(2^64−1, 2^64−1); then relieved and adjusted
    live, assessed = p["live"], latest()
    w._tx("ASSESSOR_ROLE", fee.functions.assess(live, NOT_UTF8, 2, 100, 9, assessed, assessed + MAX_HORIZON, NOT_UTF8))
    w._tx("TAX_ROLE", fee.functions.recordPayment(live, key("live voucher"), U64, latest()))
    w._tx("TAX_ROLE", fee.functions.recordRefund(live, key("live refund"), U64, latest(), NOT_UTF8))
    w._tx("ASSESSOR_ROLE", fee.functions.setRelief(live, NOT_UTF8, FULL_RELIEF, NOT_UTF8))
    w._tx("ASSESSOR_ROLE", fee.functions.adjust(live, NOT_UTF8, I64_MAX, NOT_UTF8))

    # the commitment decisions, each fact at the latest time
    approval, verifier = (lambda call: w._tx("APPROVAL_ROLE", call)), (lambda call: w._tx("VERIFIER_ROLE", call))
    signed = latest()
    for name, kind in (
        ("live commitment", PEACETIME_USE),
        ("live acceptance", SHELTER_BUILD),
        ("live overdue", PEACETIME_USE),
    ):
        approval(
            registry.functions.record(
                key(name), live, key("enterprise"), kind, signed, signed + MAX_HORIZON - 1, NOT_UTF8
            )
        )
    commitment = key("live commitment")
    verifier(registry.functions.submitEvidence(commitment, NOT_UTF8, latest()))
    verifier(registry.functions.rejectEvidence(commitment, NOT_UTF8))
    verifier(registry.functions.extend(commitment, signed + MAX_HORIZON, NOT_UTF8))
    verifier(registry.functions.fulfil(commitment, NOT_UTF8, latest()))
    approval(registry.functions.fulfilByAcceptance(key("live acceptance"), NOT_UTF8, latest()))
    verifier(registry.functions.fulfil(key("imported pending"), NOT_UTF8, latest()))
    verifier(registry.functions.breach(key("imported breach"), NOT_UTF8))
    verifier(registry.functions.repair(key("imported breach"), NOT_UTF8, latest()))
    # past the horizon and the longest grace: the last commitment is marked overdue
    w.w3.provider.make_request("evm_increaseTime", [MAX_HORIZON + MAX_GRACE + DAY])
    w.w3.provider.make_request("evm_mine", [])
    w._tx("VERIFIER_ROLE", registry.functions.markOverdue(key("live overdue")))
    return p


@pytest.fixture(scope="module")
def largest_v3(node_kind):
    with LocalNode(kind=node_kind) as node:
        chain = V2Chain(node, artifacts=None)
        yield chain, emit_largest_values_v3(chain)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_largest_values_of_a_v3_chain_are_indexed_exactly_reindexed_alike_and_pass_the_audit(
    largest_v3, kind, new_database
):
    chain, projects = largest_v3
    url = new_database(kind)
    indexer = make_indexer(chain, url)
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        assert conn.execute(text("SELECT block_number FROM chain_state")).scalar() == chain.w3.eth.block_number
        assert conn.execute(text("SELECT unknown_events FROM chain_state")).scalar() == 0

        def values(sql: str, **params) -> list:
            return [tuple(row) for row in conn.execute(read_sql(sql), params)]

        live, paid = ("0x" + projects[name].hex() for name in ("live", "paid"))
        assert values("SELECT effective_from FROM rate_tables WHERE version = :v", v=U32) == [(U64,)]
        assert values("SELECT rate_fen_per_m2 FROM rates WHERE version = 9 AND district = 2") == [(U64,)]
        assessed_at = values("SELECT base_fen, due_fen, assessed_at FROM fee_assessments WHERE project = :p", p=live)
        assert [row[:2] for row in assessed_at] == [(U64, U64)] and assessed_at[0][2] > 0
        assert values("SELECT excess_fen, over_refunded_fen FROM over_refunds") == [(U64, U64)]
        assert values("SELECT due_fen, paid_fen, refunded_fen FROM fee_account_imports WHERE project = :p", p=paid) == [
            (U64, U64, U64)
        ]
        assert values(
            "SELECT paid_fen, refunded_fen, over_refunded_fen, due_fen FROM fee_accounts WHERE project = :p", p=live
        ) == [(U64, U64, U64, I64_MAX)]
        assert sorted(
            values(
                "SELECT status, due_at FROM commitments WHERE enterprise = :e",
                e="0x" + key("imported enterprise").hex(),
            )
        ) == [("fulfilled", U64 - MAX_GRACE), ("fulfilled", U64 - MAX_GRACE), ("repaired", U64 - MAX_GRACE)]
        events = {row[0] for row in values("SELECT DISTINCT event FROM commitment_events")}
        assert events == {
            "imported",
            "recorded",
            "evidence_submitted",
            "evidence_rejected",
            "extended",
            "fulfilled",
            "breached",
            "repaired",
            "marked_overdue",
        }

    before = read_model(indexer.engine)
    indexer.wipe()
    indexer.catch_up()
    assert read_model(indexer.engine) == before
    fresh = make_indexer(chain, new_database(kind_of(url)))
    fresh.catch_up()
    assert read_model(fresh.engine) == before

    report = verify(chain.w3, chain.manifest, indexer.engine)
    assert report.equal, "\n".join(report.lines())
    assert {t.table: t.rows for t in report.tables}["over_refunds"] == 1
    indexer.engine.dispose()
    fresh.engine.dispose()
