"""Valid sample inputs (USCCs with their check character, project codes in Zhengzhou divisions)."""

import hashlib
from datetime import date, datetime, timedelta, timezone

from stdnum.cn import uscc

from ledger.domain.schemas.approval import CommitmentCreate, ProjectCreate
from ledger.domain.schemas.office import FeeAssessmentCreate
from ledger.domain.schemas.tax import PaymentConfirmation

DISTRICTS = ["410102", "410103", "410105", "410108", "410122", "410171", "410172", "410173"]


def make_uscc(n: int) -> str:
    base = f"91410100MA{n:07d}"
    return base + uscc.calc_check_digit(base)


def project_code(n: int, district: str | None = None) -> str:
    district = district or DISTRICTS[n % len(DISTRICTS)]
    return f"2026-{district}-47-01-{n:06d}"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def project(n: int, *, required: int = 100_000, built: int = 40_000, builder: int | None = None) -> ProjectCreate:
    """Project n: 1000 m² required, 400 m² built by default (600 m² short)."""
    return ProjectCreate(
        project_code=project_code(n),
        name=f"样例项目 {n}",
        builder_uscc=make_uscc(builder or n),
        builder_name=f"样例建设单位 {builder or n} 有限公司",
        contact_person="张三",
        contact_phone="0371-12345678",
        district=DISTRICTS[n % len(DISTRICTS)],
        required_shelter_area=required,
        built_shelter_area=built,
    )


def assessment(n: int) -> FeeAssessmentCreate:
    return FeeAssessmentCreate(project_code=project_code(n), effective_on=date(2026, 6, 1))


def payment(
    n: int, voucher: str, amount_fen: int, *, levy: str | None = None, paid_at: datetime | None = None
) -> PaymentConfirmation:
    return PaymentConfirmation(
        levy_number=levy or f"{project_code(n)}-A1",
        voucher_number=voucher,
        amount_fen=amount_fen,
        paid_at=paid_at or datetime.now(timezone.utc).replace(microsecond=0),
        payer_uscc=make_uscc(n),
    )


def commitment(n: int, number: str, kind: str = "shelter_build", days: int = 90) -> CommitmentCreate:
    return CommitmentCreate(
        commitment_number=number,
        project_code=project_code(n),
        enterprise_uscc=make_uscc(n),
        kind=kind,
        due_date=date.today() + timedelta(days=days),
        terms_sha256=sha(number),
    )
