"""The receipt as a PDF (TestClient on the public world): one A4 page with the voucher, the amount
and the QR code of the receipt page's address; a voucher with "/" works, an unknown one is 404."""

from io import BytesIO

import pytest
import segno
from fastapi.testclient import TestClient
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.generic import RectangleObject

from ledger.core.settings import get_settings
from ledger.domain.schemas.public import ReceiptVerification
from portal.receipt_pdf import ReceiptFontMissing, receipt_pdf
from web.app import create_app

A4 = RectangleObject([0, 0, 595.28, 841.89])  # 210 × 297 mm in points, as fpdf2 writes it
BASE = "https://rf.example.gov.cn"


@pytest.fixture(scope="module")
def pages(public_world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"public_base_url": BASE}
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def a_pdf(response) -> PdfReader:
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return PdfReader(BytesIO(response.content))


def same_pixels(image: Image.Image, png: bytes) -> bool:
    return ImageChops.difference(image.convert("L"), Image.open(BytesIO(png)).convert("L")).getbbox() is None


def test_a_receipt_pdf_is_one_a4_page_with_the_voucher_amount_proof_and_the_qr_code_of_its_page(pages, public_world):
    voucher = public_world.vouchers[0]
    response = pages.get(f"/receipt-pdf/{voucher}")
    pdf = a_pdf(response)
    assert response.headers["content-disposition"] == f'attachment; filename="receipt-{voucher}.pdf"'
    assert len(pdf.pages) == 1 and pdf.pages[0].mediabox == A4
    text = pdf.pages[0].extract_text()
    url = f"{BASE}/receipts/{voucher}"
    assert "人防易地建设费缴款凭证" in text and voucher in text and "¥10,000.00" in text
    assert public_world.assessed_code in text and url in text
    receipt = pages.get(f"/v1/public/receipts/{voucher}").json()
    assert receipt["proof"]["transaction_hash"] in text
    [image] = pdf.pages[0].images
    png = BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=10)
    assert same_pixels(image.image, png.getvalue())


def test_the_receipt_page_links_its_pdf(pages, public_world):
    voucher = public_world.vouchers[0]
    assert f'/receipt-pdf/{voucher}" download>下载PDF凭证</a>' in pages.get(f"/receipts/{voucher}").text


def test_a_voucher_with_a_slash_gets_its_pdf_with_an_ascii_file_name(pages, public_world):
    voucher = public_world.slashed_voucher
    response = pages.get(f"/receipt-pdf/{voucher}")
    text = a_pdf(response).pages[0].extract_text()
    assert voucher in text and f"{BASE}/receipts/{voucher}" in text
    safe = voucher.replace("/", "-")
    assert response.headers["content-disposition"] == f'attachment; filename="receipt-{safe}.pdf"'


def test_an_unknown_voucher_gets_the_receipt_pages_404(pages):
    missing = pages.get("/receipt-pdf/332026999999999999")
    assert missing.status_code == 404 and "未查到该凭证" in missing.text and "voucher_number" in missing.text
    bad = pages.get("/receipt-pdf/not a voucher!")
    assert bad.status_code == 422 and "voucher_number" in bad.text


def test_without_its_font_the_pdf_is_refused_naming_the_setting_and_the_file(pages, public_world, tmp_path):
    receipt = pages.get(f"/v1/public/receipts/{public_world.vouchers[0]}").json()
    missing = tmp_path / "no-such-font.ttf"
    with pytest.raises(ReceiptFontMissing, match=rf"LEDGER_PORTAL_RECEIPT_FONT_PATH: no CJK font at {missing}"):
        receipt_pdf(receipt=ReceiptVerification.model_validate(receipt), verification_url=BASE, font_path=missing)


def test_the_route_without_its_font_answers_503_and_points_to_printing(public_world, tmp_path):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"receipt_font_path": tmp_path / "no-such-font.ttf"}
    )
    with TestClient(app) as client:
        refused = client.get(f"/receipt-pdf/{public_world.vouchers[0]}")
    assert refused.status_code == 503 and "打印" in refused.text and "no-such-font" not in refused.text
