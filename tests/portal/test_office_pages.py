"""The office workspace's writes (TestClient) on a world of their own: the work queue, assessing with
the calculation shown first, reliefs and adjustments with an uploaded document, decisions on commitments
with one (the server computes the digest; the file goes into the document store), each write's command
page followed until indexed or failed (the contract's error in Chinese), and the document downloaded —
as an attachment — from the write's record by the clerk, the enterprise and the regulator."""

import hashlib
import re

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from ledger.access.users import add_user
from ledger.core.field_encryption import field_cipher
from ledger.core.settings import get_settings
from ledger.db.office_document_model import OfficeDocument
from ledger.db.write_model import AdjustmentRequest, CommitmentDocument, Levy, OfficeApproval, OutboxCommand
from ledger.domain import fees, tickets
from portal.pages import yuan
from tests.portal.conftest import PASSWORD, csrf_of, log_in
from tests.portal.office_world import days_from_today, office_world  # noqa: F401
from tests.support.documents import HTML, pdf, png
from web.app import create_app

MAX_BYTES = 4096
REGULATOR = "office-pages-regulator"


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return tmp_path_factory.mktemp("office-documents")


@pytest.fixture(scope="module")
def clients(office_world, documents):  # noqa: F811
    add_user(office_world.engine, username=REGULATOR, password=PASSWORD, role="regulator")
    app = create_app()
    settings = office_world.settings(
        api={"public_burst": 1000}, documents={"directory": documents, "max_bytes": MAX_BYTES}
    )
    app.dependency_overrides[get_settings] = lambda: settings
    logged_in = {}
    for username in ("office-clerk", "office-second", "builder-821", "builder-822", REGULATOR):
        client = TestClient(app, follow_redirects=False)
        assert log_in(client, username).status_code == 303
        logged_in[username] = client
    yield logged_in
    for client in logged_in.values():
        client.close()


def document(content: bytes, name: str = "联合测绘报告.pdf", mime: str = "application/pdf") -> dict:
    """The form's file field, as a browser posts it."""
    return {"document": (name, content, mime)}


def stored(documents) -> list[str]:
    return sorted(p.name for p in documents.rglob("*") if p.is_file())


def office_documents_count(world) -> int:
    with world.path.session() as s:
        return len(s.execute(select(OfficeDocument.id)).all())


def download_link(html: str) -> str:
    return re.search(r'href="[^"]*?(/documents/[0-9a-f]{64})"', html).group(1)


def command_id_of(response) -> str:
    assert response.status_code == 303, response.text
    return re.fullmatch(r"/office/commands/([0-9a-f]{32})", response.headers["location"]).group(1)


def commands_count(world) -> int:
    with world.path.session() as s:
        return len(s.execute(select(OutboxCommand.id)).all())


def test_the_queue_lists_the_project_to_assess_and_the_commitment_due_within_a_week(clients, office_world):  # noqa: F811
    html = clients["office-clerk"].get("/office/queue").text
    to_assess, due = html.split('id="due-heading"')
    assert office_world.to_assess in to_assess and office_world.assessed not in to_assess
    assert office_world.due_soon in due and office_world.later not in due and "即将到期" in due
    assert f"/office/commitments/{office_world.due_soon}/decide" in due
    assert "信用修复申请（0）" in html  # repair applications have a section of their own (test_repair_pages.py)


def test_the_queue_lists_a_ticket_awaiting_an_answer_until_it_is_answered(clients, office_world):  # noqa: F811
    settings = office_world.settings()
    with office_world.path.session() as s:
        number = tickets.submit(
            s,
            kind="complaint",
            topic="service",
            title="窗口下午无人",
            body="周五下午窗口无人办理。",
            contact="13800138000",
            cipher=field_cipher(settings),
            settings=settings.tickets,
        ).ticket.number
        s.commit()
    listed = clients["office-clerk"].get("/office/queue").text.split('id="tickets-heading"')[1]
    assert number in listed and f"/office/tickets/{number}" in listed and "窗口下午无人" in listed
    with office_world.path.session() as s:
        tickets.answer(s, number=number, text="已安排专人值守。", by="office-clerk")
        s.commit()
    assert number not in clients["office-clerk"].get("/office/queue").text


