"""What people type into the portal's forms, read the one way: a project code or voucher number as
typed from paper (full-width forms folded, spaces dropped: ledger.core.identifiers.compact), an area in
m². A value that breaks its rule is a FieldError naming the field and the rule in Chinese."""

from decimal import Decimal
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Request
from pydantic import Field, TypeAdapter, ValidationError

from ledger.core.identifiers import ProjectCode, Reference, compact

PROJECT_CODE_HELP = "格式为 YYYY-RRRRRR-II-TT-NNNNNN（年份-行政区划-行业-类型-序号），例如 2026-410105-70-01-000123"
VOUCHER_HELP = "电子缴款凭证上的凭证号：字母、数字及 . _ / -，最长 64 位"
AREA_HELP = "单位平方米，不小于 0，最多两位小数"
MAX_AREA_M2 = Decimal("10000000")
AreaM2 = Annotated[Decimal, Field(ge=0, le=MAX_AREA_M2, decimal_places=2, allow_inf_nan=False)]
_project_code = TypeAdapter(ProjectCode)
_voucher = TypeAdapter(Reference)
_area = TypeAdapter(AreaM2)
YUAN_HELP = "单位元，大于 0，最多两位小数"
Yuan = Annotated[Decimal, Field(gt=0, le=Decimal("10000000000"), decimal_places=2, allow_inf_nan=False)]
_yuan = TypeAdapter(Yuan)


class FieldError(ValueError):
    """A form field that breaks its rule: `field` names it, `message` says the rule in Chinese."""

    def __init__(self, field: str, label: str, message: str):
        self.field, self.label, self.message = field, label, message
        super().__init__(f"{field}: {message}")

    @property
    def text(self) -> str:
        return f"{self.label}（{self.field}）：{self.message}"


def parse_project_code(value: str | None) -> str:
    """A project code as typed: read like a voucher number (full-width forms folded, spaces dropped)."""
    typed = compact(value or "")
    if not typed:
        raise FieldError("project_code", "项目代码", "请填写项目代码。" + PROJECT_CODE_HELP)
    try:
        return _project_code.validate_python(typed)
    except ValidationError as exc:
        rule = exc.errors()[0]["msg"]
        message = (
            f"行政区划 {typed.split('-')[1]} 不是郑州市的区划代码"
            if "division" in rule
            else "格式不正确。" + PROJECT_CODE_HELP
        )
        raise FieldError("project_code", "项目代码", message) from None


def parse_voucher(value: str | None) -> str:
    if not value or not value.strip():
        raise FieldError("voucher_number", "缴款凭证号", "请填写缴款凭证号（" + VOUCHER_HELP + "）")
    try:
        return _voucher.validate_python(value)
    except ValidationError:
        raise FieldError("voucher_number", "缴款凭证号", "格式不正确：" + VOUCHER_HELP) from None


def parse_area(field: str, label: str, value: str | None) -> int:
    """m² as typed (up to two decimals) → integer 0.01 m²."""
    if not value or not value.strip():
        raise FieldError(field, label, "请填写面积（" + AREA_HELP + "）")
    try:
        return int(_area.validate_python(value.strip()) * 100)
    except ValidationError:
        raise FieldError(field, label, "应为数字，" + AREA_HELP) from None


def parse_yuan(field: str, label: str, value: str | None) -> int:
    """Yuan as typed (up to two decimals) → integer fen."""
    if not value or not value.strip():
        raise FieldError(field, label, "请填写金额（" + YUAN_HELP + "）")
    try:
        return int(_yuan.validate_python(value.strip().replace(",", "")) * 100)
    except ValidationError:
        raise FieldError(field, label, "应为数字，" + YUAN_HELP) from None


async def posted_form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields, the first value of each (the portal's forms post no files)."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
