"""The enterprise's project page when the matter is done: a world of its own (the public world is
read-only) on the session's chain node, freshly reset — a project assessed and paid in full, its
commitment fulfilled, and a ticket its builder filed about it, answered and rated. The timeline shows
every one of those steps and nothing is expected of anyone."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ledger.access.users import add_user
from ledger.core.field_encryption import field_cipher
from ledger.core.settings import Settings, get_settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import commitments, fees, payments, projects, tickets
from ledger.domain.schemas.office import CommitmentDecision
from tests.portal.conftest import PASSWORD, log_in
from tests.support.ledger_env import WritePath, chain_time
from tests.support.samples import assessment, commitment, make_uscc, payment, project, project_code, sha
from web.app import create_app

CLEARED = 831  # sample project number
COMMITMENT, VOUCHER = "CN-DONE-0001", "332026000000831001"


@dataclass
class ClearedWorld:
    path: WritePath
    settings: Settings
    ticket: str

    def settle(self) -> None:
        writer = self.path.drain()
        indexer = self.path.indexer()
        indexer.catch_up()
        indexer.release()
        writer.mark_indexed()


@pytest.fixture(scope="module")
def world(deployed_chain, tmp_path_factory):
    deployed_chain.reset()
    folder = tmp_path_factory.mktemp("cleared-world")
    deployed_chain.manifest.save(folder / "deployment.json")
    url = f"sqlite:///{folder / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    settings = Settings(
        database={"url": url},
        rpc={"url": deployed_chain.node.url},
        deployment={"manifest_path": folder / "deployment.json"},
        api={"public_burst": 1000},
    )
    world = ClearedWorld(WritePath(chain=deployed_chain, url=url, engine=engine), settings, ticket="")
    world.settle()  # the rate tables deploy published
    builder = add_user(engine, username="builder-831", password=PASSWORD, role="enterprise", uscc=make_uscc(CLEARED))
    with world.path.session() as s:
        projects.register_project(s, project=project(CLEARED), client="approval")
        fees.assess_fee(s, assessment=assessment(CLEARED), actor="office")
        commitments.record_commitments(s, commitments=[commitment(CLEARED, COMMITMENT)], client="approval")
        s.commit()
        due = payments.levies_feed(s, limit=10).items[0].amount_fen
    world.settle()
    with world.path.session() as s:
        paid = payment(CLEARED, VOUCHER, due, paid_at=chain_time(deployed_chain))
        payments.confirm_payment(s, confirmation=paid, client="tax")
        commitments.decide_commitment(
            s,
            commitment_number=COMMITMENT,
            actor="office",
            decision=CommitmentDecision(action="fulfil", document_sha256=sha("acceptance")),
        )
        filed = tickets.submit(
            s,
            kind="consultation",
            topic="project",
            project_code=project_code(CLEARED),
            title="缴款后多久可查到",
            body="请问缴款后多久可在平台查到？",
            contact="13800000000",
            cipher=field_cipher(settings),
            settings=settings.tickets,
            user_id=builder.id,
        )
        tickets.answer(s, number=filed.ticket.number, text="税务确认后数秒内可查。", by="office")
        tickets.rate(s, number=filed.ticket.number, code=filed.code, rating="satisfied")
        s.commit()
    world.settle()
    world.ticket = filed.ticket.number
    yield world
    engine.dispose()
    deployed_chain.reset()


@pytest.fixture(scope="module")
def builder(world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: world.settings
    with TestClient(app, follow_redirects=False) as client:
        assert log_in(client, "builder-831").status_code == 303
        yield client


def test_a_paid_project_with_its_commitment_fulfilled_and_its_ticket_rated_expects_nothing_of_anyone(world, builder):
    html = builder.get(f"/workspace/projects/{project_code(CLEARED)}").text
    assert 'id="nothing-expected"' in html and "本项目费用已结清" in html
    next_section = html[html.index('id="next"') : html.index('id="timeline-heading"')]
    assert 'class="button"' not in next_section and "贵单位</strong>" not in next_section
    timeline = html[html.index('<ol class="timeline">') :]
    for kind in ("assessed", "payment", "commitment_recorded", "commitment_fulfilled", "ticket"):
        assert f'class="step step-{kind}"' in timeline, kind  # none of them is waiting ("step-current")
    assert "step-current" not in timeline
    assert world.ticket in timeline and "已评价" in timeline and COMMITMENT in timeline
    assert f"/receipts/{VOUCHER}" in timeline and "已缴清" in html
