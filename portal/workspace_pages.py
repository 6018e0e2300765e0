"""The enterprise workspace (企业工作台): my projects with their fee status, amounts due and paid with
proofs, a link to pay online at the tax system's checkout, my commitments, my credit record.

Every read is bound to the session's USCC (as /v1/me is): another enterprise's project is a 404,
never a hint that it exists."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request

from ledger.domain import commitments, credit_records, oversight, payments, projects
from ledger.domain.errors import NotFound
from portal.forms import FieldError, parse_project_code
from portal.pages import PageError, render
from portal.people import EnterprisePage
from web.kit.deps import SessionDep, settings_for

router = APIRouter(prefix="/workspace", include_in_schema=False)


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
    try:
        trail = oversight.money_trail(session, project_code=project_code)
    except NotFound:
        trail = None
    return render(request, "workspace/project.html", who=who, project=mine[project_code], trail=trail)


@router.get("/credit")
def workspace_credit(request: Request, session: SessionDep, who: EnterprisePage):
    credit = credit_records.credit_record(session, enterprise=who.person.enterprise_uscc, known=True)
    return render(request, "credit.html", who=who, credit=credit, heading="我的信用记录")
