"""The regulator's dashboard (监管驾驶舱): enterprises by score and grade, one enterprise's credit
record (as of any moment), overdue and breached commitments, a project's money trail, collection by
district and by month (ECharts), the latest reconciliation (对账) with its findings and a button to run
one now, and CSV and XLSX exports for Excel. Regulators only, as /v1/regulator."""

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from ledger.domain import credit_records, office_documents, oversight, reconciliation
from ledger.domain.common import SHANGHAI
from ledger.domain.errors import DomainError, NotFound
from ledger.domain.projects import enterprise_name
from portal.exports import Table, csv_response, xlsx_response
from portal.forms import PROJECT_CODE_HELP, FieldError, parse_project_code
from portal.pages import COMMITMENT_KIND, COMMITMENT_STATUS, PageError, render, shanghai
from portal.people import RegulatorPage
from web.kit.deps import ReadSessionDep, SessionDep

router = APIRouter(prefix="/regulator", include_in_schema=False)
Grade = Literal["A", "B", "C", "D"]
AlertStatus = Literal["overdue", "breached"]
# The regulator's words for ledger.domain.reconciliation.KINDS (a kind without words fails at import)
_FINDING_WORDS = {
    "approved_unsecured": "已批项目既未建人防工程也未缴清费用",
    "payment_missing_on_chain": "税务对账单有、链上无的缴款",
    "payment_not_in_statement": "链上有、税务对账单无的缴款",
    "amount_mismatch": "金额不一致",
    "overdue_unmarked": "已过期限未标记逾期的承诺",
    "read_model_differs": "读模型与链上不一致（审计）",
}
FINDING_KIND = {kind: _FINDING_WORDS[kind] for kind in reconciliation.KINDS}
FINDING_KIND_PATTERN = "^(" + "|".join(reconciliation.KINDS) + ")$"  # the `kind` filter: one of KINDS
TRIGGER = {"daily": "每日自动", "on_demand": "监管人员发起", "cli": "命令行"}
_moment = TypeAdapter(AwareDatetime)


# The domain's refusals say the rule in English (for the API): here, in Chinese, by the field refused.
REFUSED = {
    "enterprise": "企业（enterprise）应为 18 位统一社会信用代码（GB 32100-2015，含校验位）"
    "或链上企业标识（0x 加 64 位十六进制）。",
    "project_code": "项目代码（project_code）格式不正确。" + PROJECT_CODE_HELP,
    "cursor": "翻页标记（cursor）无效，请从第一页重新查看。",
    "grade": "信用等级（grade）应为 A、B、C 或 D。",
}
NOT_FOUND = {
    "enterprise": "账本中没有该企业（enterprise）的记录。请核对统一社会信用代码。",
    "project_code": "账本中没有该项目（project_code）。请核对项目代码。",
}


def _domain_page(exc: DomainError) -> PageError:
    field = exc.field or ""
    if isinstance(exc, NotFound):
        return PageError(404, "未找到", NOT_FOUND.get(field, f"未找到所查记录（{field}）。"))
    return PageError(422, "输入有误", REFUSED.get(field, f"输入有误（{field}），请返回上一页核对。"))


def parse_as_of(value: str | None) -> datetime | None:
    """`as_of` from a datetime-local field (Beijing time, to the second) or ISO 8601 with an offset."""
    if not value:
        return None
    try:
        return _moment.validate_python(value)
    except ValidationError:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)
        except ValueError:
            raise PageError(
                422, "时间格式有误", "查询时点（as_of）应为 YYYY-MM-DDTHH:MM:SS（北京时间，秒可省略）。"
            ) from None


def enterprise_names(session: Session, usccs: Iterable[str | None]) -> dict[str, str]:
    """The registered names of these enterprises (approval data, decrypted), where known."""
    names = {uscc: enterprise_name(session, uscc) for uscc in set(usccs) if uscc}
    return {uscc: name for uscc, name in names.items() if name}


@router.get("")
def regulator_home(
    request: Request,
    session: ReadSessionDep,
    who: RegulatorPage,
    grade: Annotated[Grade | None, Query()] = None,
    cursor: str | None = None,
):
    try:
        page = credit_records.list_enterprises(session, grade=grade, cursor=cursor, limit=100)
    except DomainError as exc:
        raise _domain_page(exc) from None
    return render(
        request,
        "regulator/home.html",
        who=who,
        page=page,
        grade=grade,
        by_grade=credit_records.enterprises_by_grade(session),
        names=enterprise_names(session, (e.uscc for e in page.items)),
        collection=oversight.collection(session),
        run=reconciliation.latest_run(session),
        FINDING_KIND=FINDING_KIND,
        TRIGGER=TRIGGER,
    )


