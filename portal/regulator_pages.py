"""The regulator's dashboard (监管驾驶舱): enterprises by score and grade, one enterprise's credit
record (as of any moment), overdue and breached commitments, a project's money trail, collection by
district and by month (ECharts), and CSV exports for Excel. Regulators only, as /v1/regulator."""

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from starlette.responses import RedirectResponse, Response

from ledger.domain import credit_records, oversight
from ledger.domain.common import SHANGHAI
from ledger.domain.errors import DomainError, NotFound
from portal.pages import COMMITMENT_KIND, COMMITMENT_STATUS, PageError, render, shanghai
from portal.people import RegulatorPage
from web.kit.deps import SessionDep

router = APIRouter(prefix="/regulator", include_in_schema=False)
Grade = Literal["A", "B", "C", "D"]
AlertStatus = Literal["overdue", "breached"]
_moment = TypeAdapter(AwareDatetime)


def _domain_page(exc: DomainError):
    status = 404 if isinstance(exc, NotFound) else 422
    return PageError(status, "未找到" if status == 404 else "输入有误", f"{exc.field}：{exc.detail}")


def parse_as_of(value: str | None) -> datetime | None:
    """`as_of` from a datetime-local field (Beijing time) or ISO 8601 with an offset."""
    if not value:
        return None
    try:
        return _moment.validate_python(value)
    except ValidationError:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)
        except ValueError:
            raise PageError(422, "时间格式有误", "查询时点（as_of）应为 YYYY-MM-DDTHH:MM（北京时间）。") from None


@router.get("")
def regulator_home(
    request: Request,
    session: SessionDep,
    who: RegulatorPage,
    grade: Annotated[Grade | None, Query()] = None,
    cursor: str | None = None,
):
    try:
        page = credit_records.list_enterprises(session, grade=grade, cursor=cursor, limit=100)
    except DomainError as exc:
        raise _domain_page(exc) from None
    return render(
        request, "regulator/home.html", who=who, page=page, grade=grade, collection=oversight.collection(session)
    )


@router.get("/enterprises/{enterprise}")
def enterprise_page(
    request: Request,
    enterprise: Annotated[str, Path(max_length=80)],
    session: SessionDep,
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
        as_of_value=moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if moment else "",
    )


@router.get("/commitments")
def commitments_page(
    request: Request,
    session: SessionDep,
    who: RegulatorPage,
    status: Annotated[AlertStatus | None, Query()] = None,
    cursor: str | None = None,
):
    try:
        page = oversight.commitments_in_trouble(session, status=status, cursor=cursor, limit=100)
    except DomainError as exc:
        raise _domain_page(exc) from None
    return render(request, "regulator/commitments.html", who=who, page=page, status=status)


@router.get("/money-trail")
def money_trail_form(request: Request, who: RegulatorPage, project_code: str | None = None):
    if project_code:
        return RedirectResponse(
            request.url_for("money_trail_page", project_code=project_code.strip()).path, status_code=303
        )
    return render(request, "regulator/money_trail.html", who=who, trail=None)


@router.get("/projects/{project_code}/money-trail")
def money_trail_page(
    request: Request, project_code: Annotated[str, Path(max_length=40)], session: SessionDep, who: RegulatorPage
):
    try:
        trail = oversight.money_trail(session, project_code=project_code)
    except DomainError as exc:
        raise _domain_page(exc) from None
    return render(request, "regulator/money_trail.html", who=who, trail=trail)


def csv_response(filename: str, header: list[str], rows) -> Response:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _all_pages(read, **filters):
    cursor = None
    while True:
        page = read(cursor=cursor, limit=500, **filters)
        yield from page.items
        if not (cursor := page.next_cursor):
            return


@router.get("/enterprises.csv")
def enterprises_csv(session: SessionDep, who: RegulatorPage, grade: Annotated[Grade | None, Query()] = None):
    items = _all_pages(lambda **kw: credit_records.list_enterprises(session, **kw), grade=grade)
    return csv_response(
        "enterprise-credit.csv",
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
            ]
            for e in items
        ),
    )


@router.get("/commitments.csv")
def commitments_csv(session: SessionDep, who: RegulatorPage, status: Annotated[AlertStatus | None, Query()] = None):
    items = _all_pages(lambda **kw: oversight.commitments_in_trouble(session, **kw), status=status)
    return csv_response(
        "commitments-overdue-breached.csv",
        ["承诺编号", "项目代码", "统一社会信用代码", "承诺事项", "状态", "承诺期限（北京时间）", "交易哈希", "区块号"],
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
            ]
            for c in items
        ),
    )
