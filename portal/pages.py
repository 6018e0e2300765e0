"""Rendering: the Jinja2 environment, zh-CN display filters, and error pages.

Money is shown from integer fen with integer arithmetic (never a float), areas from 0.01 m²,
times in Asia/Shanghai.
"""

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from ledger.domain.common import SHANGHAI
from web.kit.deps import settings_for
from web.kit.throttle import public_wait_of

TEMPLATES = Path(__file__).resolve().parent / "templates"

FEE_STATUS = {
    "unassessed": "未核定",
    "assessed": "已核定，待缴纳",
    "partially_paid": "部分缴纳",
    "paid": "已缴清",
    "overpaid": "多缴，待退付",
    "exempt": "免征",
    "nothing_owed": "无需缴纳",
}
COMMITMENT_STATUS = {
    "recorded": "履约中",
    "fulfilled": "已履约",
    "overdue": "已逾期",
    "breached": "违约",
    "repaired": "已修复",
    "extended": "已延期",
}
COMMITMENT_KIND = {
    "shelter_build": "按批准设计建设防空地下室并通过验收",
    "fee_payment": "按期缴清易地建设费",
    "materials": "容缺材料按期补交",
    "peacetime_use": "平时使用与维护登记",
}
STAGE = {"approval": "审批", "construction": "施工", "acceptance": "验收", "completed": "竣工"}
CREDIT_EVENT = {
    "fulfilled_on_time": "按期履约",
    "fulfilled_late": "逾期履约",
    "marked_overdue": "承诺逾期",
    "breached": "违约",
    "repaired": "信用修复",
    "late_fee_payment": "逾期缴费",
    "counters_imported": "历史记录迁入",
}
LEVY_STATUS = {"open": "待缴", "paid": "已缴清", "cancelled": "已作废"}
MONEY_KIND = {"assessed": "核定", "relief": "减免", "adjusted": "补缴／核减", "payment": "缴款", "refund": "退付"}
COMMAND_STATUS = {"accepted": "已受理", "submitted": "已提交", "mined": "已上链", "indexed": "已入账", "failed": "失败"}


def yuan(fen: int | None) -> str:
    """123456 fen → ¥1,234.56."""
    if fen is None:
        return "—"
    sign = "−" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def square_metres(area: int | None) -> str:
    """140000 (0.01 m²) → 1,400.00 m²."""
    if area is None:
        return "—"
    whole, hundredths = divmod(area, 100)
    return f"{whole:,}.{hundredths:02d} m²"


def shanghai(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters.update(yuan=yuan, area=square_metres, shanghai=shanghai)
templates.env.globals.update(
    FEE_STATUS=FEE_STATUS,
    COMMITMENT_STATUS=COMMITMENT_STATUS,
    COMMITMENT_KIND=COMMITMENT_KIND,
    STAGE=STAGE,
    CREDIT_EVENT=CREDIT_EVENT,
    LEVY_STATUS=LEVY_STATUS,
    MONEY_KIND=MONEY_KIND,
    COMMAND_STATUS=COMMAND_STATUS,
)


def render(request: Request, name: str, status_code: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
    explorer = settings_for(request).portal.explorer_tx_url
    return templates.TemplateResponse(
        request, name, {"explorer": explorer, **context}, status_code=status_code, headers=headers
    )


class PageError(Exception):
    """A page that cannot be shown: rendered as error.html with its status (and headers)."""

    def __init__(self, status: int, title: str, message: str, headers: dict | None = None):
        self.status, self.title, self.message, self.headers = status, title, message, headers


async def page_rate_limit(request: Request) -> None:
    """The public pages share the API's per-address limit; over it the page says so (429)."""
    if seconds := await public_wait_of(request):
        raise PageError(
            429, "请求过于频繁", f"本地址的查询过于频繁，请 {seconds} 秒后再试。", headers={"Retry-After": str(seconds)}
        )


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError):
        return render(
            request, "error.html", status_code=exc.status, headers=exc.headers, title=exc.title, message=exc.message
        )