@router.get("/reconciliation")
def reconciliation_page(
    request: Request,
    session: ReadSessionDep,
    who: RegulatorPage,
    kind: Annotated[str | None, Query(pattern=FINDING_KIND_PATTERN)] = None,
    run_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
):
    run = _run(session, run_id)
    findings = reconciliation.run_findings(session, run_id=run.run_id, kind=kind) if run else []
    return render(
        request,
        "regulator/reconciliation.html",
        who=who,
        run=run,
        kind=kind,
        findings=findings,
        FINDING_KIND=FINDING_KIND,
        TRIGGER=TRIGGER,
    )


@router.post("/reconciliation")
def reconciliation_request(request: Request, session: SessionDep, who: RegulatorPage):
    """Ask the worker for a run now; the page says it is waiting until the run is done."""
    reconciliation.request_reconciliation(session, actor=who.person.username)
    return RedirectResponse(request.url_for("reconciliation_page").path, status_code=303)


def _run(session: Session, run_id: int | None):
    if run_id is None:
        return reconciliation.latest_run(session)
    try:
        return reconciliation.get_run(session, run_id=run_id)
    except NotFound:
        raise PageError(404, "未找到", f"没有编号为 {run_id} 的对账记录。") from None


@router.get("/enterprises/{enterprise}")
def enterprise_page(
    request: Request,
    enterprise: Annotated[str, Path(max_length=80)],
    session: ReadSessionDep,
    who: RegulatorPage,
    as_of: str | None = None,
):
    moment = parse_as_of(as_of)
    try:
        credit = credit_records.credit_record(session, enterprise=enterprise, as_of=moment)
    except DomainError as exc:
        raise _domain_page(exc) from None
    return render(
        request,
        "credit.html",
        who=who,
        credit=credit,
        heading=f"企业信用记录 {credit.uscc or credit.enterprise_key}",
        enterprise_name=enterprise_names(session, [credit.uscc]).get(credit.uscc or ""),
        as_of_value=moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S") if moment else "",
    )


@router.get("/commitments")
def commitments_page(
    request: Request,
    session: ReadSessionDep,
    who: RegulatorPage,
    status: Annotated[AlertStatus | None, Query()] = None,
    cursor: str | None = None,
):
    try:
        page = oversight.commitments_in_trouble(session, status=status, cursor=cursor, limit=100)
    except DomainError as exc:
        raise _domain_page(exc) from None
    names = enterprise_names(session, (c.uscc for c in page.items))
    return render(request, "regulator/commitments.html", who=who, page=page, status=status, names=names)


@router.get("/money-trail")
def money_trail_form(request: Request, who: RegulatorPage, project_code: str | None = None):
    if project_code is None:
        return render(request, "regulator/money_trail.html", who=who, trail=None)
    try:
        code = parse_project_code(project_code)
    except FieldError as error:
        return render(
            request, "regulator/money_trail.html", status_code=422, who=who, trail=None, error=error, value=project_code
        )
    return RedirectResponse(request.url_for("money_trail_page", project_code=code).path, status_code=303)


@router.get("/projects/{project_code}/money-trail")
def money_trail_page(
    request: Request, project_code: Annotated[str, Path(max_length=60)], session: ReadSessionDep, who: RegulatorPage
):
    try:
        trail = oversight.money_trail(session, project_code=parse_project_code(project_code))
    except FieldError as error:
        return render(
            request, "regulator/money_trail.html", status_code=422, who=who, trail=None, error=error, value=project_code
        )
    except DomainError as exc:
        raise _domain_page(exc) from None
    documents = office_documents.by_digest(session, [e.document_hash for e in trail.entries])  # the office's uploads
    return render(request, "regulator/money_trail.html", who=who, trail=trail, documents=documents)


def _name_of(session: Session, uscc: str | None) -> str:
    return (enterprise_name(session, uscc) or "") if uscc else ""


