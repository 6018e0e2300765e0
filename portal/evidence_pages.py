"""Fulfilment evidence on the portal (ledger.domain.evidence): the enterprise's page for one of its
commitments (upload, the history of submissions with the office's review, answering a rejection with new
evidence), the office's review (open the file, accept → fulfilled on chain, or reject with a reason), and
the download every one of them uses.

A document is served only to those who may read it (its enterprise, office staff, the regulator), as an
attachment of the type detected from its content, with nosniff and a sandboxing CSP: never rendered
inline by the browser, whatever the bytes hold."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ledger.core.crypto_profile import current_profile
from ledger.core.identifiers import Reference
from ledger.domain import evidence, office_documents, repairs
from ledger.domain.documents import EXTENSIONS, DocumentStore
from ledger.domain.errors import DomainError
from ledger.domain.repair_gate import ends_text
from portal.forms import posted_form
from portal.office_words import refusal_words
from portal.pages import COMMAND_STATUS, PageError, render
from portal.people import EnterprisePage, OfficePage, PagePerson, role
from portal.uploads import TYPE_LIST, file_rule, megabytes, posted_upload
from web.kit.deps import SessionDep, settings_for

router = APIRouter(include_in_schema=False)

# The upload's path (api.limits.BodySizeLimit gives it a larger allowance than other requests: up to
# twice the file limit the form is parsed and re-rendered naming the limit; beyond, the plain 413).
UPLOAD_PATH = r"/workspace/commitments/.+/evidence"  # a commitment number may contain "/"
REPAIR_PATH = r"/workspace/commitments/.+/repair"  # a repair application: up to repairs.MAX_FILES files
OUTCOME_UPLOAD_PATH = r"/v1/office/draws/[^/]+/outcomes"  # the office's inspection report (api.routes.office_draws)
OUTCOME_PAGE_PATH = r"/office/draws/[^/]+/outcomes"  # the same report from the office's draw page (portal.draw_pages)
OFFICE_DOCUMENT_PATHS = (r"/office/adjust", r"/office/commitments/.+/decide")  # a supporting document (office_pages)
OPEN_STATUSES = ("pending", "recorded", "extended", "overdue")  # the registry's _open, and not yet on chain
SubmissionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
AnyReader = Annotated[PagePerson, Depends(role("enterprise", "office", "regulator"))]


def upload_allowance(max_bytes: int) -> dict[str, int]:
    """For web.app: the body size the upload path may reach (the file and the form around it)."""
    return {
        UPLOAD_PATH: 2 * max_bytes,
        REPAIR_PATH: (repairs.MAX_FILES + 1) * max_bytes,
        OUTCOME_UPLOAD_PATH: 2 * max_bytes,  # an inspection report
        OUTCOME_PAGE_PATH: 2 * max_bytes,
    } | dict.fromkeys(OFFICE_DOCUMENT_PATHS, 2 * max_bytes)


def upload_words(error: DomainError, max_bytes: int) -> str:
    """The upload's refusals in an enterprise's words, naming the field and the rule."""
    if about_the_file := file_rule(error.rule, max_bytes):
        return f"文件（file）：{about_the_file}"  # the store's own detail is English: not on a Chinese page
    words = {
        "awaiting_review": "上一次提交的材料正在人防办审查中，审查结果出来后才能再次提交。",
        "allowed_transition": "该承诺当前的状态不接受履约材料（只有履约中、已延期或已逾期的承诺可以提交）。",
    }
    return words.get(error.rule or "", refusal_words(error))


# --- the enterprise: its commitment's evidence ------------------------------------------------------


@router.get("/workspace/commitments/{commitment_number:path}/evidence")
def evidence_page(
    request: Request, session: SessionDep, who: EnterprisePage, commitment_number: Annotated[Reference, Path()]
):
    return _evidence_page(request, session, who, commitment_number)


@router.post("/workspace/commitments/{commitment_number:path}/evidence")
async def evidence_upload(
    request: Request, session: SessionDep, who: EnterprisePage, commitment_number: Annotated[Reference, Path()]
):
    store = DocumentStore.of(settings_for(request))
    _, content, file_name = await posted_upload(request, store, "file")
    try:
        await run_in_threadpool(
            evidence.submit_evidence,
            session,
            store=store,
            uscc=who.person.enterprise_uscc,
            username=who.person.username,
            commitment_number=commitment_number,
            content=content,
            file_name=file_name,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        if error.rule == "own_commitment":
            raise _not_yours(commitment_number) from None
        status = 413 if error.rule == "max_bytes" else 422
        return await run_in_threadpool(
            _evidence_page, request, session, who, commitment_number, status, upload_words(error, store.max_bytes)
        )
    return RedirectResponse(request.url_for("evidence_page", commitment_number=commitment_number).path, 303)


@router.get("/workspace/commitments/{commitment_number:path}/evidence/{submission_id}/status")
def evidence_status_json(
    session: SessionDep,
    who: EnterprisePage,
    commitment_number: Annotated[Reference, Path()],
    submission_id: SubmissionId,
) -> dict:
    """The evidence page's script polls this until the submission's command is final."""
    submission = _own_submission(session, who, commitment_number, submission_id)
    return {
        "status": submission.command_status,
        "status_text": COMMAND_STATUS.get(submission.command_status, submission.command_status),
        "error_text": "链上拒绝了这次提交，请重新提交。" if submission.command_status == "failed" else "",
    }


def _evidence_page(
    request,
    session,
    who,
    commitment_number: str,
    status_code: int = 200,
    error: str | None = None,
    repair_error: str | None = None,
    statement: str = "",
):
    try:
        commitment = evidence.enterprise_commitment(
            session, uscc=who.person.enterprise_uscc, commitment_number=commitment_number
        )
    except DomainError:
        raise _not_yours(commitment_number) from None
    submissions = evidence.history(session, commitment_number=commitment_number)
    awaiting = any(s.awaiting_review for s in submissions)
    applications = repairs.applications_of_commitment(session, commitment_number=commitment_number)
    repair_busy = any(
        a.open or (a.status == "approved" and a.command_status not in ("failed", "indexed")) for a in applications
    )
    max_bytes = settings_for(request).documents.max_bytes
    return render(
        request,
        "evidence/commitment.html",
        status_code,
        who=who,
        commitment=commitment,
        submissions=submissions,
        latest=submissions[0] if submissions else None,
        may_upload=commitment.status in OPEN_STATUSES and not awaiting,
        awaiting=awaiting,
        error=error,
        limit_text=megabytes(max_bytes),
        type_list=TYPE_LIST,
        applications=applications,
        objection_counts={a.id: len(repairs.objections(session, application_id=a.id)) for a in applications},
        may_apply_repair=commitment.status == "breached" and not repair_busy,
        repair_error=repair_error,
        statement=statement,
        max_repair_files=repairs.MAX_FILES,
        max_statement=repairs.MAX_STATEMENT_CHARS,
        ends_text=ends_text,
    )


def _own_submission(session, who, commitment_number: str, submission_id: str) -> evidence.Submission:
    try:
        evidence.enterprise_commitment(session, uscc=who.person.enterprise_uscc, commitment_number=commitment_number)
        submission = evidence.get_submission(session, submission_id=submission_id)
    except DomainError:
        raise _not_yours(commitment_number) from None
    if submission.commitment_number != commitment_number:
        raise _not_yours(commitment_number)
    return submission


def _not_yours(commitment_number: str) -> PageError:
    return PageError(404, "未找到承诺", f"承诺编号（commitment_number）{commitment_number} 不是贵单位的承诺。")


# --- the download: an attachment, never a page -----------------------------------------------------


@router.get("/documents/{digest}")
def document_download(request: Request, session: SessionDep, who: AnyReader, digest: Digest):
    person = who.person
    if not (
        evidence.may_read_document(session, digest=digest, role=person.role, uscc=person.uscc)
        or repairs.may_read_document(session, digest=digest, role=person.role, uscc=person.uscc)
        or office_documents.may_read_document(session, digest=digest, role=person.role, uscc=person.uscc)
    ):
        raise PageError(404, "未找到文件", "没有这份文件，或您无权查看。")
    store = DocumentStore.of(settings_for(request))
    try:
        content, document = store.read(digest)
    except DomainError:
        raise PageError(404, "未找到文件", "没有这份文件，或您无权查看。") from None
    extension = EXTENSIONS.get(document.media_type, "bin")
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{digest[:16]}.{extension}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


# --- the office's review ---------------------------------------------------------------------------


@router.get("/office/evidence/{submission_id}")
def evidence_review_page(request: Request, session: SessionDep, who: OfficePage, submission_id: SubmissionId):
    return _review_page(request, session, who, submission_id)


@router.post("/office/evidence/{submission_id}/accept")
async def evidence_accept(request: Request, session: SessionDep, who: OfficePage, submission_id: SubmissionId):
    try:
        accepted = await run_in_threadpool(
            evidence.accept_evidence, session, submission_id=submission_id, actor=who.person.username
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return await run_in_threadpool(_review_page, request, session, who, submission_id, 422, refusal_words(error))
    return RedirectResponse(request.url_for("command_page", command_id=accepted.command_id).path, 303)


@router.post("/office/evidence/{submission_id}/reject")
async def evidence_reject(request: Request, session: SessionDep, who: OfficePage, submission_id: SubmissionId):
    reason = (await posted_form(request)).get("reason", "")
    profile = current_profile(settings_for(request))
    try:
        accepted = await run_in_threadpool(
            evidence.reject_evidence,
            session,
            submission_id=submission_id,
            reason=reason,
            actor=who.person.username,
            profile=profile,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        words = {
            "required": "退回理由（reason）：请填写退回理由，企业将看到这段文字。",
            "max_length": f"退回理由（reason）：不能超过 {evidence.MAX_REASON_CHARS} 个字。",
        }.get(error.rule or "") or refusal_words(error)
        return await run_in_threadpool(_review_page, request, session, who, submission_id, 422, words, reason)
    return RedirectResponse(request.url_for("command_page", command_id=accepted.command_id).path, 303)


def _review_page(request, session, who, submission_id: str, status_code=200, error=None, reason=""):
    try:
        submission = evidence.get_submission(session, submission_id=submission_id)
    except DomainError:
        raise PageError(404, "未找到履约材料", f"没有编号为 {submission_id} 的履约材料。") from None
    return render(
        request,
        "evidence/review.html",
        status_code,
        who=who,
        submission=submission,
        project_code=evidence.project_of(session, commitment_number=submission.commitment_number),
        error=error,
        reason=reason,
        size_text=megabytes(submission.size),
    )
