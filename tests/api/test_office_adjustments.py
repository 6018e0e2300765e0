"""POST /v1/office/adjustments holds four-eyes as the office workspace does (ledger.domain.approvals):
a reduction that takes the levy's cumulative reduction past the threshold answers 202 with the held
status and the approval's id, and sends nothing until a second officer approves it."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from ledger.core.settings import get_settings
from ledger.db.write_model import Levy, OfficeApproval, OutboxCommand
from tests.portal.conftest import PASSWORD
from tests.portal.office_world import office_world  # noqa: F401
from web.app import create_app

PATH = "/v1/office/adjustments"


@pytest.fixture(scope="module")
def office(office_world):  # noqa: F811
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: office_world.settings(api={"public_burst": 1000})
    with TestClient(app, follow_redirects=False) as client:
        login = client.post("/v1/auth/login", json={"username": "office-clerk", "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield client


def reduction(project_code: str, fen: int) -> dict:
    return {
        "project_code": project_code,
        "reason_code": "SURVEY_REDUCTION",
        "delta_fen": -fen,
        "document_sha256": hashlib.sha256(str(fen).encode()).hexdigest(),
    }


def sent_and_levied(world, project_code: str) -> tuple[int, int]:
    with world.path.session() as s:
        commands = s.execute(select(func.count()).select_from(OutboxCommand)).scalar_one()
        levy = s.execute(
            select(col(Levy.amount_fen)).where(col(Levy.project_code) == project_code, col(Levy.kind) == "assessment")
        ).scalar_one()
    return commands, levy


def test_a_reduction_above_the_threshold_is_held_for_a_second_officer_not_applied(office, office_world):  # noqa: F811
    code = office_world.assessed_project(841)
    before = sent_and_levied(office_world, code)
    response = office.post(PATH, json=reduction(code, 10_000_001))  # one fen above ¥100,000
    assert response.status_code == 202, response.text
    held = response.json()
    assert held["status"] == "awaiting_second_officer" and "command_id" not in held
    assert (held["project_code"], held["reduction_fen"], held["threshold_fen"]) == (code, 10_000_001, 10_000_000)
    assert response.headers["Location"] == held["status_url"] == f"/office/approvals/{held['approval_id']}"
    assert sent_and_levied(office_world, code) == before
    with office_world.path.session() as s:
        approval = s.get(OfficeApproval, held["approval_id"])
    assert (approval.status, approval.requested_by, approval.delta_fen) == ("awaiting", "office-clerk", -10_000_001)


def test_reductions_split_under_the_threshold_are_held_once_their_sum_passes_it(office, office_world):  # noqa: F811
    code = office_world.assessed_project(842)
    made = office.post(PATH, json=reduction(code, 6_000_000))
    assert made.status_code == 202 and made.json()["status"] == "accepted" and made.json()["kind"] == "adjust_fee"
    before = sent_and_levied(office_world, code)
    held = office.post(PATH, json=reduction(code, 6_000_000))
    assert held.status_code == 202 and held.json()["status"] == "awaiting_second_officer"
    assert held.json()["cumulative_reduction_fen"] == 12_000_000
    assert sent_and_levied(office_world, code) == before


def test_a_reduction_that_could_not_be_made_is_refused_naming_the_field_not_held(office, office_world):  # noqa: F811
    """A 202 is a promise: a reduction larger than the levy is refused now, not held for a second
    officer whose approval would then fail."""
    code = office_world.assessed_project(843)
    before = sent_and_levied(office_world, code)
    with office_world.path.session() as s:
        held_before = s.execute(select(func.count()).select_from(OfficeApproval)).scalar_one()
    response = office.post(PATH, json=reduction(code, before[1] + 1))
    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["rule"]) == ("delta_fen", "not_below_zero")
    assert sent_and_levied(office_world, code) == before
    with office_world.path.session() as s:
        assert s.execute(select(func.count()).select_from(OfficeApproval)).scalar_one() == held_before