def test_a_clerk_sees_area_times_rate_before_confirming_and_the_enterprise_then_sees_the_levy(
    clients,
    office_world,  # noqa: F811
):
    clerk = clients["office-clerk"]
    page = clerk.get("/office/assess", params={"project_code": office_world.to_assess})
    with office_world.path.session() as s:
        expected = fees.preview_assessment(s, project_code=office_world.to_assess)
    assert expected.shortfall_area == 60_000 and expected.levy_fen == expected.base_fen > 0
    assert "600.00 m²" in page.text and f"费率表第 {expected.rate_table_version} 版" in page.text
    assert f'<strong class="amount" id="levy">{yuan(expected.levy_fen)}</strong>' in page.text
    before = commands_count(office_world)
    assert clerk.post("/office/assess", data={"project_code": office_world.to_assess}).status_code == 403  # no CSRF
    assert commands_count(office_world) == before
    command_id = command_id_of(
        clerk.post("/office/assess", data={"project_code": office_world.to_assess, "csrf_token": csrf_of(page.text)})
    )
    accepted = clerk.get(f"/office/commands/{command_id}")
    assert "已受理" in accepted.text and 'data-final="false"' in accepted.text and "command_status.js" in accepted.text
    assert clerk.get(f"/office/commands/{command_id}/status").json()["status"] == "accepted"
    office_world.settle()
    assert clerk.get(f"/office/commands/{command_id}/status").json() == {
        "status": "indexed",
        "status_text": "已入账",
        "error_text": "",
    }
    assert 'data-final="true"' in clerk.get(f"/office/commands/{command_id}").text
    workspace = clients["builder-821"].get("/workspace").text
    assert f"{office_world.to_assess}-A1" in workspace and yuan(expected.levy_fen) in workspace


def test_a_reduction_with_its_uploaded_document_lowers_the_levy_and_each_party_downloads_the_document(
    clients,
    office_world,  # noqa: F811
    documents,
):
    clerk = clients["office-clerk"]
    with office_world.path.session() as s:
        before = fees.preview_assessment(s, project_code=office_world.assessed).levy_fen
    form = clerk.get("/office/adjust").text
    assert "联合测绘面积差异，核减" in form and 'enctype="multipart/form-data"' in form
    assert 'name="document" type="file"' in form and "document_sha256" not in form  # nothing to type
    report = pdf(2026)
    response = clerk.post(
        "/office/adjust",
        data={
            "project_code": office_world.assessed,
            "reason_code": "SURVEY_REDUCTION",
            "amount_yuan": "1,000.50",
            "csrf_token": csrf_of(form),
        },
        files=document(report),
    )
    command_id = command_id_of(response)
    digest = hashlib.sha256(report).hexdigest()  # computed by the server, from the bytes
    office_world.settle()
    assert clerk.get(f"/office/commands/{command_id}/status").json()["status"] == "indexed"
    with office_world.path.session() as s:
        request = s.execute(
            select(AdjustmentRequest).where(col(AdjustmentRequest.command_id) == command_id)
        ).scalar_one()
        levy = s.execute(
            select(Levy).where(col(Levy.project_code) == office_world.assessed, col(Levy.status) == "open")
        ).scalar_one()
        args = s.execute(select(OutboxCommand.args).where(col(OutboxCommand.id) == command_id)).scalar_one()
    assert request.delta_fen == -100_050 and request.document_sha256 == digest
    assert orjson.loads(args)["document_hash"] == "0x" + digest  # the digest on chain
    assert levy.amount_fen == before - 100_050
    assert digest in stored(documents)

    # the write's record: the clerk's command page, the builder's timeline, the regulator's money trail
    record = clerk.get(f"/office/commands/{command_id}").text
    assert "联合测绘报告.pdf" in record and digest in record
    timeline = clients["builder-822"].get(f"/workspace/projects/{office_world.assessed}").text
    # the reason in the policy's words, not its code
    assert "联合测绘面积差异，核减" in timeline and "SURVEY_REDUCTION" not in timeline
    trail = clients[REGULATOR].get(f"/regulator/projects/{office_world.assessed}/money-trail").text
    for reader, page in ((clerk, record), (clients["builder-822"], timeline), (clients[REGULATOR], trail)):
        assert download_link(page) == f"/documents/{digest}"
        got = reader.get(f"/documents/{digest}")
        assert got.status_code == 200 and got.content == report
        assert got.headers["content-disposition"].startswith("attachment;")  # never inline
        assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
    assert clients["builder-821"].get(f"/documents/{digest}").status_code == 404  # another enterprise's matter


