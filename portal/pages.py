"""Rendering: the Jinja2 environment, zh-CN display filters, and error pages.

Money is shown from integer fen with integer arithmetic (never a float), areas from 0.01 m²,
times in Asia/Shanghai.
"""

from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from ledger.domain.common import SHANGHAI
from ledger.domain.common import yuan as money  # portal.pages.yuan adds the dash for no amount
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
    "overdue_mark_voided": "逾期标记撤销（履约证据早于标记）",
    "breached": "违约",
    "repaired": "信用修复",
    "late_fee_payment": "逾期缴费",
    "false_commitment": "不实承诺（双随机抽查发现）",
    "counters_imported": "历史记录迁入",
}
LEVY_STATUS = {"open": "待缴", "paid": "已缴清", "cancelled": "已作废"}
MONEY_KIND = {"assessed": "核定", "relief": "减免", "adjusted": "补缴／核减", "payment": "缴款", "refund": "退付"}
# The outbox's command kinds (ledger.outbox.kinds), as the office reads them.
COMMAND_KIND = {
    "assess_fee": "核定费用",
    "set_relief": "减免",
    "adjust_fee": "补缴／核减",
    "record_payment": "记录缴款",
    "record_refund": "记录退付",
    "record_commitment": "记录承诺",
    "fulfil_by_acceptance": "验收履约",
    "submit_evidence": "提交履约材料",
    "reject_evidence": "退回履约材料",
    "fulfil_commitment": "确认履约",
    "breach_commitment": "认定违约",
    "extend_commitment": "承诺延期",
    "repair_commitment": "信用修复",
    "mark_overdue": "标记逾期",
    "commit_draw": "提交随机抽查承诺",
    "reveal_draw": "揭示随机抽查",
    "expire_draw": "登记随机抽查过期未揭示",
    "record_inspection": "登记抽查结果",
}
COMMAND_STATUS = {"accepted": "已受理", "submitted": "已提交", "mined": "已上链", "indexed": "已入账", "failed": "失败"}


# The credit rule sets' names in Chinese (their JSON label is English, for the API and the docs).
RULE_SET_NAME = {
    "sample-v1": "样例评分规则：仅供开发和演示，并非人防办采用的政策；实际权重由市信用主管部门确定",
    "sample-v2": "样例评分规则（第 2 版：到期前的证据在逾期标记后上链，标记的扣分退回）：仅供开发和演示，"
    "并非人防办采用的政策；实际权重由市信用主管部门确定",
    "sample-v3": "样例评分规则（第 3 版：在第 2 版之上，双随机抽查发现的不实承诺单独扣分）：仅供开发和演示，"
    "并非人防办采用的政策；实际权重由市信用主管部门确定",
}


def yuan(fen: int | None) -> str:
    """123456 fen → ¥1,234.56 (ledger.domain.common.yuan); no amount → —."""
    return "—" if fen is None else money(fen)


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
    COMMAND_KIND=COMMAND_KIND,
    RULE_SET_NAME=RULE_SET_NAME,
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
