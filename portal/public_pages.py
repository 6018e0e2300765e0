"""The public's pages: 公众查询 (project inquiry), 缴款凭证核验 (receipt verification, with its QR
code, a re-check against the chain and a PDF to download) and 费用测算 (fee estimator from the published rate table).

They read what /v1/public reads (ledger.domain.public, through the same cache and rate limit).
Bad input re-renders the form with a message naming the field (422); nothing is written.
"""

import logging
import re

import segno
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ledger.core.identifiers import DISTRICTS
from ledger.core.settings import Settings
from ledger.domain import fees
from ledger.domain.errors import DomainError, NotFound
from ledger.domain.public import check_receipt_on_chain
from ledger.domain.rates import reduction_policy, relief_fen
from ledger.domain.schemas.public import ReceiptVerification
from portal.forms import FieldError, parse_area, parse_project_code, parse_voucher
from portal.pages import PageError, page_rate_limit, render
from portal.receipt_pdf import ReceiptFontMissing, receipt_pdf
from web.kit import cached_reads as reads
from web.kit.deps import settings_for
from web.kit.read_cache import read_cache_of

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limit)])


@router.get("/")
async def home(request: Request):
    return render(request, "home.html")


@router.get("/inquiry")
async def inquiry(request: Request, project_code: str | None = None):
    """The 公众查询 form; a valid code goes on to the project's page."""
    if project_code is None:
        return render(request, "inquiry.html")
    try:
        code = parse_project_code(project_code)
    except FieldError as error:
        return render(request, "inquiry.html", status_code=422, error=error, value=project_code)
    return RedirectResponse(request.url_for("project_page", project_code=code), status_code=303)


@router.get("/projects/{project_code}")
async def project_page(request: Request, project_code: str, payments_after: str | None = None):
    try:
        code = parse_project_code(project_code)
    except FieldError as error:
        return render(request, "inquiry.html", status_code=422, error=error, value=project_code)
    cache = read_cache_of(request)
    try:
        project = await reads.project(cache, code)
        payments = await reads.payments(cache, code, payments_after)
    except NotFound:
        raise PageError(
            404, "未找到项目", f"项目代码（project_code）{code} 未在本平台登记。请核对项目代码后重新查询。"
        ) from None
    except DomainError:  # the only other input: the payments' page cursor
        raise PageError(422, "链接无效", "翻页标记（payments_after）无效，请从项目页重新查看。") from None
    return render(request, "project.html", project=project, payments=payments)


@router.get("/verify")
async def verify(request: Request, voucher_number: str | None = None):
    """The 缴款凭证核验 form; a valid number goes on to its verification page."""
    if voucher_number is None:
        return render(request, "verify.html")
    try:
        voucher = parse_voucher(voucher_number)
    except FieldError as error:
        return render(request, "verify.html", status_code=422, error=error, value=voucher_number)
    return RedirectResponse(request.url_for("receipt_page", voucher_number=voucher), status_code=303)


async def _voucher_receipt(request: Request, voucher_number: str) -> tuple[str, ReceiptVerification] | Response:
    """The voucher number as parsed and its receipt; or the verify page's answer: 422 naming the
    field for a malformed number, 404 for one the chain does not hold."""
    try:
        voucher = parse_voucher(voucher_number)
    except FieldError as error:
        return render(request, "verify.html", status_code=422, error=error, value=voucher_number)
    try:
        return voucher, await reads.receipt(read_cache_of(request), voucher)
    except NotFound:
        return render(request, "verify.html", status_code=404, value=voucher, not_found=True)


@router.get("/receipts/{voucher_number:path}")  # a voucher number may contain "/"
async def receipt_page(request: Request, voucher_number: str, check: str | None = None):
    """A receipt's verification: what the chain recorded, its proof, the QR code that links here,
    and (check=chain) the proof re-read from a chain node."""
    found = await _voucher_receipt(request, voucher_number)
    if isinstance(found, Response):
        return found
    voucher, receipt = found
    chain_check = None
    if check == "chain":
        chain_check = await run_in_threadpool(check_receipt_on_chain, receipt, settings=settings_for(request))
    url = verification_url(request, voucher)
    qr = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, title=f"缴款凭证 {voucher} 的核验地址：{url}")
    return render(request, "receipt.html", receipt=receipt, verification_url=url, qr_svg=qr, chain_check=chain_check)


