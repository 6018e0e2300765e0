"""The regulator's reconciliation pages: the button asks the worker for a run, the dashboard shows the
latest result, each kind drills down to its findings with their proofs, and the findings export."""

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.db.supervision_model import ReconciliationRun
from ledger.domain import reconciliation
from tests.portal.conftest import csrf_of
from tests.portal.test_exports import sheet_rows
from tests.support.reconciliation_world import plant_voucher_not_on_chain, remove_statements


@pytest.fixture
def planted(public_world):
    """A line of the tax system's statement the chain does not hold (taken away afterwards)."""
    yield plant_voucher_not_on_chain(public_world.engine, "332026000000899999", amount_fen=5000)
    remove_statements(public_world.engine)


def run_as_the_worker_does(engine) -> int:
    with Session(engine) as s:
        run = reconciliation.due_run(s, every_seconds=86_400)
        assert run is not None and run.trigger == "on_demand"
        s.commit()
        run_id = reconciliation.reconcile(s, now=0, sweep_slack_seconds=0, audit=None, run=run)
        s.commit()
    return run_id


def test_the_regulator_asks_for_a_run_and_sees_its_findings_on_the_dashboard_with_proofs_and_exports(
    people, public_world, planted
):
    reg = people["portal-reg"]
    page = reg.get("/regulator/reconciliation")
    answer = reg.post("/regulator/reconciliation", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/regulator/reconciliation"
    run_id = run_as_the_worker_does(public_world.engine)

    home = reg.get("/regulator").text
    assert f"第 {run_id} 次对账" in home and "税务对账单有、链上无的缴款</a>：1" in home
    detail = reg.get(f"/regulator/reconciliation?run_id={run_id}&kind=payment_missing_on_chain").text
    assert planted in detail and "本系统未收到其缴款确认" in detail
    table = list(
        csv.reader(
            io.StringIO(
                reg.get(f"/regulator/reconciliation.csv?run_id={run_id}&kind=payment_missing_on_chain").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert table[0][:3] == ["对账编号", "类别", "对象"] and [row[2] for row in table[1:]] == [planted]
    sheet = sheet_rows(reg.get(f"/regulator/reconciliation.xlsx?run_id={run_id}&kind=payment_missing_on_chain").content)
    assert [["" if v is None else str(v) for v in row] for row in sheet] == table
    assert type(sheet[1][0]) is int


def test_a_run_asked_for_twice_before_the_worker_starts_it_is_one_run(people, public_world):
    reg = people["portal-reg"]
    token = csrf_of(reg.get("/regulator/reconciliation").text)
    for _ in range(2):
        assert reg.post("/regulator/reconciliation", data={"csrf_token": token}).status_code == 303
    with Session(public_world.engine) as s:
        waiting = s.execute(select(func.count()).where(ReconciliationRun.status == "requested")).scalar_one()
    assert waiting == 1
    assert "在排队" in reg.get("/regulator/reconciliation").text
    run_as_the_worker_does(public_world.engine)


def test_only_a_regulator_sees_or_runs_the_reconciliation(people):
    for username in ("portal-ent", "portal-office"):
        client = people[username]
        assert client.get("/regulator/reconciliation").status_code == 403
        assert client.get("/regulator/reconciliation.csv").status_code == 403
    assert people["portal-reg"].post("/regulator/reconciliation", data={"csrf_token": "0" * 64}).status_code == 403


def test_an_unknown_run_or_kind_is_refused(people):
    reg = people["portal-reg"]
    assert reg.get("/regulator/reconciliation?run_id=999999").status_code == 404
    assert reg.get("/regulator/reconciliation?kind=nonsense").status_code == 422
