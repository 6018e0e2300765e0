"""A small world the public sees, built the real way once per test session: a Hardhat node of
its own (its clock is the wall clock), contracts deployed, projects registered, one assessed with
two commitments and two payments, a fourth of the same builder paid once under a voucher number with
"/" in it (the help text allows it), and a third whose builder let two commitments lapse (one marked
overdue by the sweep, one then breached), all written by the outbox writer and mirrored by the indexer
into a SQLite database. API, page and browser tests read it; none of them writes."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.chain.node import connect, signers_from_mnemonic
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.chain.deploy import DeployOptions, deploy
from devtools.dev_node import LocalNode
from ledger.domain import commitments, fees, payments, projects
from ledger.core.settings import DEV_MNEMONIC, Settings
from tests.conftest import Chain
from tests.support.ledger_env import WritePath, chain_time
from ledger.domain.schemas.office import CommitmentDecision
from tests.support.samples import assessment, commitment, make_uscc, payment, project, project_code, sha

ASSESSED, UNASSESSED, LAPSED, SLASHED = 801, 802, 803, 804  # sample project numbers
SLASHED_VOUCHER = "SP/2026/0804-1"


@dataclass
class PublicWorld:
    chain: Chain
    database_url: str
    manifest_path: Path
    engine: Engine
    assessed_code: str
    unassessed_code: str
    vouchers: list[str]  # of the assessed project, in payment order
    amounts: list[int]
    commitments: list[str]
    due_fen: int
    overdue: str  # commitment numbers of the lapsed project (builder make_uscc(LAPSED))
    breached: str
    slashed_voucher: str  # paid on project SLASHED (builder make_uscc(ASSESSED))

    def settings(self, **groups) -> Settings:
        """Settings on this world (groups given as dicts override, e.g. api={"public_burst": 1000})."""
        return Settings(
            database={"url": self.database_url},
            rpc={"url": self.chain.node.url},
            deployment={"manifest_path": self.manifest_path},
            **groups,
        )

    def env(self) -> dict[str, str]:
        return {
            "LEDGER_DATABASE_URL": self.database_url,
            "LEDGER_RPC_URL": self.chain.node.url,
            "LEDGER_MANIFEST_PATH": str(self.manifest_path),
        }


def index(path: WritePath) -> None:
    indexer = path.indexer()
    indexer.catch_up()
    indexer.release()


GRACE = 86_400  # the registry's shortest overdue grace period


@pytest.fixture(scope="session")
def public_world(tmp_path_factory) -> PublicWorld:
    folder = tmp_path_factory.mktemp("public-world")
    with LocalNode() as node:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        # The shortest grace period (a day): the registry (v3) counts it from recording, so the
        # chain's clock is moved past it before the lapsed commitments below are swept.
        manifest, _ = deploy(w3, signers, options=DeployOptions(overdue_grace_period=GRACE))
        manifest.save(folder / "deployment.json")
        chain = Chain(node=node, w3=w3, manifest=manifest, signers=signers)
        chain.reset()
        url = f"sqlite:///{folder / 'ledger.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        path = WritePath(chain=chain, url=url, engine=engine)
        index(path)  # the rate tables deploy published
        numbers = ["CN-PUB-0001", "CN-PUB-0002"]
        with path.session() as s:
            for n in (ASSESSED, UNASSESSED):
                projects.register_project(s, project=project(n), client="approval")
            fees.assess_fee(s, assessment=assessment(ASSESSED), actor="office")
            commitments.record_commitments(
                s,
                commitments=[commitment(ASSESSED, numbers[0]), commitment(ASSESSED, numbers[1], kind="materials")],
                client="approval",
            )
            s.commit()
            due = payments.levies_feed(s, limit=10).items[0].amount_fen
        path.drain()
        vouchers, amounts = ["332026000000800001", "332026000000800002"], [1_000_000, 2_500_000]
        with path.session() as s:
            for voucher, amount in zip(vouchers, amounts):
                payments.confirm_payment(
                    s, confirmation=payment(ASSESSED, voucher, amount, paid_at=chain_time(chain)), client="tax"
                )
            s.commit()
        path.drain()
        index(path)
        _pay_under_a_slashed_voucher(path)
        overdue, breached = _lapse(path)
        yield PublicWorld(
            chain=chain,
            database_url=url,
            manifest_path=folder / "deployment.json",
            engine=engine,
            assessed_code=project_code(ASSESSED),
            unassessed_code=project_code(UNASSESSED),
            vouchers=vouchers,
            amounts=amounts,
            commitments=numbers,
            due_fen=due,
            overdue=overdue,
            breached=breached,
            slashed_voucher=SLASHED_VOUCHER,
        )
        engine.dispose()


def _pay_under_a_slashed_voucher(path: WritePath) -> None:
    """Project SLASHED (the assessed project's builder): assessed, and paid once under SLASHED_VOUCHER."""
    with path.session() as s:
        projects.register_project(s, project=project(SLASHED, builder=ASSESSED), client="approval")
        fees.assess_fee(s, assessment=assessment(SLASHED), actor="office")
        s.commit()
    path.drain()
    paid = payment(SLASHED, SLASHED_VOUCHER, 500_000, paid_at=chain_time(path.chain))
    with path.session() as s:
        payments.confirm_payment(
            s, confirmation=paid.model_copy(update={"payer_uscc": make_uscc(ASSESSED)}), client="tax"
        )
        s.commit()
    path.drain()
    index(path)


def _lapse(path: WritePath) -> tuple[str, str]:
    """Two fee commitments signed 100 days ago, due 98 days ago: the sweep marks both overdue, the
    office records one breach."""
    signed = datetime.now(timezone.utc) - timedelta(days=100)
    numbers = ["CN-PUB-0003", "CN-PUB-0004"]
    with path.session() as s:
        projects.register_project(s, project=project(LAPSED), client="approval")
        commitments.record_commitments(
            s,
            commitments=[
                commitment(LAPSED, n, kind="fee_payment").model_copy(
                    update={"signed_at": signed, "due_date": (signed + timedelta(days=2)).date()}
                )
                for n in numbers
            ],
            client="approval",
        )
        s.commit()
    path.drain()
    index(path)
    path.chain.travel(GRACE + 60)  # the grace runs from recording (v3): let it go by on the chain
    with path.session() as s:
        assert len(commitments.sweep_overdue(s, now=path.chain.now() + 1)) == 2  # the chain's time
        s.commit()
    path.drain()
    index(path)
    with path.session() as s:
        commitments.decide_commitment(
            s,
            commitment_number=numbers[1],
            actor="office",
            decision=CommitmentDecision(action="breach", document_sha256=sha("breach")),
        )
        s.commit()
    path.drain()
    index(path)
    return numbers[0], numbers[1]