# Not "/receipts/{voucher}.pdf": a voucher number may hold "." and "/" (and any path under /receipts/
# is a receipt page), so the PDF has a prefix of its own that no voucher number can reach.
@router.get("/receipt-pdf/{voucher_number:path}")
async def receipt_pdf_download(request: Request, voucher_number: str):
    """The receipt as a one-page A4 PDF with the QR code of its verification page (下载PDF凭证)."""
    found = await _voucher_receipt(request, voucher_number)
    if isinstance(found, Response):
        return found
    voucher, receipt = found
    font = settings_for(request).portal.receipt_font_path
    try:
        pdf = await run_in_threadpool(
            receipt_pdf, receipt=receipt, verification_url=verification_url(request, voucher), font_path=font
        )
    except ReceiptFontMissing:
        log.exception("receipt PDF not made")
        raise PageError(503, "暂无法生成PDF", "PDF 凭证暂时无法生成，请使用本页的打印功能或稍后再试。") from None
    filename = "receipt-" + re.sub(r"[^A-Za-z0-9._-]", "-", voucher) + ".pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def require_public_address_in_production(settings: Settings) -> None:
    """The API's start-up check: in production the receipts' QR codes and the feed carry the public
    address, never a bare path a printed receipt's reader cannot follow."""
    if settings.environment == "production" and not settings.portal.public_base_url:
        raise SystemExit(
            "error: LEDGER_PORTAL_PUBLIC_BASE_URL is unset: in production the printed receipts' QR codes "
            "need the portal's public address (https://…)"
        )


def verification_url(request: Request, voucher: str) -> str:
    """The address the printed receipt's QR code carries: the configured public address, or without
    one a bare path; never the request's Host header, which anyone can set to their own site."""
    path = request.url_for("receipt_page", voucher_number=voucher).path
    return (settings_for(request).portal.public_base_url or "") + path


@router.get("/estimate")
async def estimate(
    request: Request,
    district: str | None = None,
    required_area: str | None = None,
    built_area: str | None = None,
    reason: str | None = None,
):
    """费用测算: shortfall × the published rate of the district, less a policy reduction if one applies."""
    reasons = reduction_policy()["reasons"]
    form = {
        "district": district or "",
        "required_area": required_area or "",
        "built_area": built_area or "",
        "reason": reason or "",
    }
    context = {"districts": DISTRICTS, "reasons": reasons, "form": form}
    if district is None and required_area is None and built_area is None:
        return render(request, "estimate.html", **context)
    errors = []
    if district not in DISTRICTS:
        errors.append(FieldError("district", "所在区县", "请选择郑州市的区县（开发区）"))
    areas = {}
    for field, label, value in (
        ("required_area", "应建防空地下室面积", required_area),
        ("built_area", "实建防空地下室面积", built_area),
    ):
        try:
            areas[field] = parse_area(field, label, value)
        except FieldError as error:
            errors.append(error)
    if reason and reason not in reasons:
        errors.append(FieldError("reason", "减免情形", "请从列表中选择"))
    if errors:
        return render(request, "estimate.html", status_code=422, errors=errors, **context)
    try:
        result = await run_in_threadpool(
            read_cache_of(request).read,
            fees.estimate_fee,
            district=district,
            required_shelter_area=areas["required_area"],
            built_shelter_area=areas["built_area"],
        )
    except DomainError as exc:
        return render(
            request,
            "estimate.html",
            status_code=503,
            errors=[FieldError(exc.field or "district", "费率表", f"暂无可用的已发布费率表：{exc.detail}")],
            **context,
        )
    percent = int(reasons[reason]["percent"]) if reason else 0
    relief = relief_fen(result.amount_fen, percent * 100)
    return render(
        request,
        "estimate.html",
        result=result,
        relief_fen=relief,
        payable_fen=result.amount_fen - relief,
        reason_label=reasons[reason]["label"] if reason else None,
        **context,
    )
