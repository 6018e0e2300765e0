"""Credit repair with public notice on the portal (TestClient) against the office's world of its own, a
real node whose clock the tests move: a commitment is marked overdue and breached on chain; a repair
decision without an application is refused (form and API); the enterprise applies from its commitment's
page, the office rejects with a reason the enterprise reads; it applies again, the office publishes the
application (a repair notice among the announcements and in the Atom feed), the public objects through
the consultation channel and the office sees it; approval before the period ends is refused naming the
date (form 422 in Chinese, API 409), nothing queued; after it the repair reaches the chain, the score
changes by the rule set's `repaired` weight and the timeline shows the whole path."""

import hashlib
import re

import feedparser
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger.core.settings import get_settings
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain import chain_time, credit_records, repairs
from ledger.domain.common import SHANGHAI
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.repair_gate import ends_text
from tests.portal.conftest import csrf_of, log_in
from tests.portal.office_world import ASSESSED, office_world  # noqa: F401
from tests.portal.tickets_world import challenge_answer
from tests.support.documents import HTML, pdf, png
from tests.support.repairs import NodeClock, breach_on_chain
from tests.support.samples import make_uscc, sha
from web.app import create_app

DAY = 86_400
NOTICE_DAYS = 7
NUMBER = "CN-REP-0001"
BUILDER, CLERK = f"builder-{ASSESSED}", "office-clerk"


@pytest.fixture(scope="module")
def world(office_world):  # noqa: F811
    """The office's world with the services judging by its node's clock and commitment NUMBER breached."""
    chain = office_world.path.chain
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chain_time, "chain_clock", lambda: NodeClock(chain))
        breach_on_chain(office_world, number=NUMBER, project=ASSESSED)
        assert on_chain(office_world) == "breached"
        yield office_world


@pytest.fixture(scope="module")
def clients(world, tmp_path_factory):
    documents = tmp_path_factory.mktemp("repair-documents")
    app = create_app()
    settings = world.settings(
        api={"public_burst": 1000},
        documents={"directory": documents, "max_bytes": 4096},
        repair={"notice_days": NOTICE_DAYS},
    )
    app.dependency_overrides[get_settings] = lambda: settings
    logged_in = {}
    for username in (BUILDER, CLERK):
        client = TestClient(app, follow_redirects=False)
        assert log_in(client, username).status_code == 303
        logged_in[username] = client
    logged_in["public"] = TestClient(app, follow_redirects=False)
    yield logged_in
    for client in logged_in.values():
        client.close()


def on_chain(world) -> str:
    with world.path.session() as s:
        key = s.get(CommitmentRecord, NUMBER).commitment_key
        return s.execute(select(CommitmentView.status).where(CommitmentView.commitment == key)).scalar_one()


def repair_commands(world) -> list[dict]:
    with world.path.session() as s:
        rows = s.execute(select(OutboxCommand.args).where(OutboxCommand.kind == "repair_commitment")).scalars()
        return [orjson.loads(args) for args in rows]


def page_of() -> str:
    return f"/workspace/commitments/{NUMBER}/evidence"


def apply(client: TestClient, statement: str, files: list[tuple[str, bytes, str]]):
    csrf = csrf_of(client.get(page_of()).text)
    return client.post(
        f"/workspace/commitments/{NUMBER}/repair",
        data={"csrf_token": csrf, "statement": statement},
        files=[("file", f) for f in files],
    )


def latest_application(world) -> repairs.Application:
    with world.path.session() as s:
        return repairs.applications_of_commitment(s, commitment_number=NUMBER)[0]


def decide_on_the_form(clerk: TestClient):
    """信用修复 on the decision page: no file to upload, the commitment's published application is its document."""
    form = clerk.get(f"/office/commitments/{NUMBER}/decide").text
    return clerk.post(f"/office/commitments/{NUMBER}/decide", data={"action": "repair", "csrf_token": csrf_of(form)})


