"""Reads from a streaming replica (LEDGER_DATABASE_READ_URL): the write path and the indexer on the
primary, /v1/public and /v1/regulator through the read engine on the replica. An answer shows the
read model at the checkpoint it reports, which is the replica's (it may trail the primary's), and
moves with it once the replica replays; a kept answer is not served once its project changed there."""

import asyncio
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ledger.access.users import add_user
from ledger.core.settings import Settings, get_settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import chain_time, fees, payments, projects
from tests.support.chain import module_chain  # noqa: F401  (a node of the module's own: wall-clock time)
from tests.support.ledger_env import WritePath
from tests.support.ledger_env import chain_time as now_on
from tests.support.replica import PrimaryAndReplica
from tests.support.samples import assessment, payment, project, project_code
from web.app import create_app
from web.kit import cached_reads as reads
from web.kit.deps import get_read_engine_for
from web.kit.read_cache import ReadCache

PROJECT = 901
CODE = project_code(PROJECT)
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    pair: PrimaryAndReplica
    path: WritePath
    settings: Settings
    vouchers: list[str]

    def pay(self, amount_fen: int) -> None:
        """A confirmed payment written on chain by the outbox writer and indexed into the primary."""
        voucher = f"3320269010{len(self.vouchers):08d}"
        with self.path.session() as s:
            payments.confirm_payment(
                s, confirmation=payment(PROJECT, voucher, amount_fen, paid_at=now_on(self.path.chain)), client="tax"
            )
            s.commit()
        self.path.drain()
        index(self.path)
        self.vouchers.append(voucher)

    def paid_on_primary_up_to(self, block_number: int) -> int:
        """What the primary's read model says was paid up to this block: the state at that checkpoint."""
        with self.path.engine.connect() as conn:
            return conn.execute(
                text("SELECT coalesce(sum(amount_fen), 0) FROM payments WHERE block_number <= :b"), {"b": block_number}
            ).scalar()

    def checkpoint(self, engine: Engine) -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT block_number FROM chain_state")).scalar()


def index(path: WritePath) -> None:
    indexer = path.indexer()
    indexer.catch_up()
    indexer.release()


@pytest.fixture(scope="module")
def world(module_chain, tmp_path_factory):  # noqa: F811
    pair = PrimaryAndReplica()
    primary_url, replica_url = pair.create_database("ledger")
    engine = make_engine(primary_url)
    upgrade_schema(engine)
    manifest = tmp_path_factory.mktemp("replica") / "deployment.json"
    module_chain.manifest.save(manifest)
    path = WritePath(chain=module_chain, url=primary_url, engine=engine)
    clock = chain_time.ChainClock(module_chain.node.url)  # the services judge fact times by this node's clock
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chain_time, "chain_clock", lambda: clock)
        index(path)  # the rate tables deploy published
        with path.session() as s:
            projects.register_project(s, project=project(PROJECT), client="approval")
            fees.assess_fee(s, assessment=assessment(PROJECT), actor="office")
            s.commit()
        path.drain()
        index(path)
        add_user(engine, username="auditor", password=PASSWORD, role="regulator")
        settings = Settings(
            database={"url": primary_url, "read_url": replica_url},
            rpc={"url": module_chain.node.url},
            deployment={"manifest_path": manifest},
            api={"public_burst": 10_000, "public_cache_check_seconds": 0.001},
        )
        yield World(pair=pair, path=path, settings=settings, vouchers=[])
    get_read_engine_for(settings).dispose()
    engine.dispose()
    pair.close()


@pytest.fixture(scope="module")
def http(world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: world.settings
    with TestClient(app, client=("198.51.100.9", 40000)) as client:
        assert client.post("/v1/auth/login", json={"username": "auditor", "password": PASSWORD}).status_code == 200
        yield client


def public_project(http) -> dict:
    response = http.get(f"/v1/public/projects/{CODE}")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_public_inquiry_shows_a_payment_once_the_replica_has_replayed_it(world, http):
    world.pair.caught_up()
    before = public_project(http)
    world.pay(300_000)
    world.pair.caught_up()
    after = public_project(http)
    assert after["fee"]["paid_fen"] == before["fee"]["paid_fen"] + 300_000
    assert after["as_of"]["block_number"] == world.checkpoint(world.path.engine)  # the replica has all of it
    assert after["fee"]["proof"]["block_number"] <= after["as_of"]["block_number"]


def test_an_answer_shows_the_state_at_the_checkpoint_it_reports_while_the_replica_trails(world, http):
    world.pair.caught_up()
    held = public_project(http)
    trail = http.get(f"/v1/regulator/projects/{CODE}/money-trail")
    assert trail.status_code == 200, trail.text
    with world.pair.paused():
        world.pay(200_000)
        world.pay(100_000)
        primary_at = world.checkpoint(world.path.engine)
        assert primary_at > held["as_of"]["block_number"]  # the primary has moved on
        trailing = public_project(http)
        assert trailing["as_of"] == held["as_of"]  # the replica's checkpoint, not the primary's
        assert trailing["fee"]["paid_fen"] == world.paid_on_primary_up_to(trailing["as_of"]["block_number"])
        assert http.get(f"/v1/regulator/projects/{CODE}/money-trail").json() == trail.json()  # the replica's
    world.pair.caught_up()
    moved = public_project(http)
    assert moved["as_of"]["block_number"] == primary_at
    assert moved["fee"]["paid_fen"] == world.paid_on_primary_up_to(primary_at) == held["fee"]["paid_fen"] + 300_000
    assert http.get(f"/v1/regulator/projects/{CODE}/money-trail").json() != trail.json()


def test_an_answer_kept_at_one_checkpoint_is_not_served_once_the_replica_replays_a_change(world):
    """The cache on the read engine, as the API builds it, with the test's clock: each ask is past the next check."""
    now = [0.0]
    cache = ReadCache(
        get_read_engine_for(world.settings), seconds=60, check_seconds=1, entries=100, clock=lambda: now[0]
    )

    def ask() -> dict:
        now[0] += 2
        return asyncio.run(reads.project(cache, CODE)).model_dump(mode="json")

    world.pair.caught_up()
    kept = ask()
    with world.pair.paused():
        world.pay(50_000)
        assert ask() == kept  # kept: the replica has not shown the change
    world.pair.caught_up()
    fresh = ask()
    assert fresh["as_of"]["block_number"] > kept["as_of"]["block_number"]
    assert fresh["fee"]["paid_fen"] == kept["fee"]["paid_fen"] + 50_000


def test_while_the_replica_is_down_its_reads_answer_503_and_the_primary_takes_writes(world, http):
    world.pair.replica.stop()
    try:
        response = http.get(f"/v1/public/projects/{CODE}")
        assert response.status_code == 503, response.text
        assert http.get(f"/v1/regulator/projects/{CODE}/money-trail").status_code == 503
        world.pay(10_000)  # the write path and the indexer, on the primary
    finally:
        world.pair.replica.start()
    world.pair.caught_up()
    assert public_project(http)["fee"]["paid_fen"] == world.paid_on_primary_up_to(world.checkpoint(world.path.engine))
