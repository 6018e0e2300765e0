"""The public's side of 咨询、投诉建议: submit a question, complaint or suggestion (with the arithmetic
question and a per-address limit), follow it by ticket number and code, rate the answer, search the FAQ.

The number and code travel in POST bodies, never in a URL (no code in logs or browser history). A
refused form is re-rendered with a message naming the field (422) and nothing is written."""

from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from limits import RateLimitItemPerHour
from limits.errors import StorageError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ledger.core.field_encryption import field_cipher
from ledger.domain import tickets
from ledger.domain.errors import DomainError
from portal.pages import page_rate_limit, render
from portal.people import person_or_none
from portal.ticket_challenge import check_answer, new_challenge
from web.kit.deps import SessionDep, settings_for
from web.kit.security_headers import mark_private
from web.kit.throttle import client_address, limiter_of, seconds_until_free

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limit)])

TICKET_KIND = {"consultation": "咨询", "complaint": "投诉", "suggestion": "建议"}
TICKET_TOPIC = {"service": "人防办的服务", "project": "某个项目", "repair_notice": "信用修复公示（异议）"}
TICKET_STATUS = {"open": "待答复", "answered": "已答复"}
RATING = {"satisfied": "满意", "unsatisfied": "不满意"}
# The domain's refusals, by field, in Chinese.
REFUSED = {
    "kind": "类别（kind）：请选择咨询、投诉或建议。",
    "topic": "事项（topic）：请选择关于服务或关于项目。",
    "project_code": "项目代码（project_code）：关于项目的诉求请填写项目代码，格式为 YYYY-RRRRRR-II-TT-NNNNNN。",
    "title": f"标题（title）：必填，最多 {tickets.TITLE_MAX} 字。",
    "body": f"内容（body）：必填，最多 {tickets.BODY_MAX} 字。",
    "contact": "联系方式（contact）：请填写 11 位手机号、带区号的固定电话或电子邮箱。",
    "code": "受理编号或查询码不正确（number、code）。请核对提交时显示的受理编号和查询码。",
    "number": "受理编号或查询码不正确（number、code）。请核对提交时显示的受理编号和查询码。",
    "rating": "评价（rating）：请在答复后选择满意或不满意，每件只能评价一次。",
    "rating_reason": f"理由（rating_reason）：选择不满意时请填写理由，最多 {tickets.REASON_MAX} 字。",
    "repair_application_id": "该信用修复公示不在公示期内（repair_application_id），公示期外不再受理异议。",
}


class FormError:
    """A refusal shown next to its field (macros.field_error reads .field and .text)."""

    def __init__(self, field: str, text: str):
        self.field, self.text = field, text


def refused(error: DomainError) -> FormError:
    field = error.field or "form"
    return FormError(field, REFUSED.get(field, error.detail))


async def form_of(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}


def _submit_form(request: Request, *, status_code: int = 200, error=None, values=None, headers=None):
    return render(
        request,
        "tickets/new.html",
        status_code=status_code,
        headers=headers,
        error=error,
        values=values or {},
        challenge=new_challenge(settings_for(request)),
        KINDS=TICKET_KIND,
        TOPICS=TICKET_TOPIC,
    )


@router.get("/tickets/new")
async def ticket_form(request: Request, kind: str = "consultation", repair: str = ""):
    if repair:  # an objection (异议) to a repair notice, linked from the notice
        values = {"kind": "complaint", "topic": "repair_notice", "repair_application_id": repair[:32]}
        return _submit_form(request, values=values)
    return _submit_form(request, values={"kind": kind if kind in TICKET_KIND else "consultation", "topic": "service"})


def _submission_wait(request: Request) -> int:
    """0 when this address may submit now, else seconds to wait (blocking: thread pool)."""
    limiter = limiter_of(request)
    item = RateLimitItemPerHour(settings_for(request).tickets.submissions_per_hour, namespace="ticket-submit")
    try:
        if limiter.hit(item, client_address(request)):
            return 0
        return seconds_until_free(limiter, item, client_address(request))
    except StorageError:
        return 0  # as the public limit: an outage of the counter does not close the form


