"""The office workspace (人防办工作台): a work queue, and the office's writes made from the browser on
the same domain services as /v1/office — assess (with the calculation shown before confirming),
reliefs and adjustments with a reason and a document, decisions on commitments with a document.
Every write lands on a command page that follows its status until `indexed` or `failed` (the
contract's error in a clerk's words, portal.office_words)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ledger.core.identifiers import CommandId, Reference
from ledger.db.office_document_model import OfficeDocument
from ledger.domain import approvals, commitments, fees, office_documents, oversight, projects, repairs, tickets
from ledger.domain.commands import command_status, recent_commands
from ledger.domain.documents import ALLOWED_TYPES, DocumentStore
from ledger.domain.errors import DomainError
from ledger.domain.office_queue import DUE_SOON_DAYS, work_queue
from ledger.domain.rates import SURVEY_REDUCTION, SURVEY_SUPPLEMENT, reduction_policy
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.office import AdjustmentCreate, CommitmentDecision, FeeAssessmentCreate
from portal.forms import FieldError, parse_project_code, parse_yuan, posted_form
from portal.office_words import chain_error_words, refusal_words
from portal.pages import COMMAND_STATUS, PageError, render
from portal.people import OfficePage
from portal.ticket_pages import TICKET_KIND
from portal.uploads import TYPE_LIST, FileRefused, checked_file, megabytes, posted_upload
from web.kit.deps import SessionDep, settings_for

router = APIRouter(prefix="/office", include_in_schema=False)

DECISIONS = {"fulfil": "认定履约", "breach": "判定违约", "extend": "批准延期", "repair": "信用修复"}
# The supporting document's form field: a file, whose digest the server computes (the clerk never types one).
DOCUMENT_FIELD, DOCUMENT_LABEL = "document", "依据文件"


@router.get("")
def office_home(request: Request, session: SessionDep, who: OfficePage):
    listed = projects.recent_projects(session, limit=100)
    accounts = oversight.fee_statuses(session, project_keys=[p.project_key for p in listed])
    return render(
        request,
        "office/home.html",
        who=who,
        projects=listed,
        accounts=accounts,
        commands=recent_commands(session, limit=30),
    )


@router.get("/queue")
def office_queue(request: Request, session: SessionDep, who: OfficePage):
    return render(
        request,
        "office/queue.html",
        who=who,
        queue=work_queue(session),
        due_soon_days=DUE_SOON_DAYS,
        awaiting=approvals.awaiting(session),
        reasons=_reasons(),
        open_tickets=[t for t in tickets.office_queue(session) if t.status == "open"],  # by deadline
        TICKET_KIND=TICKET_KIND,
    )


# --- assess: the calculation first, then the write ---------------------------------------------


@router.get("/assess")
def assess_page(request: Request, session: SessionDep, who: OfficePage, project_code: str | None = None):
    if project_code is None:
        return render(request, "office/assess.html", who=who, form={}, preview=None)
    try:
        code = parse_project_code(project_code)
        preview = fees.preview_assessment(session, project_code=code)
    except FieldError as error:
        return render(
            request, "office/assess.html", 422, who=who, form={"project_code": project_code}, error=error.text
        )
    except DomainError as error:
        return render(
            request, "office/assess.html", 422, who=who, form={"project_code": project_code}, error=refusal_words(error)
        )
    project = projects.get_project(session, project_code=code)
    return render(request, "office/assess.html", who=who, form={"project_code": code}, preview=preview, project=project)


@router.post("/assess")
async def assess_submit(request: Request, session: SessionDep, who: OfficePage):
    form = await posted_form(request)
    try:
        due = _parse_date("due_date", "缴费期限", form["due_date"]) if form.get("due_date") else None
        assessment = FeeAssessmentCreate(project_code=parse_project_code(form.get("project_code")), due_date=due)
        accepted = await run_in_threadpool(fees.assess_fee, session, assessment=assessment, actor=who.person.username)
    except (FieldError, DomainError) as error:
        await run_in_threadpool(session.rollback)
        text = error.text if isinstance(error, FieldError) else refusal_words(error)
        return render(request, "office/assess.html", 422, who=who, form=form, error=text)
    return _to_command(request, accepted.command_id)


# --- reliefs and adjustments ---------------------------------------------------------------------


def _reasons() -> dict[str, str]:
    policy = reduction_policy()
    return {code: r["label"] for code, r in (policy["reasons"] | policy["survey"]).items()}


@router.get("/adjust")
def adjust_page(request: Request, who: OfficePage, project_code: Annotated[str, Query(max_length=60)] = ""):
    return _adjust_form(request, who, {"project_code": project_code})


def _adjust_form(request: Request, who, form: dict, status_code: int = 200, error: str | None = None):
    return render(
        request,
        "office/adjust.html",
        status_code,
        who=who,
        form=form,
        reasons=_reasons(),
        error=error,
        **_document_help(request),
    )


@router.post("/adjust")
async def adjust_submit(request: Request, session: SessionDep, who: OfficePage):
    store = DocumentStore.of(settings_for(request))
    form, content, file_name = await posted_upload(request, store, DOCUMENT_FIELD)
    reason_code = form.get("reason_code", "")
    try:
        code = parse_project_code(form.get("project_code"))
        if reason_code not in _reasons():
            raise FieldError("reason_code", "减免或调整理由", "请从列表中选择")
        delta = None
        if reason_code in (SURVEY_SUPPLEMENT, SURVEY_REDUCTION):  # a fixed amount: supplement +, reduction −
            amount = parse_yuan("amount_yuan", "调整金额", form.get("amount_yuan"))
            delta = amount if reason_code == SURVEY_SUPPLEMENT else -amount
        document = checked_file(store, content, field=DOCUMENT_FIELD, label=DOCUMENT_LABEL)
        adjustment = AdjustmentCreate(
            project_code=code, reason_code=reason_code, delta_fen=delta, document_sha256=document.digest
        )
    except FieldError as error:
        return _adjust_form(request, who, form, _status_of_refusal(error), error.text)

    def request_it():  # the service first; the file is kept only once the write is accepted (or held)
        outcome = approvals.request_adjustment(
            session,
            adjustment=adjustment,
            actor=who.person.username,
            threshold_fen=settings_for(request).portal.second_officer_above_fen,
        )
        office_documents.keep(
            session,
            store=store,
            content=content,
            file_name=file_name,
            project_code=code,
            uploaded_by=who.person.username,
        )
        return outcome

    try:
        outcome = await run_in_threadpool(request_it)
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return _adjust_form(request, who, form, 422, refusal_words(error))
    if isinstance(outcome, CommandAccepted):
        return _to_command(request, outcome.command_id)
    # above the threshold: held for a second officer
    return RedirectResponse(request.url_for("approval_page", approval_id=outcome.approval_id).path, status_code=303)


# --- four-eyes: a second officer approves a large reduction ---------------------------------------


@router.get("/approvals/{approval_id}")
def approval_page(request: Request, session: SessionDep, who: OfficePage, approval_id: Annotated[CommandId, Path()]):
    try:
        approval = approvals.get_approval(session, approval_id=approval_id)
    except DomainError:
        raise PageError(404, "未找到审批", f"没有编号为 {approval_id} 的审批（approval_id）。") from None
    document = office_documents.by_digest(session, [approval.document_sha256]).get(approval.document_sha256)
    return render(
        request, "office/approval.html", who=who, approval=approval, reasons=_reasons(), **_document_shown(document)
    )


@router.post("/approvals/{approval_id}")
async def approval_submit(
    request: Request, session: SessionDep, who: OfficePage, approval_id: Annotated[CommandId, Path()]
):
    try:
        accepted = await run_in_threadpool(
            approvals.approve, session, approval_id=approval_id, approver=who.person.username
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        raise PageError(422 if error.rule != "known_approval" else 404, "未能审批", refusal_words(error)) from None
    return _to_command(request, accepted.command_id)


@router.post("/approvals/{approval_id}/decline")
async def approval_decline(
    request: Request, session: SessionDep, who: OfficePage, approval_id: Annotated[CommandId, Path()]
):
    try:
        await run_in_threadpool(approvals.decline, session, approval_id=approval_id, by=who.person.username)
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        raise PageError(422 if error.rule != "known_approval" else 404, "未能退回", refusal_words(error)) from None
    return RedirectResponse(request.url_for("approval_page", approval_id=approval_id).path, status_code=303)


# --- decisions on commitments --------------------------------------------------------------------


@router.get("/commitments/{commitment_number}/decide")
def decide_page(request: Request, who: OfficePage, commitment_number: Annotated[Reference, Path()]):
    return _decide_form(request, who, commitment_number, {"action": ""})


def _decide_form(request: Request, who, number: str, form: dict, status_code: int = 200, error: str | None = None):
    return render(
        request,
        "office/decide.html",
        status_code,
        who=who,
        number=number,
        decisions=DECISIONS,
        form=form,
        error=error,
        **_document_help(request),
    )


@router.post("/commitments/{commitment_number}/decide")
async def decide_submit(
    request: Request, session: SessionDep, who: OfficePage, commitment_number: Annotated[Reference, Path()]
):
    store = DocumentStore.of(settings_for(request))
    form, content, file_name = await posted_upload(request, store, DOCUMENT_FIELD)
    action = form.get("action", "")
    try:
        if action not in DECISIONS:
            raise FieldError("action", "决定", "请选择一项决定")
        due = _parse_date("new_due_date", "新的到期日", form.get("new_due_date", "")) if action == "extend" else None
        # A repair's document is its application (statement and remedy files), approved as it stands.
        document = (
            None if action == "repair" else checked_file(store, content, field=DOCUMENT_FIELD, label=DOCUMENT_LABEL)
        )
    except FieldError as error:
        return _decide_form(request, who, commitment_number, form, _status_of_refusal(error), error.text)

    def decide_it() -> CommandAccepted:
        actor = who.person.username
        if document is None:
            return repairs.approve_for_commitment(session, commitment_number=commitment_number, actor=actor)
        decision = CommitmentDecision(action=action, document_sha256=document.digest, new_due_date=due)
        accepted = commitments.decide_commitment(
            session, commitment_number=commitment_number, decision=decision, actor=actor
        )
        office_documents.keep(
            session,
            store=store,
            content=content,
            file_name=file_name,
            commitment_number=commitment_number,
            uploaded_by=actor,
        )
        return accepted

    try:
        accepted = await run_in_threadpool(decide_it)
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return _decide_form(request, who, commitment_number, form, 422, refusal_words(error))
    return _to_command(request, accepted.command_id)


# --- a command's status, followed live ---------------------------------------------------------


@router.get("/commands/{command_id}")
def command_page(request: Request, session: SessionDep, who: OfficePage, command_id: Annotated[CommandId, Path()]):
    document = office_documents.of_command(session, command_id=command_id)
    return render(
        request, "office/command.html", who=who, **_status_of(session, command_id), **_document_shown(document)
    )


@router.get("/commands/{command_id}/status")
def command_status_json(session: SessionDep, who: OfficePage, command_id: Annotated[CommandId, Path()]) -> dict:
    """The command page's script polls this until the status is final."""
    shown = _status_of(session, command_id)
    return {"status": shown["command"].status, "status_text": shown["status_text"], "error_text": shown["error_text"]}