def decide_by_the_api(clerk: TestClient, digest: str):
    csrf = csrf_of(clerk.get("/office/queue").text)
    return clerk.post(
        f"/v1/office/commitments/{NUMBER}/decisions",
        json={"action": "repair", "document_sha256": digest},
        headers={"X-CSRF-Token": csrf},
    )


def test_a_repair_decision_without_an_application_is_refused_on_the_form_and_by_the_api(clients, world):
    clerk = clients[CLERK]
    refused = decide_on_the_form(clerk)
    assert refused.status_code == 422
    assert "没有已公示的信用修复申请" in refused.text
    problem = decide_by_the_api(clerk, sha("repair"))
    assert problem.status_code == 409, problem.text
    assert (problem.json()["field"], problem.json()["rule"]) == ("action", "repair_application_required")
    assert repair_commands(world) == []


def test_the_enterprise_applies_the_office_rejects_with_a_reason_and_the_enterprise_reads_it(clients, world):
    builder, clerk = clients[BUILDER], clients[CLERK]
    page = builder.get(page_of()).text
    assert "申请信用修复" in page and 'name="statement"' in page
    bad = apply(builder, "已整改。", [("report.pdf", HTML, "application/pdf")])
    assert bad.status_code == 422 and "只接受" in bad.text and "已整改。" in bad.text  # the statement kept
    assert latest_application_or_none(world) is None

    response = apply(builder, "已补建防空地下室。", [("整改报告.pdf", pdf(31), "application/pdf")])
    assert response.status_code == 303 and response.headers["location"].startswith(page_of())
    second = apply(builder, "再申请一次。", [("又一份.pdf", pdf(32), "application/pdf")])
    assert second.status_code == 422 and "已有一份信用修复申请正在办理" in second.text

    application = latest_application(world)
    assert application.id in clerk.get("/office/queue").text
    page = clerk.get(f"/office/repairs/{application.id}")
    assert page.status_code == 200 and "已补建防空地下室。" in page.text
    csrf = csrf_of(page.text)
    assert clerk.post(f"/office/repairs/{application.id}/reject", data={"csrf_token": csrf}).status_code == 422
    rejected = clerk.post(
        f"/office/repairs/{application.id}/reject", data={"csrf_token": csrf, "reason": "缺少竣工验收意见"}
    )
    assert rejected.status_code == 303
    page = builder.get(page_of()).text
    assert "未获批准" in page and "缺少竣工验收意见" in page and 'name="statement"' in page  # may apply again
    assert repair_commands(world) == []
    notices = builder.get("/workspace/notices").text  # told in its workspace too, with the reason
    assert "信用修复申请未通过" in notices and "原因：缺少竣工验收意见" in notices


def latest_application_or_none(world) -> repairs.Application | None:
    with world.path.session() as s:
        found = repairs.applications_of_commitment(s, commitment_number=NUMBER)
    return found[0] if found else None