def _all_pages(read, **filters):
    cursor = None
    while True:
        page = read(cursor=cursor, limit=500, **filters)
        yield from page.items
        if not (cursor := page.next_cursor):
            return


@router.get("/enterprises.csv")
def enterprises_csv(session: ReadSessionDep, who: RegulatorPage, grade: Annotated[Grade | None, Query()] = None):
    return csv_response(enterprise_table(session, grade))


@router.get("/enterprises.xlsx")
def enterprises_xlsx(session: ReadSessionDep, who: RegulatorPage, grade: Annotated[Grade | None, Query()] = None):
    return xlsx_response(enterprise_table(session, grade))


def enterprise_table(session: Session, grade: Grade | None) -> Table:
    items = _all_pages(lambda **kw: credit_records.list_enterprises(session, **kw), grade=grade)
    return Table(
        "enterprise-credit",
        [
            "统一社会信用代码",
            "链上企业标识",
            "信用分",
            "信用等级",
            "按期履约",
            "逾期履约",
            "逾期",
            "逾期标记撤销",
            "违约",
            "修复",
            "逾期缴费",
            "不实承诺",
            "企业名称",
        ],
        (
            [
                e.uscc or "",
                e.enterprise_key,
                e.score,
                e.grade,
                e.counts.get("fulfilled_on_time", 0),
                e.counts.get("fulfilled_late", 0),
                e.counts.get("marked_overdue", 0),
                e.counts.get("overdue_mark_voided", 0),
                e.counts.get("breached", 0),
                e.counts.get("repaired", 0),
                e.counts.get("late_fee_payment", 0),
                e.counts.get("false_commitment", 0),
                _name_of(session, e.uscc),
            ]
            for e in items
        ),
    )


@router.get("/commitments.csv")
def commitments_csv(session: ReadSessionDep, who: RegulatorPage, status: Annotated[AlertStatus | None, Query()] = None):
    return csv_response(commitment_table(session, status))


@router.get("/commitments.xlsx")
def commitments_xlsx(
    session: ReadSessionDep, who: RegulatorPage, status: Annotated[AlertStatus | None, Query()] = None
):
    return xlsx_response(commitment_table(session, status))


def commitment_table(session: Session, status: AlertStatus | None) -> Table:
    items = _all_pages(lambda **kw: oversight.commitments_in_trouble(session, **kw), status=status)
    return Table(
        "commitments-overdue-breached",
        [
            "承诺编号",
            "项目代码",
            "统一社会信用代码",
            "承诺事项",
            "状态",
            "承诺期限（北京时间）",
            "交易哈希",
            "区块号",
            "企业名称",
        ],
        (
            [
                c.commitment_number or c.commitment_key,
                c.project_code or c.project_key,
                c.uscc or c.enterprise_key,
                COMMITMENT_KIND.get(c.kind, c.kind),
                COMMITMENT_STATUS[c.status],
                shanghai(c.due_at),
                c.proof.transaction_hash,
                c.proof.block_number,
                _name_of(session, c.uscc),
            ]
            for c in items
        ),
    )


@router.get("/reconciliation.csv")
def reconciliation_csv(
    session: ReadSessionDep,
    who: RegulatorPage,
    kind: Annotated[str | None, Query(pattern=FINDING_KIND_PATTERN)] = None,
    run_id: Annotated[int | None, Query(ge=1)] = None,
):
    return csv_response(finding_table(session, run_id, kind))


@router.get("/reconciliation.xlsx")
def reconciliation_xlsx(
    session: ReadSessionDep,
    who: RegulatorPage,
    kind: Annotated[str | None, Query(pattern=FINDING_KIND_PATTERN)] = None,
    run_id: Annotated[int | None, Query(ge=1)] = None,
):
    return xlsx_response(finding_table(session, run_id, kind))


def finding_table(session: Session, run_id: int | None, kind: str | None) -> Table:
    run = _run(session, run_id)
    findings = reconciliation.run_findings(session, run_id=run.run_id, kind=kind) if run else []
    return Table(
        f"reconciliation-{run.run_id}" if run else "reconciliation",
        ["对账编号", "类别", "对象", "项目代码", "说明", "交易哈希"],
        (
            [
                run.run_id if run else 0,
                FINDING_KIND.get(f.kind, f.kind),
                f.subject,
                f.project_code or "",
                f.detail,
                " ".join(f.proofs),
            ]
            for f in findings
        ),
    )
