"""The office's supporting documents (依据文件): the file behind a relief, an adjustment or a decision on
a commitment, uploaded from the office's pages (portal.office_pages).

The file goes into the same content-addressed store as an enterprise's evidence (ledger.domain.documents:
PDF, PNG or JPEG by its content, within the size limit, never empty, served only as an attachment), and
its digest — computed here from the bytes, never typed — is what the domain service puts on chain, exactly
as a digest given to /v1/office would be. The page checks the file (`DocumentStore.checked`, nothing
written), calls the service, and only once the service accepted the write calls `keep`, in the same
transaction: a refused write stores nothing and records nothing.

Who may download it: office staff and the regulator, and the enterprise whose matter it supports (the
project's builder for a relief or adjustment, the commitment's enterprise for a decision)."""

import time
import uuid
from collections.abc import Iterable

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.office_document_model import OfficeDocument
from ledger.db.write_model import AdjustmentRequest, CommitmentDocument, CommitmentRecord, OfficeApproval, Project
from ledger.domain.documents import DocumentStore, shown_name
from ledger.domain.errors import NotFound


def keep(
    session: Session,
    *,
    store: DocumentStore,
    content: bytes,
    file_name: str,
    uploaded_by: str,
    project_code: str | None = None,
    commitment_number: str | None = None,
) -> OfficeDocument:
    """Store the file (once per content) and record it as the supporting document of a write the service
    has just accepted: on the project `project_code` (a relief or adjustment), or on the commitment
    `commitment_number` (a decision)."""
    if commitment_number is not None:
        record = session.get(CommitmentRecord, commitment_number)
        if record is None:
            raise NotFound(f"no commitment {commitment_number}", field="commitment_number", rule="recorded_commitment")
        project_code, uscc = record.project_code, record.enterprise_uscc
    else:
        project = session.get(Project, project_code or "")
        if project is None:
            raise NotFound(f"no project {project_code}", field="project_code", rule="registered_project")
        uscc = project.builder_uscc
    stored = store.put(content)
    row = OfficeDocument(
        id=uuid.uuid4().hex,
        digest=stored.digest,
        digest_algorithm=stored.algorithm,
        media_type=stored.media_type,
        size=stored.size,
        file_name=shown_name(file_name),
        purpose="decision" if commitment_number is not None else "adjustment",
        project_code=project_code or "",
        commitment_number=commitment_number,
        enterprise_uscc=uscc,
        uploaded_by=uploaded_by,
        uploaded_at=time.time(),
    )
    session.add(row)
    session.flush()
    return row


def may_read_document(session: Session, *, digest: str, role: str, uscc: str | None) -> bool:
    """Office staff and the regulator any office document; an enterprise those supporting its own matter."""
    query = select(col(OfficeDocument.id)).where(col(OfficeDocument.digest) == digest)
    if role == "enterprise":
        query = query.where(col(OfficeDocument.enterprise_uscc) == uscc)
    elif role not in ("office", "regulator"):
        return False
    return session.execute(query.limit(1)).first() is not None


def by_digest(session: Session, digests: Iterable[str | None], *, uscc: str | None = None) -> dict[str, OfficeDocument]:
    """The office documents kept under these digests (as the chain holds them: `0x` and case do not matter),
    the latest upload of each; with `uscc`, only those supporting that enterprise's matter."""
    wanted = {d.lower().removeprefix("0x") for d in digests if d}
    if not wanted:
        return {}
    query = select(OfficeDocument).where(col(OfficeDocument.digest).in_(wanted))
    if uscc is not None:
        query = query.where(col(OfficeDocument.enterprise_uscc) == uscc)
    return {row.digest: row for row in session.execute(query.order_by(col(OfficeDocument.uploaded_at))).scalars()}


def of_command(session: Session, *, command_id: str) -> OfficeDocument | None:
    """The supporting document of an office write, by its command: the digest its relief, adjustment or
    decision was made with (an approved four-eyes reduction's too), if a clerk uploaded that file."""
    digests = union_all(
        select(col(AdjustmentRequest.document_sha256)).where(col(AdjustmentRequest.command_id) == command_id),
        select(col(CommitmentDocument.document_sha256)).where(col(CommitmentDocument.command_id) == command_id),
        select(col(OfficeApproval.document_sha256)).where(col(OfficeApproval.command_id) == command_id),
    )
    found = by_digest(session, session.execute(digests).scalars())
    return next(iter(found.values()), None)
