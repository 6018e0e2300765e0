"""/v1/public: anyone may look up a project or verify a receipt — rate-limited per client IP,
masked (no personal data), every figure with its on-chain proof, read from the read model only
(on the read replica when LEDGER_DATABASE_READ_URL is set).

The routes are async and answer from web.kit.read_cache when they can: an answer is read from the
read model again once the indexer has changed its project.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api import examples as ex
from ledger.core.identifiers import ProjectCode, Reference
from ledger.domain import public
from ledger.domain.public import check_receipt_on_chain
from ledger.domain.schemas.public import (
    ChainCheck,
    PublicCommitmentPage,
    PublicPaymentPage,
    PublicProject,
    ReceiptVerification,
)
from web.kit import cached_reads as reads
from web.kit.deps import settings_for
from web.kit.problems import problem_responses
from web.kit.read_cache import ReadCacheDep
from web.kit.throttle import public_rate_limit

router = APIRouter(prefix="/v1/public", tags=["public"], dependencies=[Depends(public_rate_limit)])
READ = problem_responses("not-found", "validation-failed", "rate-limited")
LIST = problem_responses("not-found", "validation-failed", "malformed-request", "rate-limited")
ProjectCodePath = Annotated[ProjectCode, Path(description="national investment project code", examples=[ex.PROJECT])]
VoucherPath = Annotated[Reference, Path(description="电子缴款凭证号, as printed on the receipt", examples=[ex.VOUCHER])]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=public.MAX_PAGE)]


def json(model) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@router.get(
    "/projects/{project_code}",
    response_model=PublicProject,
    responses={**ex.ok("The project: fee and commitments, each with its proof", ex.PUBLIC_PROJECT), **READ},
)
async def get_project(project_code: ProjectCodePath, cache: ReadCacheDep) -> Response:
    """Fee status and amounts, the commitments and their status (first page), the builder's name masked."""
    return json(await reads.project(cache, project_code))


@router.get(
    "/projects/{project_code}/commitments",
    response_model=PublicCommitmentPage,
    responses={
        **ex.ok("A page of the project's commitments", {"items": [ex.PUBLIC_COMMITMENT], "next_cursor": None}),
        **LIST,
    },
)
async def get_commitments(
    project_code: ProjectCodePath, cache: ReadCacheDep, cursor: Cursor = None, limit: Limit = 20
) -> Response:
    return json(await reads.commitments(cache, project_code, cursor, limit))


@router.get(
    "/projects/{project_code}/payments",
    response_model=PublicPaymentPage,
    responses={
        **ex.ok(
            "A page of the project's payments (voucher numbers masked)",
            {"items": [ex.PUBLIC_PAYMENT], "next_cursor": None},
        ),
        **LIST,
    },
)
async def get_payments(
    project_code: ProjectCodePath, cache: ReadCacheDep, cursor: Cursor = None, limit: Limit = 20
) -> Response:
    return json(await reads.payments(cache, project_code, cursor, limit))


@router.get(
    "/receipts/{voucher_number}",
    response_model=ReceiptVerification,
    responses={**ex.ok("The voucher is recorded on chain", ex.RECEIPT), **READ},
)
async def verify_receipt(voucher_number: VoucherPath, cache: ReadCacheDep) -> Response:
    """Verify a payment voucher (缴款凭证核验): 200 with the amount, project, time and proof when the
    chain records it, 404 naming voucher_number when it does not."""
    return json(await reads.receipt(cache, voucher_number))


@router.get(
    "/receipts/{voucher_number}/chain-check",
    response_model=ChainCheck,
    responses={**ex.ok("The proof as a chain node sees it now", ex.CHAIN_CHECK), **READ},
)
async def chain_check(voucher_number: VoucherPath, cache: ReadCacheDep, request: Request) -> ChainCheck:
    """Re-read the receipt's proof from the chain node (its transaction receipt), not the read model."""
    receipt = await reads.receipt(cache, voucher_number)
    return await run_in_threadpool(check_receipt_on_chain, receipt, settings=settings_for(request))