def test_bad_form_input_names_the_field_in_chinese_and_writes_nothing(clients, office_world, documents):  # noqa: F811
    clerk = clients["office-clerk"]
    csrf = csrf_of(clerk.get("/office/adjust").text)
    before = commands_count(office_world), office_documents_count(office_world), stored(documents)
    cases = [
        ({"reason_code": "SURVEY_REDUCTION", "amount_yuan": "-5"}, "调整金额（amount_yuan）"),
        ({"reason_code": "NOT_A_REASON"}, "减免或调整理由（reason_code）"),
    ]
    for fields, named in cases:
        page = clerk.post(
            "/office/adjust",
            data={"project_code": office_world.assessed, "csrf_token": csrf, **fields},
            files=document(pdf(1)),
        )
        assert page.status_code == 422 and named in page.text, fields
    unassessed = clerk.post(
        "/office/adjust",
        data={"project_code": "2026-410105-47-01-000999", "reason_code": "SCHOOL", "csrf_token": csrf},
        files=document(pdf(2)),
    )
    assert unassessed.status_code == 422 and "project_code" in unassessed.text
    assert (commands_count(office_world), office_documents_count(office_world), stored(documents)) == before


def test_a_bad_file_is_refused_in_chinese_naming_the_field_and_the_rule_and_changes_nothing(
    clients,
    office_world,  # noqa: F811
    documents,
):
    clerk = clients["office-clerk"]
    csrf = csrf_of(clerk.get("/office/adjust").text)
    before = commands_count(office_world), office_documents_count(office_world), stored(documents)
    for upload, status, words in [
        (document(b""), 422, "依据文件（document）：请选择要上传的文件，所选文件不能为空。"),
        ({}, 422, "依据文件（document）：请选择要上传的文件"),  # no file chosen at all
        (document(pdf(3) + b"x" * MAX_BYTES), 413, "依据文件（document）：文件过大，单个文件不能超过 4 KB。"),
        (
            document(HTML, "测绘报告.pdf"),  # named .pdf, but a page of HTML
            422,
            "依据文件（document）：只接受 PDF、PNG、JPEG 文件（按文件内容识别，与文件名无关）。",
        ),
    ]:
        page = clerk.post(
            "/office/adjust",
            data={
                "project_code": office_world.assessed,
                "reason_code": "SURVEY_REDUCTION",
                "amount_yuan": "1",
                "csrf_token": csrf,
            },
            files=upload,
        )
        assert page.status_code == status and words in page.text, words
        assert 'value="2026-' in page.text  # the rest of the form kept, to be corrected
    assert (commands_count(office_world), office_documents_count(office_world), stored(documents)) == before


def test_an_extension_with_its_uploaded_document_is_recorded_on_chain_and_the_enterprise_downloads_it(
    clients,
    office_world,  # noqa: F811
):
    clerk = clients["office-clerk"]
    form = clerk.get(f"/office/commitments/{office_world.due_soon}/decide").text
    assert "批准延期" in form and "认定履约" in form and "判定违约" in form and "信用修复" in form
    assert 'enctype="multipart/form-data"' in form and 'name="document" type="file"' in form
    scan = png(7)
    command_id = command_id_of(
        clerk.post(
            f"/office/commitments/{office_world.due_soon}/decide",
            data={"action": "extend", "new_due_date": days_from_today(30), "csrf_token": csrf_of(form)},
            files=document(scan, "延期批复.png", "image/png"),
        )
    )
    office_world.settle()
    assert clerk.get(f"/office/commands/{command_id}/status").json()["status"] == "indexed"
    digest = hashlib.sha256(scan).hexdigest()
    with office_world.path.session() as s:
        decided = s.execute(
            select(CommitmentDocument).where(col(CommitmentDocument.command_id) == command_id)
        ).scalar_one()
        kept = s.execute(select(OfficeDocument).where(col(OfficeDocument.digest) == digest)).scalar_one()
    assert decided.action == "extend" and decided.document_sha256 == digest
    assert (kept.purpose, kept.commitment_number, kept.file_name) == ("decision", office_world.due_soon, "延期批复.png")
    assert "延期批复.png" in clerk.get(f"/office/commands/{command_id}").text
    timeline = clients["builder-822"].get(f"/workspace/projects/{office_world.assessed}").text
    assert f'/documents/{digest}">下载依据文件：延期批复.png' in timeline
    got = clients["builder-822"].get(f"/documents/{digest}")
    assert got.content == scan and got.headers["content-disposition"].startswith("attachment;")
    assert office_world.due_soon not in clerk.get("/office/queue").text.split('id="due-heading"')[1]


