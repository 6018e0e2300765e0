"""The office's and the regulator's side of 咨询、投诉建议: the office lists tickets by deadline, reads
one (with the submitter's contact, decrypted), answers it and publishes it as an FAQ; the regulator sees
counts by kind and status, the overdue tickets and the ratings. `?now=` is not offered: the clock is
the server's (tests move it through the domain's `now`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ledger.core.field_encryption import field_cipher
from ledger.domain import tickets
from ledger.domain.errors import DomainError, NotFound
from portal.pages import PageError, render
from portal.people import OfficePage, RegulatorPage
from portal.ticket_pages import RATING, TICKET_KIND, TICKET_STATUS, TICKET_TOPIC, FormError, form_of
from web.kit.deps import SessionDep, settings_for

office_router = APIRouter(prefix="/office/tickets", include_in_schema=False)
regulator_router = APIRouter(prefix="/regulator/tickets", include_in_schema=False)
TicketNumber = Annotated[str, Path(max_length=32)]
LABELS: dict[str, Any] = {"KINDS": TICKET_KIND, "TOPICS": TICKET_TOPIC, "STATUS": TICKET_STATUS, "RATING": RATING}


@office_router.get("")
def office_tickets(request: Request, session: SessionDep, who: OfficePage):
    return render(request, "office/tickets.html", who=who, queue=tickets.office_queue(session), **LABELS)


def _office_ticket(request: Request, session, who, number: str, *, status_code: int = 200, error=None):
    try:
        ticket, contact = tickets.office_ticket(session, number=number, cipher=field_cipher(settings_for(request)))
    except NotFound:
        raise PageError(404, "未找到诉求", f"受理编号（number）{number} 不存在。") from None
    return render(
        request,
        "office/ticket.html",
        status_code=status_code,
        who=who,
        ticket=ticket,
        contact=contact,
        error=error,
        **LABELS,
    )


@office_router.get("/{number}")
def office_ticket(request: Request, number: TicketNumber, session: SessionDep, who: OfficePage):
    return _office_ticket(request, session, who, number)


# The posts read their form on the event loop, then do their database work in the thread pool: a
# blocking call in an `async def` would stall every other request meanwhile.
@office_router.post("/{number}/answer")
async def office_answer(request: Request, number: TicketNumber, session: SessionDep, who: OfficePage):
    values = await form_of(request)
    return await run_in_threadpool(_answer, request, session, who, number, values)


@office_router.post("/{number}/faq")
async def office_faq(request: Request, number: TicketNumber, session: SessionDep, who: OfficePage):
    values = await form_of(request)
    return await run_in_threadpool(_publish, request, session, who, number, values)


def _answer(request: Request, session, who, number: str, values: dict[str, str]):
    try:
        tickets.answer(session, number=number, text=values.get("answer", ""), by=who.person.username)
        if values.get("faq") == "on":
            tickets.publish_as_faq(session, number=number)
    except NotFound:
        raise PageError(404, "未找到诉求", f"受理编号（number）{number} 不存在。") from None
    except DomainError:
        error = FormError("answer", f"答复（answer）：必填，最多 {tickets.ANSWER_MAX} 字。")
        session.rollback()
        return _office_ticket(request, session, who, number, status_code=422, error=error)
    return RedirectResponse(request.url_for("office_ticket", number=number).path, status_code=303)


def _publish(request: Request, session, who, number: str, values: dict[str, str]):
    try:
        tickets.publish_as_faq(session, number=number, public=values.get("public") == "on")
    except NotFound:
        raise PageError(404, "未找到诉求", f"受理编号（number）{number} 不存在。") from None
    except DomainError:
        error = FormError("faq", "公开（faq）：只有已答复的诉求可以公开为常见问题。")
        session.rollback()
        return _office_ticket(request, session, who, number, status_code=422, error=error)
    return RedirectResponse(request.url_for("office_ticket", number=number).path, status_code=303)


@regulator_router.get("")
def regulator_tickets(request: Request, session: SessionDep, who: RegulatorPage):
    return render(request, "regulator/tickets.html", who=who, summary=tickets.regulator_summary(session), **LABELS)