def _file(session: Session, request: Request, values: dict[str, str], user_id: int | None):
    settings = settings_for(request)
    return tickets.submit(
        session,
        kind=values.get("kind", ""),
        topic=values.get("topic", ""),
        project_code=values.get("project_code"),
        title=values.get("title", ""),
        body=values.get("body", ""),
        contact=values.get("contact", ""),
        cipher=field_cipher(settings),
        settings=settings.tickets,
        user_id=user_id,
        repair_application_id=values.get("repair_application_id"),
    )


@router.post("/tickets/new")
async def ticket_submit(request: Request, session: SessionDep):
    mark_private(request)  # the answer carries the code
    values = await form_of(request)
    wrong = check_answer(
        settings_for(request), token=values.get("challenge_token", ""), answer=values.get("challenge_answer", "")
    )
    if wrong:
        return _submit_form(request, status_code=422, error=FormError("challenge_answer", wrong), values=values)
    if wait := await run_in_threadpool(_submission_wait, request):
        message = f"本地址提交过于频繁，请 {(wait + 59) // 60} 分钟后再试。"
        return _submit_form(
            request,
            status_code=429,
            error=FormError("form", message),
            values=values,
            headers={"Retry-After": str(wait)},
        )
    who = await person_or_none(request)
    try:
        filed = await run_in_threadpool(_file, session, request, values, who.person.id if who else None)
    except DomainError as error:
        return _submit_form(request, status_code=422, error=refused(error), values=values)
    return render(request, "tickets/created.html", status_code=201, filed=filed, KINDS=TICKET_KIND)


def _thread(
    request: Request, *, status_code: int = 200, ticket=None, error=None, number: str = "", code: str = "", **extra
):
    return render(
        request,
        "tickets/follow.html",
        status_code=status_code,
        ticket=ticket,
        error=error,
        number=number,
        code=code,
        KINDS=TICKET_KIND,
        STATUS=TICKET_STATUS,
        RATING=RATING,
        **extra,
    )


@router.get("/tickets/follow")
async def follow_form(request: Request):
    return _thread(request)


@router.post("/tickets/follow")
async def follow(request: Request, session: SessionDep):
    mark_private(request)
    values = await form_of(request)
    number, code = values.get("number", "").strip(), values.get("code", "").strip()
    try:
        ticket = await run_in_threadpool(tickets.read_by_number_and_code, session, number=number, code=code)
    except DomainError as error:
        return _thread(request, status_code=404, error=refused(error), number=number)
    return _thread(request, ticket=ticket, number=number, code=code)


@router.post("/tickets/rate")
async def rate(request: Request, session: SessionDep):
    mark_private(request)
    values = await form_of(request)
    number, code = values.get("number", "").strip(), values.get("code", "").strip()
    try:
        ticket = await run_in_threadpool(
            tickets.rate,
            session,
            number=number,
            code=code,
            rating=values.get("rating", ""),
            reason=values.get("rating_reason", ""),
        )
    except DomainError as error:
        try:  # show the thread again with the refusal next to the rating
            ticket = await run_in_threadpool(tickets.read_by_number_and_code, session, number=number, code=code)
        except DomainError:
            return _thread(request, status_code=404, error=refused(error), number=number)
        status = 404 if error.field in ("code", "number") else 422
        return _thread(request, status_code=status, ticket=ticket, error=refused(error), number=number, code=code)
    return _thread(request, ticket=ticket, number=number, code=code, rated=True)


@router.get("/faq")
def faq(request: Request, session: SessionDep, q: str = ""):
    query = q.strip()[:100]
    return render(request, "tickets/faq.html", query=query, answers=tickets.search_faq(session, query=query))
