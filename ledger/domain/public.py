"""What the public sees (公众查询): a project's fee and commitments, and a receipt's verification.

Every figure comes from the read model (the mirror of the chain) with the proof of the event
behind it; names and codes come from the approval system's registration. No personal data:
the builder's name is masked, voucher numbers in lists too (the holder of a voucher verifies
it in full). Lists are cursor-paginated.
"""

import base64

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.chain import proofs
from ledger.core.identifiers import DISTRICTS
from ledger.core.settings import Settings
from ledger.db.read_model import ChainState, FeeAccount, FeeAssessment, Payment
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import CommitmentRecord, PaymentConfirmation, Project
from ledger.domain.common import from_unix, get_project_row, proof_of, reference_key_hex
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.projects import enterprise_name
from ledger.domain.schemas.public import (
    ChainCheck,
    PublicCommitment,
    PublicCommitmentPage,
    PublicFee,
    PublicPayment,
    PublicPaymentPage,
    PublicProject,
    ReadModelAsOf,
    ReceiptVerification,
)

MAX_PAGE = 100
MASK = "****"


def mask_name(name: str) -> str:
    """A name with its middle hidden, the same length of mask whatever the name's length (the length
    would help to guess it): 郑州某置业有限公司 → 郑州****有限公司, 王小明 → 王****明."""
    name = name.strip()
    if len(name) <= 1:
        return name + MASK
    if len(name) < 6:
        return name[0] + MASK + name[-1]
    return name[:2] + MASK + name[-4 if len(name) >= 10 else -2 :]


def mask_reference(reference: str) -> str:
    """3320260000001234 → 3320****1234."""
    return reference[:4] + MASK + reference[-4:] if len(reference) > 8 else reference[:2] + MASK


def as_of(session: Session) -> ReadModelAsOf | None:
    """The checkpoint of the chain the read model mirrors (the most recently indexed one)."""
    row = session.execute(
        select(col(ChainState.chain_id), col(ChainState.block_number))
        .order_by(col(ChainState.updated_at).desc())
        .limit(1)
    ).first()
    return ReadModelAsOf(chain_id=row.chain_id, block_number=row.block_number) if row else None


def public_project(session: Session, *, project_code: str, limit: int = 20) -> PublicProject:
    project = get_project_row(session, project_code)
    checkpoint = as_of(session)
    return PublicProject(
        project_code=project.project_code,
        project_key=project.project_key,
        name=project.name,
        district=project.district,
        district_name=DISTRICTS[project.district],
        stage=project.stage,
        builder_name_masked=mask_name(enterprise_name(session, project.builder_uscc) or ""),
        fee=_fee(session, checkpoint.chain_id, project.project_key) if checkpoint else None,
        commitments=_commitments(session, project, checkpoint, cursor=None, limit=limit),
        as_of=checkpoint,
    )


def public_commitments(
    session: Session, *, project_code: str, cursor: str | None = None, limit: int = 20
) -> PublicCommitmentPage:
    project = get_project_row(session, project_code)
    return _commitments(session, project, as_of(session), cursor=cursor, limit=limit)


def public_payments(
    session: Session, *, project_code: str, cursor: str | None = None, limit: int = 20
) -> PublicPaymentPage:
    """The project's payments on chain, oldest first, voucher numbers masked."""
    project = get_project_row(session, project_code)
    _check_limit(limit)
    checkpoint = as_of(session)
    if checkpoint is None:
        return PublicPaymentPage(items=[], next_cursor=None)
    after = _decode_cursor(cursor, "payment")
    query = select(Payment).where(
        col(Payment.chain_id) == checkpoint.chain_id, col(Payment.project) == project.project_key
    )
    if after is not None:
        block, log = (int(part) for part in after.split("."))
        query = query.where(
            tuple_(col(Payment.block_number), col(Payment.log_index)) > tuple_(literal(block), literal(log))
        )
    rows = (
        session.execute(query.order_by(col(Payment.block_number), col(Payment.log_index)).limit(limit)).scalars().all()
    )
    numbers = _voucher_numbers(session, project.project_code)
    items = [
        PublicPayment(
            voucher_number_masked=mask_reference(numbers.get(row.voucher, row.voucher[2:18].upper())),
            amount_fen=row.amount_fen,
            paid_at=from_unix(row.paid_at),
            late=row.late,
            proof=proof_of(checkpoint.chain_id, row),
        )
        for row in rows
    ]
    next_cursor = None
    if len(rows) == limit:
        next_cursor = _encode_cursor("payment", f"{rows[-1].block_number}.{rows[-1].log_index}")
    return PublicPaymentPage(items=items, next_cursor=next_cursor)


