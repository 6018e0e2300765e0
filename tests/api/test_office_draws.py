"""/v1/office/draws answers as the office's draw service decides (ledger.domain.draw_office): a refusal
names the field and the rule and queues nothing; the outcome form takes the report as a file. (The
whole commit → reveal → outcomes path on a node is tests/ledger/domain/test_draw_office.py.)"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger.core.settings import get_settings
from ledger.db.write_model import OutboxCommand
from tests.portal.conftest import PASSWORD
from tests.portal.office_world import office_world  # noqa: F401
from tests.support.documents import pdf
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
