"""The public's reads through the cache, one place for /v1/public and the portal's pages (same
keys, so a page and the API share kept answers)."""

from ledger.domain import public
from ledger.domain.common import project_key_hex
from ledger.domain.schemas.public import PublicCommitmentPage, PublicPaymentPage, PublicProject, ReceiptVerification
from web.kit.read_cache import ReadCache

PAGE = 20


async def project(cache: ReadCache, code: str) -> PublicProject:
    return await cache.get(("project", code), public.public_project, scope=project_key_hex(code), project_code=code)


async def commitments(cache: ReadCache, code: str, cursor: str | None, limit: int = PAGE) -> PublicCommitmentPage:
    return await cache.get(
        ("commitments", code, cursor, limit),
        public.public_commitments,
        scope=project_key_hex(code),
        project_code=code,
        cursor=cursor,
        limit=limit,
    )


async def payments(cache: ReadCache, code: str, cursor: str | None, limit: int = PAGE) -> PublicPaymentPage:
    return await cache.get(
        ("payments", code, cursor, limit),
        public.public_payments,
        scope=project_key_hex(code),
        project_code=code,
        cursor=cursor,
        limit=limit,
    )


async def receipt(cache: ReadCache, voucher: str) -> ReceiptVerification:
    """A recorded payment never changes; it goes with its project's answers (a reorg drops them all)."""
    return await cache.get(
        ("receipt", voucher),
        public.verify_receipt,
        voucher_number=voucher,
        scope=lambda found: found.project_code and project_key_hex(found.project_code),
    )