def verify_receipt(session: Session, *, voucher_number: str) -> ReceiptVerification:
    """The voucher as the chain recorded it (found by keccak256 of its normalised number), or NotFound."""
    checkpoint = as_of(session)
    row = (
        None
        if checkpoint is None
        else session.execute(
            select(Payment).where(
                col(Payment.chain_id) == checkpoint.chain_id, col(Payment.voucher) == reference_key_hex(voucher_number)
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        raise NotFound(
            f"voucher {voucher_number} is not recorded on chain (a payment just made shows within "
            "seconds once the tax system has confirmed it)",
            field="voucher_number",
            rule="recorded_on_chain",
        )
    project = session.execute(select(Project).where(col(Project.project_key) == row.project)).scalars().first()
    return ReceiptVerification(
        verified=True,
        voucher_number=voucher_number,
        amount_fen=row.amount_fen,
        paid_at=from_unix(row.paid_at),
        late=row.late,
        proof=proof_of(row.chain_id, row),  # (the checkpoint's chain, which the row was looked up in)
        as_of=checkpoint,
        project_code=project.project_code if project else None,
        project_name=project.name if project else None,
        district_name=DISTRICTS[project.district] if project else None,
    )


def _fee(session: Session, chain_id: int, project_key: str) -> PublicFee | None:
    account = session.get(FeeAccount, (chain_id, project_key))
    if account is None:
        return None
    return PublicFee(
        status=account.status,
        **_assessed(session, chain_id, project_key),
        rate_table_version=account.rate_table_version,
        base_fen=account.base_fen,
        relief_bps=account.relief_bps,
        adjustment_fen=account.adjustment_fen,
        due_fen=account.due_fen,
        paid_fen=account.paid_fen,
        refunded_fen=account.refunded_fen,
        due_at=from_unix(account.due_at),
        proof=proof_of(chain_id, account),
    )


def _commitments(
    session: Session, project: Project, checkpoint: ReadModelAsOf | None, *, cursor: str | None, limit: int
) -> PublicCommitmentPage:
    """The project's commitments that are on chain, by commitment number."""
    _check_limit(limit)
    after = _decode_cursor(cursor, "commitment")
    if checkpoint is None:
        return PublicCommitmentPage(items=[], next_cursor=None)
    query = (
        select(col(CommitmentRecord.commitment_number), CommitmentView)
        .join(CommitmentView, col(CommitmentView.commitment) == col(CommitmentRecord.commitment_key))
        .where(
            col(CommitmentRecord.project_code) == project.project_code,
            col(CommitmentView.chain_id) == checkpoint.chain_id,
        )
    )
    if after is not None:
        query = query.where(col(CommitmentRecord.commitment_number) > after)
    rows = session.execute(query.order_by(col(CommitmentRecord.commitment_number)).limit(limit)).all()
    items = [
        PublicCommitment(
            commitment_number=number,
            kind=view.kind,
            status=view.status,
            due_at=from_unix(view.due_at),
            fulfilled_late=view.fulfilled_late,
            proof=proof_of(checkpoint.chain_id, view),
        )
        for number, view in rows
    ]
    return PublicCommitmentPage(
        items=items, next_cursor=_encode_cursor("commitment", rows[-1][0]) if len(rows) == limit else None
    )


def _voucher_numbers(session: Session, project_code: str) -> dict[str, str]:
    """On-chain voucher key → voucher number, from the tax system's confirmations (the chain holds only the key)."""
    numbers = session.execute(
        select(col(PaymentConfirmation.voucher_number)).where(col(PaymentConfirmation.project_code) == project_code)
    ).scalars()
    return {reference_key_hex(number): number for number in numbers}


def _assessed(session: Session, chain_id: int, project_key: str) -> dict:
    """Area and rate of the latest assessment, with its own proof (None for an account imported from
    an earlier contract version)."""
    row = (
        session.execute(
            select(FeeAssessment)
            .where(col(FeeAssessment.chain_id) == chain_id, col(FeeAssessment.project) == project_key)
            .order_by(col(FeeAssessment.block_number).desc(), col(FeeAssessment.log_index).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if row is None:
        return {"shortfall_area": None, "rate_fen_per_m2": None, "assessment_proof": None}
    return {
        "shortfall_area": row.shortfall_area,
        "rate_fen_per_m2": row.rate_fen_per_m2,
        "assessment_proof": proof_of(chain_id, row),
    }


def check_receipt_on_chain(receipt: ReceiptVerification, *, settings: Settings) -> ChainCheck:
    """A verified receipt's proof, voucher and amount re-read from the configured chain node."""
    check = proofs.check_receipt_on_chain(
        receipt.proof, voucher_number=receipt.voucher_number, amount_fen=receipt.amount_fen, settings=settings
    )
    return ChainCheck(matches=check.matches, checked_block_number=check.checked_block_number, detail=check.detail)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}", field="limit", rule=f"range_1_{MAX_PAGE}")


def _encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, kind: str) -> str | None:
    if not cursor:
        return None
    try:
        found, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if found != kind or not value:
            raise ValueError(found)
        if kind == "payment":
            block, log = value.split(".")
            int(block), int(log)
        return value
    except ValueError:
        raise ValidationFailed("not a cursor this list issued", field="cursor", rule="opaque_cursor") from None
