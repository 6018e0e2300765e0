"""/v1/office/draws answers as the office's draw service decides (ledger.domain.draw_office): a refusal
names the field and the rule and queues nothing; the outcome form takes the report as a file. (The
whole commit → reveal → outcomes path on a node, with its refusals, is tests/ledger/domain/test_draw_office.py;
here each write's answer: 202 with Location at its command.)"""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger.core.settings import get_settings
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain import inspections
from tests.portal.conftest import PASSWORD
from tests.portal.office_world import office_world  # noqa: F401
from tests.support.documents import pdf
from tests.support.samples import project
from web.app import create_app

DRAW = {
    "draw_number": "DRAW-API-1",
    "title": "2026年第一季度 抽查",
    "period_start": "2026-03-31",
    "period_end": "2026-01-01",
    "inspectors": ["INSP-1", "INSP-2"],
    "commitments_to_pick": 1,
    "inspectors_to_pick": 1,
}


@pytest.fixture(scope="module")
def office(office_world):  # noqa: F811
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: office_world.settings(api={"public_burst": 1000})
    with TestClient(app, follow_redirects=False) as client:
        login = client.post("/v1/auth/login", json={"username": "office-clerk", "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield client


def queued(world) -> int:
    with world.path.session() as s:
        return s.execute(select(func.count()).select_from(OutboxCommand)).scalar_one()


def test_a_refused_draw_names_the_field_and_rule_and_queues_nothing(office, office_world):  # noqa: F811
    before = queued(office_world)
    backwards = office.post("/v1/office/draws", json=DRAW)
    assert backwards.status_code == 422, backwards.text
    assert (backwards.json()["field"], backwards.json()["rule"]) == ("period_end", "period_order")
    too_soon = office.post("/v1/office/draws", json=DRAW | {"period_end": "2026-12-31", "reveal_in_blocks": 5})
    assert too_soon.status_code == 422 and "reveal_in_blocks" in too_soon.text
    assert queued(office_world) == before
    assert office.get("/v1/office/draws").json() == []


def test_reveal_and_outcomes_of_an_unknown_draw_are_not_found(office):
    assert office.post("/v1/office/draws/DRAW-NONE/reveal").json()["rule"] == "office_draw"
    outcome = office.post(
        "/v1/office/draws/DRAW-NONE/outcomes",
        data={"commitment_number": "CN-1", "outcome": "conforms"},
        files={"file": ("report.pdf", pdf(1), "application/pdf")},
    )
    assert outcome.status_code == 404 and outcome.json()["field"] == "draw_number"


DRAWN = 830  # a project of this module's own, its commitments fulfilled for the draw's pool


def test_commit_reveal_and_outcome_answer_202_with_location_at_their_commands(office, office_world, monkeypatch):  # noqa: F811
    from ledger.domain import chain_time

    node = office_world.path.chain
    clock = chain_time.ChainClock(node.node.url)  # the services ask this node for its time and head
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    monkeypatch.setattr(chain_time, "head_block", lambda: node.w3.eth.block_number)
    numbers = [f"CN-DRAWN-{n}" for n in range(3)]
    office_world.fulfilled_commitments(DRAWN, numbers)

    def answered_at_its_command(answer) -> dict:
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"] == answer.json()["status_url"]
        return answer.json()

    today = date.today()
    committed = answered_at_its_command(
        office.post(
            "/v1/office/draws",
            json=DRAW
            | {
                "draw_number": "DRAW-API-2",
                "period_start": f"{today.year}-01-01",
                "period_end": f"{today.year}-12-31",
                "commitment_kind": "materials",
                "district": project(DRAWN).district,
                "reveal_in_blocks": 20,
            },
        )
    )
    office_world.settle()
    node.mine(committed["reveal_block"] - node.w3.eth.block_number + 1)
    answered_at_its_command(office.post("/v1/office/draws/DRAW-API-2/reveal"))
    office_world.settle()
    with office_world.path.session() as s:
        drawn = inspections.public_draw(s, draw=committed["draw"])
        by_key = {r.commitment_key: r.commitment_number for r in s.execute(select(CommitmentRecord)).scalars()}
    (selected,) = [by_key[k] for k in drawn.selected_commitments]
    answered_at_its_command(
        office.post(
            "/v1/office/draws/DRAW-API-2/outcomes",
            data={"commitment_number": selected, "outcome": "conforms"},
            files={"file": ("report.pdf", pdf(7), "application/pdf")},
        )
    )
    office_world.settle()
    with office_world.path.session() as s:
        assert {c.status for c in s.execute(select(OutboxCommand)).scalars()} == {"indexed"}


RECOMMITTED = 831  # a project of this module's own, for the draw left unrevealed


def test_a_draw_left_unrevealed_is_recommitted_with_202_at_its_command_and_refused_while_revealable(
    office,
    office_world,  # noqa: F811
    monkeypatch,
):
    from ledger.domain import chain_time, draw_office

    node = office_world.path.chain
    monkeypatch.setattr(chain_time, "head_block", lambda: node.w3.eth.block_number)
    office_world.fulfilled_commitments(RECOMMITTED, [f"CN-RECOMMIT-{n}" for n in range(2)])
    today = date.today()
    committed = office.post(
        "/v1/office/draws",
        json=DRAW
        | {
            "draw_number": "DRAW-API-3",
            "period_start": f"{today.year}-01-01",
            "period_end": f"{today.year}-12-31",
            "district": project(RECOMMITTED).district,
        },
    ).json()
    office_world.settle()
    before = queued(office_world)
    early = office.post("/v1/office/draws/DRAW-API-3/recommit", json={"reveal_in_blocks": 20})
    assert early.status_code == 409 and (early.json()["field"], early.json()["rule"]) == (
        "draw_number",
        "reveal_window_passed",
    )
    assert queued(office_world) == before

    node.mine(committed["reveal_block"] + draw_office.REVEAL_WINDOW - node.w3.eth.block_number)
    answer = office.post("/v1/office/draws/DRAW-API-3/recommit", json={})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert answer.headers["Location"] == body["status_url"] and body["kind"] == "commit_draw"
    assert (body["reveal_block"], body["reveal_in_blocks"]) == (node.w3.eth.block_number + 20, 20)  # the earliest
    assert queued(office_world) == before + 2
    office_world.settle()
    (listed,) = [d for d in office.get("/v1/office/draws").json() if d["draw_number"] == "DRAW-API-3"]
    with office_world.path.session() as s:
        drawn = inspections.public_draw(s, draw=committed["draw"])
    assert drawn.expired_attempts == 1
    # The writer counted the 20 blocks from the head when it sent the commitment, after the expiry was mined.
    assert drawn.reveal_block >= body["reveal_block"]
    assert (listed["status"], listed["reveal_block"], listed["command_id"]) == (
        "committed",
        drawn.reveal_block,
        body["command_id"],
    )