def test_published_objected_refused_before_the_period_ends_then_repaired_on_chain_with_the_score_by_the_rule(
    clients, world
):
    builder, clerk, public = clients[BUILDER], clients[CLERK], clients["public"]
    files = [("整改报告.pdf", pdf(41), "application/pdf"), ("现场照片.png", png(42), "image/png")]
    assert apply(builder, "已补建防空地下室并通过验收。", files).status_code == 303
    application = latest_application(world)
    assert [f.digest for f in application.files] == [hashlib.sha256(c).hexdigest() for _, c, _ in files]

    page = clerk.get(f"/office/repairs/{application.id}").text
    published = clerk.post(f"/office/repairs/{application.id}/publish", data={"csrf_token": csrf_of(page)})
    assert published.status_code == 303
    application = latest_application(world)
    ends = ends_text(application.notice_ends_at)
    assert application.notice_ends_at.timestamp() == application.published_at.timestamp() + NOTICE_DAYS * DAY
    last_day = application.notice_ends_at.astimezone(SHANGHAI).date()
    notices = builder.get("/workspace/notices").text  # the enterprise is told, with the period's last day
    assert "信用修复申请已公示" in notices and f"公示期至 {last_day}" in notices

    # the public notice, among the announcements and in the feed
    notice_id = f"repair-notice-{application.id}"
    listing = public.get("/announcements").text
    assert "信用修复公示" in listing and notice_id in listing
    notice = public.get(f"/announcements/{notice_id}").text
    assert NUMBER in notice and ends in notice and application.evidence_digest in notice
    feed = feedparser.parse(public.get("/announcements.atom").content)
    assert feed.version == "atom10" and not feed.bozo
    assert any(e.link.endswith(f"/announcements/{notice_id}") for e in feed.entries)

    # an objection through the consultation channel, visible to the office on the application's page
    form = public.get(f"/tickets/new?repair={application.id}").text
    assert "您正在对信用修复公示提出异议" in form
    filed = public.post(
        "/tickets/new",
        data={
            "kind": "complaint",
            "topic": "repair_notice",
            "repair_application_id": application.id,
            "title": "整改并未完成",
            "body": "地下室至今未完工，请核实。",
            "contact": "13800138000",
            **challenge_answer(form),
        },
    )
    assert filed.status_code == 201, filed.text
    number = re.search(r"TS\d{14}", filed.text).group(0)
    page = clerk.get(f"/office/repairs/{application.id}").text
    assert number in page and "整改并未完成" in page and "异议（1）" in page
    ticket = clerk.get(f"/office/tickets/{number}").text  # the objection's ticket leads back to the application
    assert f"/office/repairs/{application.id}" in ticket and "信用修复公示（异议）" in ticket

    # before the period ends: refused naming the date, nothing queued (form and API)
    world.path.chain.travel(NOTICE_DAYS * DAY - 3600)
    early = clerk.post(f"/office/repairs/{application.id}/approve", data={"csrf_token": csrf_of(page)})
    assert early.status_code == 422 and f"信用修复公示期至 {ends}（北京时间）结束" in early.text
    assert decide_on_the_form(clerk).status_code == 422
    problem = decide_by_the_api(clerk, application.evidence_digest)
    assert problem.status_code == 409 and problem.json()["rule"] == "notice_period"
    assert application.notice_ends_at.isoformat() in problem.json()["detail"]
    assert repair_commands(world) == []
    with world.path.session() as s:
        before = credit_records.credit_record(s, enterprise=make_uscc(ASSESSED), known=True).score

    # after it: approved, on chain, the score follows the rule set
    world.path.chain.travel(3600)
    approved = clerk.post(f"/office/repairs/{application.id}/approve", data={"csrf_token": csrf_of(page)})
    assert approved.status_code == 303 and approved.headers["location"].startswith("/office/commands/")
    assert "信用修复申请已批准，待上链" in builder.get("/workspace/notices").text
    (args,) = repair_commands(world)
    assert args["evidence_hash"] == "0x" + application.evidence_digest
    world.settle()
    assert on_chain(world) == "repaired"
    with world.path.session() as s:
        after = credit_records.credit_record(s, enterprise=make_uscc(ASSESSED), known=True)
    assert after.score - before == load_rule_set(after.rule_set).weights["repaired"]
    assert notice_id not in public.get("/announcements").text  # the notice is over

    # the whole path on the commitment's page and on the project's timeline
    page = builder.get(page_of()).text
    assert "已批准" in page and "承诺已信用修复" in page and "收到异议 1 件" in page
    timeline = builder.get(f"/workspace/projects/{world.assessed}").text
    for step in ("申请信用修复", "信用修复公示", "收到公示异议", "批准信用修复", "信用修复未获批准"):
        assert step in timeline, step
    assert repair_transaction(world) in timeline  # the on-chain repair with its proof


def repair_transaction(world) -> str:
    with world.path.session() as s:
        key = s.get(CommitmentRecord, NUMBER).commitment_key
        return s.execute(select(CommitmentView.transaction_hash).where(CommitmentView.commitment == key)).scalar_one()