def test_a_breach_before_the_overdue_mark_is_refused_before_it_is_queued_and_the_clerk_reads_why_in_chinese(
    clients,
    office_world,  # noqa: F811
    documents,
):
    clerk = clients["office-clerk"]
    form = clerk.get(f"/office/commitments/{office_world.later}/decide").text
    before = commands_count(office_world), office_documents_count(office_world), stored(documents)
    page = clerk.post(
        f"/office/commitments/{office_world.later}/decide",
        data={"action": "breach", "csrf_token": csrf_of(form)},
        files=document(pdf(4), "违约认定书.pdf"),
    )
    assert page.status_code == 422, page.text
    assert "只有已标记逾期的承诺才能判定违约" in page.text and "（action）" in page.text
    # the chain would refuse it: nothing is queued, the file is not kept
    assert (commands_count(office_world), office_documents_count(office_world), stored(documents)) == before


def test_an_extension_without_a_date_is_refused_naming_the_field(clients, office_world):  # noqa: F811
    clerk = clients["office-clerk"]
    form = clerk.get(f"/office/commitments/{office_world.later}/decide").text
    page = clerk.post(
        f"/office/commitments/{office_world.later}/decide",
        data={"action": "extend", "csrf_token": csrf_of(form)},
        files=document(pdf(5)),
    )
    assert page.status_code == 422 and "新的到期日（new_due_date）" in page.text
    page = clerk.post(
        f"/office/commitments/{office_world.later}/decide",
        data={"action": "breach", "csrf_token": csrf_of(form)},
        files=document(b""),
    )
    assert page.status_code == 422 and "依据文件（document）：请选择要上传的文件" in page.text


def test_only_the_office_reaches_the_office_pages(clients, office_world):  # noqa: F811
    for path in (
        "/office/queue",
        "/office/assess",
        "/office/adjust",
        f"/office/commitments/{office_world.later}/decide",
    ):
        assert clients["builder-821"].get(path).status_code == 403, path


def open_levy_fen(world, project_code: str) -> int:
    with world.path.session() as s:
        return s.execute(
            select(col(Levy.amount_fen)).where(col(Levy.project_code) == project_code, col(Levy.status) == "open")
        ).scalar_one()


def test_a_reduction_above_the_threshold_waits_for_a_second_officer_before_anything_is_sent(
    clients,
    office_world,  # noqa: F811
):
    clerk, second = clients["office-clerk"], clients["office-second"]
    before_fen, before_commands = open_levy_fen(office_world, office_world.assessed), commands_count(office_world)
    response = clerk.post(
        "/office/adjust",
        data={
            "project_code": office_world.assessed,
            "reason_code": "SURVEY_REDUCTION",
            "amount_yuan": "100000.01",  # one fen above the default threshold, ¥100,000
            "csrf_token": csrf_of(clerk.get("/office/adjust").text),
        },
        files=document(pdf(100_000), "核减审批材料.pdf"),
    )
    assert response.status_code == 303
    approval_path = response.headers["location"]
    held = clerk.get(approval_path).text
    assert "等待第二位工作人员审批" in held and "您是申请人" in held and "¥100,000.01" in held
    assert "核减审批材料.pdf" in held  # the second officer reads the document before approving
    assert second.get(download_link(held)).content == pdf(100_000)
    assert (
        commands_count(office_world) == before_commands
        and open_levy_fen(office_world, office_world.assessed) == before_fen
    )
    assert approval_path in clerk.get("/office/queue").text
    refused = clerk.post(approval_path, data={"csrf_token": csrf_of(held)})
    assert refused.status_code == 422 and "申请人本人不能审批" in refused.text
    assert commands_count(office_world) == before_commands
    page = second.get(approval_path).text
    assert "批准并上链" in page
    command_id = command_id_of(second.post(approval_path, data={"csrf_token": csrf_of(page)}))
    office_world.settle()
    assert second.get(f"/office/commands/{command_id}/status").json()["status"] == "indexed"
    assert open_levy_fen(office_world, office_world.assessed) == before_fen - 10_000_001
    assert "核减审批材料.pdf" in second.get(f"/office/commands/{command_id}").text
    with office_world.path.session() as s:
        approval = s.execute(select(OfficeApproval).where(col(OfficeApproval.command_id) == command_id)).scalar_one()
    assert (approval.status, approval.requested_by, approval.approved_by) == (
        "approved",
        "office-clerk",
        "office-second",
    )
    assert "已由 office-second 批准" in second.get(approval_path).text
    assert second.post(approval_path, data={"csrf_token": csrf_of(page)}).status_code == 422  # not twice


