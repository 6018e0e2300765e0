"""A receipt as a PDF (一页 A4): what the receipt page shows — voucher, amount, time, project, the
on-chain proof — and the QR code of the page's verification address, with the address under it.

A pure function of the receipt, its verification address and a CJK font (fpdf2 embeds the subset of
the glyphs used); the font is a setting (LEDGER_PORTAL_RECEIPT_FONT_PATH), a TrueType file or
collection. Without it the text would render as empty boxes, so a missing font is an error naming it.
"""

from io import BytesIO
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ledger.domain.schemas.public import ReceiptVerification
from portal.pages import shanghai, yuan

TITLE = "人防易地建设费缴款凭证"
QR_SIZE_MM = 45  # as printed from the receipt page (receipt_print.css)
LABEL_WIDTH_MM = 32


class ReceiptFontMissing(RuntimeError):
    def __init__(self, path: Path):
        super().__init__(
            f"LEDGER_PORTAL_RECEIPT_FONT_PATH: no CJK font at {path} "
            "(install fonts-wqy-microhei or point the setting at a TrueType font with Chinese glyphs)"
        )


def qr_png(url: str) -> bytes:
    """The verification QR code as PNG, the same code (error level M) as the page's SVG."""
    buffer = BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10)
    return buffer.getvalue()


def receipt_pdf(*, receipt: ReceiptVerification, verification_url: str, font_path: Path) -> bytes:
    if not font_path.is_file():
        raise ReceiptFontMissing(font_path)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(False)  # one page: everything below fits with room to spare
    pdf.set_title(f"{TITLE} {receipt.voucher_number}")
    pdf.add_font("cjk", fname=str(font_path))
    pdf.add_page()

    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 8, "凭证有效：该缴款已记录在区块链账本上。", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    proof = receipt.proof
    paid_at = shanghai(receipt.paid_at) + ("（逾期缴纳）" if receipt.late else "")
    if receipt.project_code:
        project = f"{receipt.project_name}\n{receipt.project_code}（{receipt.district_name}）"
    else:
        project = "本平台未登记该项目"
    rows = [
        ("缴款凭证号", receipt.voucher_number),
        ("缴款金额", yuan(receipt.amount_fen)),
        ("缴款时间", paid_at),
        ("项目", project),
        ("链上证明", f"链 ID {proof.chain_id} · 区块 {proof.block_number} · 日志 {proof.log_index}"),
        ("区块哈希", proof.block_hash),
        ("交易哈希", proof.transaction_hash),
    ]
    for label, value in rows:
        pdf.set_font("cjk", size=11)
        pdf.cell(LABEL_WIDTH_MM, 7, label)
        if value.startswith("0x"):  # a hash on one line, to be read off and copied whole
            pdf.set_font("cjk", size=9)
        pdf.multi_cell(0, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    pdf.ln(6)
    pdf.image(BytesIO(qr_png(verification_url)), x=(pdf.w - QR_SIZE_MM) / 2, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, "扫码打开本凭证的核验页面：", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 5, verification_url, align="C")
    return bytes(pdf.output())
