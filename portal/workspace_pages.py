"""The enterprise workspace (企业工作台): my projects with their fee status, amounts due and paid with
proofs, a link to pay online at the tax system's checkout, my commitments, my credit record; each
project's page is the whole fee matter on one timeline (ledger.domain.fee_matter) with a link to
every step the enterprise owns.

Every read is bound to the session's USCC (as /v1/me is): another enterprise's project is a 404,
never a hint that it exists."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request

from ledger.domain import commitments, credit_records, fee_matter, office_documents, oversight, payments, projects
from ledger.domain.rates import reason_labels
from portal.forms import FieldError, parse_project_code
from portal.pages import COMMITMENT_STATUS, FEE_STATUS, PageError, render
from portal.people import EnterprisePage
from web.kit.deps import SessionDep, settings_for

router = APIRouter(prefix="/workspace", include_in_schema=False)

# The timeline's words (ledger.domain.fee_matter's codes).
STEP_KIND = {
    "unassessed": "待核定",
    "assessed": "核定应缴",
    "relief": "减免",
    "adjusted": "补缴／核减",
    "payment": "缴款",
    "refund": "退付",
    "commitment_recorded": "签署承诺",
    "commitment_imported": "承诺迁入",
    "commitment_evidence_submitted": "提交履约材料",
    "commitment_evidence_rejected": "履约材料被退回",
    "commitment_fulfilled": "履约",
    "commitment_marked_overdue": "承诺逾期",
    "commitment_breached": "认定违约",
    "commitment_repaired": "信用修复",
    "commitment_extended": "承诺延期",
    "repair_applied": "申请信用修复",
    "repair_published": "信用修复公示",
    "repair_objection": "收到公示异议",
    "repair_approved": "批准信用修复",
    "repair_rejected": "信用修复未获批准",
    "ticket": "咨询投诉",
    "inspection": "双随机抽查",
}
STEP_STATUS = (
    FEE_STATUS
    | COMMITMENT_STATUS
    | {
        "on_chain": "已上链",
        "evidence_submitted": "材料待审核",
        "evidence_rejected": "材料被退回",
        "open": "待答复",
        "answered": "已答复，待评价",
        "rated": "已评价",
        "submitted": "待人防办公示",
        "published": "公示中",
        "approved": "已批准",
        "rejected": "未获批准",
        "conforms": "抽查结果：符合承诺",
        "minor_findings": "抽查结果：存在轻微问题",
        "false_commitment": "抽查结果：不实承诺",
    }
)
ACTOR = {"enterprise": "贵单位", "office": "人防办", "tax_bureau": "税务部门"}
ACTION = {
    "pay": "在线缴纳（税务缴费页面）",
    "submit_evidence": "提交履约材料",
    "answer_rejection": "补充并重新提交材料",
    "apply_repair": "申请信用修复",
    "rate_ticket": "查看答复并评价",
}


def checkout_url(request: Request, levy_number: str) -> str | None:
    template = settings_for(request).portal.tax_checkout_url
    return template.replace("{levy}", quote(levy_number, safe="")) if template else None


@router.get("")
def workspace(request: Request, session: SessionDep, who: EnterprisePage):
    uscc = who.person.enterprise_uscc
    mine = projects.projects_of_enterprise(session, uscc=uscc)
    accounts = oversight.fee_statuses(session, project_keys=[p.project_key for p in mine])
    levies = payments.levies_of_enterprise(session, uscc=uscc)
    pay_links = {levy.levy_number: checkout_url(request, levy.levy_number) for levy in levies if levy.status == "open"}
    credit = credit_records.credit_record(session, enterprise=uscc, known=True)
    return render(
        request,
        "workspace/home.html",
        who=who,
        projects=mine,
        accounts=accounts,
        levies=levies,
        pay_links=pay_links,
        payments=payments.payments_of_enterprise(session, uscc=uscc),
        commitments=commitments.commitments_of_enterprise(session, uscc=uscc),
        credit=credit,
    )


@router.get("/projects/{project_code}")
def my_project(
    request: Request, project_code: Annotated[str, Path(max_length=60)], session: SessionDep, who: EnterprisePage
):
    mine = {p.project_code: p for p in projects.projects_of_enterprise(session, uscc=who.person.enterprise_uscc)}
    try:
        project_code = parse_project_code(project_code)
    except FieldError as error:
        raise PageError(422, "链接无效", error.text) from None
    if project_code not in mine:
        raise PageError(404, "未找到项目", f"项目代码（project_code）{project_code} 不是贵单位的项目。")
    rows = fee_matter.read_fee_matter(session, project_code=project_code, uscc=who.person.enterprise_uscc)
    matter = fee_matter.fee_matter(rows)
    links = {(e.action, e.target): action_url(request, e) for e in matter.to_do if e.action}
    # the office's supporting documents of its reliefs, adjustments and decisions, to download
    documents = office_documents.by_digest(
        session, [s.document_hash for s in matter.steps], uscc=who.person.enterprise_uscc
    )
    return render(
        request,
        "workspace/project.html",
        who=who,
        project=mine[project_code],
        matter=matter,
        account=rows.account,
        links=links,
        documents=documents,
        STEP_KIND=STEP_KIND,
        STEP_STATUS=STEP_STATUS,
        REASON=reason_labels(),
        ACTOR=ACTOR,
        ACTION=ACTION,
    )


def action_url(request: Request, expected: fee_matter.Expected) -> str | None:
    """Where the enterprise does what is expected of it: the tax system's checkout, the evidence
    page of a commitment (also where a repair is applied for), the ticket's follow-up page."""
    target = expected.target or ""
    match expected.action:
        case "pay":
            return checkout_url(request, target)
        case "submit_evidence" | "answer_rejection" | "apply_repair":
            return request.url_for("evidence_page", commitment_number=target).path
        case "rate_ticket":
            return request.url_for("follow_form").path
    return None


@router.get("/credit")
def workspace_credit(request: Request, session: SessionDep, who: EnterprisePage):
    credit = credit_records.credit_record(session, enterprise=who.person.enterprise_uscc, known=True)
    return render(request, "credit.html", who=who, credit=credit, heading="我的信用记录")