def _status_of(session, command_id: str) -> dict:
    try:
        command = command_status(session, command_id=command_id)
    except DomainError:
        raise PageError(404, "未找到命令", f"没有编号为 {command_id} 的命令（command_id）。") from None
    error = command.error
    return {
        "command": command,
        "status_text": COMMAND_STATUS.get(command.status, command.status),
        "error_text": chain_error_words(error.name) if error else "",
        "final": command.status in ("indexed", "failed"),
    }


def _to_command(request: Request, command_id: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("command_page", command_id=command_id).path, status_code=303)


# --- documents and dates ----------------------------------------------------------------------------


def _document_help(request: Request) -> dict:
    """What the form says about the file it takes."""
    return {"type_list": TYPE_LIST, "limit_text": megabytes(settings_for(request).documents.max_bytes)}


def _document_shown(document: OfficeDocument | None) -> dict:
    """A write's supporting document as its record shows it: a download (an attachment, never a page)."""
    if document is None:
        return {"document": None}
    kind = ALLOWED_TYPES.get(document.media_type, document.media_type)  # PDF, PNG, JPEG: as people name them
    return {"document": document, "document_size": megabytes(document.size), "document_type": kind}


def _status_of_refusal(error: FieldError) -> int:
    return error.status if isinstance(error, FileRefused) else 422


def _parse_date(field: str, label: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(field, label, "请填写日期，格式为 YYYY-MM-DD") from None
