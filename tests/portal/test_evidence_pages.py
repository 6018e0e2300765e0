"""Fulfilment evidence on the portal (TestClient) on the office's world of its own: the enterprise
uploads evidence for its commitment (the digest and time go on chain through submitEvidence), the clerk
rejects it with a reason, the enterprise answers with new evidence, the clerk accepts it and the
commitment is fulfilled on chain; bad files, another enterprise and a closed commitment are refused
before anything is written; downloads are attachments for those allowed only."""

import hashlib
import re

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from ledger.access.users import add_user
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from tests.portal.conftest import PASSWORD, csrf_of, log_in
from tests.portal.office_world import office_world  # noqa: F401
from tests.support.documents import HTML, pdf, png
from web.app import create_app

MAX_BYTES = 4096
BUILDER, OTHER, CLERK, REGULATOR = "builder-822", "builder-821", "office-clerk", "evidence-regulator"


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return tmp_path_factory.mktemp("documents")


@pytest.fixture(scope="module")
def clients(office_world, documents):  # noqa: F811
    add_user(office_world.engine, username=REGULATOR, password=PASSWORD, role="regulator")
    app = create_app(
        office_world.settings(api={"public_burst": 1000}, documents={"directory": documents, "max_bytes": MAX_BYTES})
    )
    logged_in = {}
    for username in (BUILDER, OTHER, CLERK, REGULATOR):
        client = TestClient(app, follow_redirects=False)
        assert log_in(client, username).status_code == 303
        logged_in[username] = client
    logged_in["anonymous"] = TestClient(app, follow_redirects=False)
    yield logged_in
    for client in logged_in.values():
        client.close()


def page_of(client: TestClient, number: str) -> str:
    return f"/workspace/commitments/{number}/evidence"


def upload(client: TestClient, number: str, content: bytes, name: str = "验收报告.pdf", mime="application/pdf"):
    csrf = csrf_of(client.get(page_of(client, number)).text)
    return client.post(page_of(client, number), data={"csrf_token": csrf}, files={"file": (name, content, mime)})


def commands(world) -> list[tuple[str, dict]]:
    with world.path.session() as s:
        rows = s.execute(select(OutboxCommand.kind, OutboxCommand.args).order_by(col(OutboxCommand.created_at)))
        return [(kind, orjson.loads(args)) for kind, args in rows]


def on_chain(world, number: str) -> tuple[str, int]:
    with world.path.session() as s:
        key = s.get(CommitmentRecord, number).commitment_key
        row = s.execute(
            select(CommitmentView.status, CommitmentView.evidence_submitted_at).where(
                col(CommitmentView.commitment) == key
            )
        ).one()
        return row.status, row.evidence_submitted_at


def stored(documents) -> list[str]:
    return sorted(p.name for p in documents.rglob("*") if p.is_file())


def review_id(clients) -> str:
    queue = clients[CLERK].get("/office/queue").text
    return re.search(r"/office/evidence/([0-9a-f]{32})", queue.split('id="evidence-heading"')[1]).group(1)


def test_the_workspace_links_each_commitment_to_its_evidence_page(clients, office_world):  # noqa: F811
    home = clients[BUILDER].get("/workspace").text
    assert page_of(clients[BUILDER], office_world.later) in home


@pytest.mark.parametrize(
    ("content", "name", "status", "words"),
    [
        (b"", "empty.pdf", 422, "不能为空"),
        (HTML, "report.pdf", 422, "只接受 PDF、PNG、JPEG 文件"),  # an HTML page, named and typed as a PDF
        (pdf() + b"0" * MAX_BYTES, "large.pdf", 413, "不能超过 4 KB"),
    ],
)
def test_a_bad_file_is_refused_in_chinese_naming_the_rule_and_nothing_is_written(
    clients,
    office_world,  # noqa: F811
    documents,
    content,
    name,
    status,
    words,
):
    before = commands(office_world)
    response = upload(clients[BUILDER], office_world.later, content, name)
    assert response.status_code == status
    assert words in response.text and "文件（file）" in response.text
    assert "the file is" not in response.text and "accepted" not in response.text  # no English on the page
    assert commands(office_world) == before and stored(documents) == []


def test_a_body_far_over_the_limit_is_refused_before_the_form_is_read(clients, office_world):  # noqa: F811
    response = upload(clients[BUILDER], office_world.later, pdf() + b"0" * (3 * MAX_BYTES))
    assert response.status_code == 413 and response.json()["rule"] == "max_bytes"


def test_an_upload_without_the_sessions_csrf_token_is_refused(clients, office_world, documents):  # noqa: F811
    before = commands(office_world)
    for form in ({}, {"csrf_token": "0" * 64}):  # none, and a wrong one, in the multipart form
        response = clients[BUILDER].post(
            page_of(clients[BUILDER], office_world.later), data=form, files={"file": ("a.pdf", pdf())}
        )
        assert response.status_code == 403 and "csrf_token" in response.text
    assert commands(office_world) == before and stored(documents) == []


