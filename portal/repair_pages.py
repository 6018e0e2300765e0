"""Credit repair with public notice on the portal (ledger.domain.repairs): the enterprise applies from its
commitment's page (a statement and remedy evidence files, with the limits of fulfilment evidence); the
office opens an application from its work queue, publishes it for the notice period, reads the
objections filed against the notice, then approves it once the period has ended (the repair goes on
chain, the command page follows it) or rejects it with a reason the enterprise reads. A refusal is
shown on the form in Chinese (422) and nothing is queued."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse

from ledger.core.identifiers import Reference
from ledger.domain import chain_time, repairs
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import DomainError
from ledger.domain.repair_gate import ends_text
from portal.evidence_pages import _evidence_page, _not_yours, upload_words
from portal.forms import posted_form
from portal.office_words import refusal_words
from portal.pages import PageError, render
from portal.people import EnterprisePage, OfficePage
from portal.ticket_pages import TICKET_KIND, TICKET_STATUS
from portal.uploads import megabytes
from web.kit.deps import SessionDep, settings_for

router = APIRouter(include_in_schema=False)

ApplicationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
REPAIR_STATUS = {"submitted": "待人防办公示", "published": "公示中", "approved": "已批准", "rejected": "未获批准"}


def apply_words(error: DomainError, max_bytes: int) -> str:
    """The application's refusals in an enterprise's words, naming the field and the rule."""
    words = {
        "required": "整改说明（statement）：请写明违约后采取的整改措施。",
        "max_length": f"整改说明（statement）：不能超过 {repairs.MAX_STATEMENT_CHARS} 个字。",
        "not_empty": "整改材料（file）：请至少附上一份整改材料文件，所选文件不能为空。",
        "max_files": f"整改材料（file）：最多附 {repairs.MAX_FILES} 份文件。",
        "breached_only": "只有已认定违约的承诺可以申请信用修复（commitment_number）。",
        "one_open_application": "该承诺已有一份信用修复申请正在办理，办结后才能再次申请（commitment_number）。",
        "repair_on_its_way": "该承诺的信用修复已批准，正在上链（commitment_number）。",
    }
    return words.get(error.rule or "") or upload_words(error, max_bytes)


# --- the enterprise applies ----------------------------------------------------------------------------


@router.post("/workspace/commitments/{commitment_number:path}/repair")
async def repair_apply(
    request: Request, session: SessionDep, who: EnterprisePage, commitment_number: Annotated[Reference, Path()]
):
    store = DocumentStore.of(settings_for(request))
    form = await request.form()
    statement = form.get("statement")
    statement = statement if isinstance(statement, str) else ""
    files = []
    for upload in form.getlist("file")[: repairs.MAX_FILES + 1]:
        if isinstance(upload, UploadFile):  # at most one byte past the limit is read into memory
            files.append((await upload.read(store.max_bytes + 1), upload.filename or ""))
    try:
        await run_in_threadpool(
            repairs.apply_for_repair,
            session,
            store=store,
            uscc=who.person.enterprise_uscc,
            username=who.person.username,
            commitment_number=commitment_number,
            statement=statement,
            files=files,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        if error.rule == "own_commitment":
            raise _not_yours(commitment_number) from None
        status = 413 if error.rule == "max_bytes" else 422
        words = apply_words(error, store.max_bytes)
        return await run_in_threadpool(
            _evidence_page, request, session, who, commitment_number, status, None, words, statement
        )
    path = request.url_for("evidence_page", commitment_number=commitment_number).path
    return RedirectResponse(f"{path}#repair-heading", 303)


# --- the office ------------------------------------------------------------------------------------------


@router.get("/office/repairs/{application_id}")
def repair_page(request: Request, session: SessionDep, who: OfficePage, application_id: ApplicationId):
    return _repair_page(request, session, who, application_id)


@router.post("/office/repairs/{application_id}/publish")
async def repair_publish(request: Request, session: SessionDep, who: OfficePage, application_id: ApplicationId):
    days = settings_for(request).repair.notice_days
    try:
        await run_in_threadpool(
            repairs.publish, session, application_id=application_id, actor=who.person.username, notice_days=days
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return await run_in_threadpool(_repair_page, request, session, who, application_id, 422, refusal_words(error))
    return RedirectResponse(request.url_for("repair_page", application_id=application_id).path, 303)


@router.post("/office/repairs/{application_id}/approve")
async def repair_approve(request: Request, session: SessionDep, who: OfficePage, application_id: ApplicationId):
    try:
        accepted = await run_in_threadpool(
            repairs.approve, session, application_id=application_id, actor=who.person.username
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return await run_in_threadpool(_repair_page, request, session, who, application_id, 422, refusal_words(error))
    return RedirectResponse(request.url_for("command_page", command_id=accepted.command_id).path, 303)


@router.post("/office/repairs/{application_id}/reject")
async def repair_reject(request: Request, session: SessionDep, who: OfficePage, application_id: ApplicationId):
    reason = (await posted_form(request)).get("reason", "")
    try:
        await run_in_threadpool(
            repairs.reject, session, application_id=application_id, actor=who.person.username, reason=reason
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        words = {
            "required": "不予修复的理由（reason）：请填写理由，企业将看到这段文字。",
            "max_length": f"不予修复的理由（reason）：不能超过 {repairs.MAX_REASON_CHARS} 个字。",
        }.get(error.rule or "") or refusal_words(error)
        return await run_in_threadpool(_repair_page, request, session, who, application_id, 422, words, reason)
    return RedirectResponse(request.url_for("repair_page", application_id=application_id).path, 303)


def _repair_page(request, session, who, application_id: str, status_code=200, error=None, reason=""):
    try:
        application = repairs.get_application(session, application_id=application_id)
    except DomainError:
        raise PageError(404, "未找到信用修复申请", f"没有编号为 {application_id} 的信用修复申请。") from None
    now = chain_time.chain_clock().now()
    ended = application.notice_ends_at is not None and now >= application.notice_ends_at.timestamp()
    return render(
        request,
        "office/repair.html",
        status_code,
        who=who,
        application=application,
        objections=repairs.objections(session, application_id=application_id),
        notice_ended=ended,
        notice_days=settings_for(request).repair.notice_days,
        ends_text=ends_text,
        sizes={f.digest: megabytes(f.size) for f in application.files},
        error=error,
        reason=reason,
        REPAIR_STATUS=REPAIR_STATUS,
        TICKET_KIND=TICKET_KIND,
        TICKET_STATUS=TICKET_STATUS,
    )