def reduce(clerk: TestClient, project_code: str, amount_yuan: str):
    return clerk.post(
        "/office/adjust",
        data={
            "project_code": project_code,
            "reason_code": "SURVEY_REDUCTION",
            "amount_yuan": amount_yuan,
            "csrf_token": csrf_of(clerk.get("/office/adjust").text),
        },
        files=document(pdf(int(amount_yuan))),
    )


def test_two_reductions_under_the_threshold_that_together_pass_it_wait_for_a_second_officer(
    clients,
    office_world,  # noqa: F811
):
    """Splitting does not escape four-eyes: the threshold counts the levy's cumulative reduction."""
    code = office_world.assessed_project(831)
    clerk = clients["office-clerk"]
    command_id_of(reduce(clerk, code, "60000"))  # ¥60,000 of ¥100,000: made at once
    before_fen, before_commands = open_levy_fen(office_world, code), commands_count(office_world)
    held = reduce(clerk, code, "60000")  # ¥120,000 in all
    assert held.status_code == 303 and held.headers["location"].startswith("/office/approvals/")
    assert commands_count(office_world) == before_commands and open_levy_fen(office_world, code) == before_fen
    # a reduction still awaiting approval counts too: even ¥1 more now waits
    assert reduce(clerk, code, "1").headers["location"].startswith("/office/approvals/")
    assert commands_count(office_world) == before_commands


def test_an_approval_is_refused_when_the_levy_changed_since_the_request(
    clients,
    office_world,  # noqa: F811
):
    """The second officer approves what the first one saw, never an amount recomputed since."""
    code = office_world.assessed_project(832)
    clerk, second = clients["office-clerk"], clients["office-second"]
    first = reduce(clerk, code, "150000").headers["location"]
    later = reduce(clerk, code, "1000").headers["location"]  # held too: ¥151,000 in all
    command_id_of(second.post(later, data={"csrf_token": csrf_of(second.get(later).text)}))
    before_fen, before_commands = open_levy_fen(office_world, code), commands_count(office_world)
    refused = second.post(first, data={"csrf_token": csrf_of(second.get(first).text)})
    assert refused.status_code == 422 and "应缴金额已经变化" in refused.text and "approval_id" in refused.text
    assert commands_count(office_world) == before_commands and open_levy_fen(office_world, code) == before_fen
    with office_world.path.session() as s:
        approval = s.get(OfficeApproval, first.rsplit("/", 1)[1])
    assert approval.status == "awaiting" and approval.command_id is None


def test_a_held_reduction_withdrawn_leaves_the_queue_and_no_longer_counts(clients, office_world):  # noqa: F811
    code = office_world.assessed_project(833)
    clerk, second = clients["office-clerk"], clients["office-second"]
    held = reduce(clerk, code, "150000").headers["location"]
    assert reduce(clerk, code, "50000").headers["location"].startswith("/office/approvals/")  # ¥200,000 in all
    page = clerk.get(held).text
    assert "撤回申请" in page
    assert clerk.post(held + "/decline", data={"csrf_token": csrf_of(page)}).headers["location"] == held
    assert "已由 office-clerk 撤回，未上链" in clerk.get(held).text and held not in clerk.get("/office/queue").text
    assert second.post(held, data={"csrf_token": csrf_of(second.get(held).text)}).status_code == 422  # not approvable
    with office_world.path.session() as s:
        approval = s.get(OfficeApproval, held.rsplit("/", 1)[1])
    assert (approval.status, approval.declined_by, approval.command_id) == ("declined", "office-clerk", None)
    # ¥50,000 still awaits: ¥40,000 more is ¥90,000 in all, within the threshold, and made at once
    command_id_of(reduce(clerk, code, "40000"))