def test_another_enterprise_can_neither_see_nor_upload_to_the_commitment(clients, office_world, documents):  # noqa: F811
    other = clients[OTHER]
    assert other.get(page_of(other, office_world.later)).status_code == 404
    csrf = csrf_of(other.get("/workspace").text)
    response = other.post(
        page_of(other, office_world.later), data={"csrf_token": csrf}, files={"file": ("a.pdf", pdf())}
    )
    assert response.status_code == 404 and stored(documents) == []


def test_evidence_goes_on_chain_the_clerk_rejects_it_the_enterprise_answers_and_the_acceptance_fulfils(
    clients,
    office_world,  # noqa: F811
    documents,
):
    builder, clerk, number = clients[BUILDER], clients[CLERK], office_world.later
    first = pdf(1)
    response = upload(builder, number, first)
    assert response.status_code == 303 and response.headers["location"] == page_of(builder, number)
    kind, args = commands(office_world)[-1]
    assert kind == "submit_evidence" and args["evidence_hash"] == "0x" + hashlib.sha256(first).hexdigest()
    assert stored(documents) == [hashlib.sha256(first).hexdigest()]
    office_world.settle()
    status, evidence_at = on_chain(office_world, number)
    assert status == "recorded" and evidence_at == args["submitted_at"]
    page = builder.get(page_of(builder, number)).text
    assert "待人防办审查" in page and hashlib.sha256(first).hexdigest() in page
    assert "正在人防办审查中" in page and 'type="file"' not in page  # one submission awaits review at a time
    assert upload(builder, number, pdf(2)).status_code == 422

    submission = review_id(clients)
    review = clerk.get(f"/office/evidence/{submission}").text
    csrf = csrf_of(review)
    assert clerk.post(f"/office/evidence/{submission}/reject", data={"csrf_token": csrf}).status_code == 422
    response = clerk.post(
        f"/office/evidence/{submission}/reject", data={"csrf_token": csrf, "reason": "报告缺少验收单位盖章"}
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/office/commands/")
    assert (
        commands(office_world)[-1][1]["reason_hash"]
        == "0x" + hashlib.sha256("报告缺少验收单位盖章".encode()).hexdigest()
    )
    office_world.settle()
    assert on_chain(office_world, number) == ("recorded", 0)  # the overdue clock runs again
    page = builder.get(page_of(builder, number)).text
    assert "已退回" in page and "报告缺少验收单位盖章" in page and "答复退回：提交新的履约材料" in page

    second = png(2)
    assert upload(builder, number, second, "盖章报告.png", "image/png").status_code == 303
    office_world.settle()
    submission = review_id(clients)
    csrf = csrf_of(clerk.get(f"/office/evidence/{submission}").text)
    assert clerk.post(f"/office/evidence/{submission}/accept", data={"csrf_token": csrf}).status_code == 303
    kind, args = commands(office_world)[-1]
    assert kind == "fulfil_commitment" and args["evidence_hash"] == "0x" + hashlib.sha256(second).hexdigest()
    again = clerk.post(f"/office/evidence/{submission}/accept", data={"csrf_token": csrf})
    assert again.status_code == 422 and commands(office_world)[-1][0] == "fulfil_commitment"
    office_world.settle()
    assert on_chain(office_world, number) == ("fulfilled", 0)
    page = builder.get(page_of(builder, number)).text
    assert "审查通过" in page and "承诺已履约" in page and "不接受履约材料" in page


def test_a_fulfilled_commitment_refuses_new_evidence_before_the_chain(clients, office_world):  # noqa: F811
    before = commands(office_world)
    response = upload(clients[BUILDER], office_world.later, pdf(9))
    assert response.status_code == 422 and "不接受履约材料" in response.text
    assert commands(office_world) == before


def test_downloads_are_attachments_of_the_detected_type_for_those_allowed_only(clients, office_world):  # noqa: F811
    digest = hashlib.sha256(pdf(1)).hexdigest()
    for reader in (BUILDER, CLERK, REGULATOR):
        response = clients[reader].get(f"/documents/{digest}")
        assert response.status_code == 200 and response.content == pdf(1)
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
    assert clients[OTHER].get(f"/documents/{digest}").status_code == 404
    assert clients["anonymous"].get(f"/documents/{digest}").status_code in (302, 303, 307)
    assert clients[BUILDER].get(f"/documents/{'0' * 64}").status_code == 404


def test_a_commitment_number_with_a_slash_has_an_evidence_page_address(clients):
    # a commitment number may contain "/" (identifiers.REFERENCE_PATTERN): url_for must build its link
    # (a plain path parameter refuses separators: the workspace would answer 500) and the route must take it
    app = clients[BUILDER].app
    assert (
        app.url_path_for("evidence_page", commitment_number="CN/2026/7") == "/workspace/commitments/CN/2026/7/evidence"
    )
    answer = clients[BUILDER].get("/workspace/commitments/CN/2026/7/evidence")
    assert answer.status_code == 404 and "CN/2026/7" in answer.text  # the commitment's own 404: not the enterprise's
