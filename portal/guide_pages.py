"""智能申报指引 (the declaration guide): a GET form of questions, and on its answers whether the shelter
must be built or the fee applies, the estimator's fee with its rate-table version, the reductions that
may apply, the steps and the checklist of materials.

With a project code the checklist marks what the approval system already holds for the project
(ledger.domain.guide.checklist); when that system cannot be reached the page says so and asks for
everything. Bad input re-renders the form naming the field (422); nothing is written."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ledger.core.identifiers import DISTRICTS
from ledger.domain import fees, guide
from ledger.domain.errors import DomainError
from ledger.domain.rates import reduction_policy, relief_fen
from portal.approval_materials import ApprovalMaterials, ApprovalUnreachable, HttpApprovalMaterials, NoApprovalSystem
from portal.forms import FieldError, parse_area, parse_project_code
from portal.pages import page_rate_limit, render
from web.kit.deps import settings_for
from web.kit.read_cache import read_cache_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limit)])

QUESTIONS = ("district", "land_use", "building_type", "above_area", "below_area", "phase")
LABELS = {
    "district": "所在区县",
    "land_use": "用地性质",
    "building_type": "建筑类型",
    "above_area": "地上总建筑面积",
    "below_area": "地下建筑面积",
    "phase": "当前审批阶段",
    "project_code": "项目代码",
}


def approval_materials_of(request: Request) -> ApprovalMaterials:
    """The approval system's materials on file, as the settings name it (tests override this)."""
    portal = settings_for(request).portal
    if portal.approval_materials_url is None:
        return NoApprovalSystem()
    return HttpApprovalMaterials(portal.approval_materials_url, portal.approval_timeout_seconds)


@router.get("/guide")
async def guide_page(
    request: Request,
    approval: Annotated[ApprovalMaterials, Depends(approval_materials_of)],
    district: str | None = None,
    land_use: str | None = None,
    building_type: str | None = None,
    above_area: str | None = None,
    below_area: str | None = None,
    phase: str | None = None,
    project_code: str | None = None,
):
    rules = guide.load_guide_rules()
    values = {
        "district": district,
        "land_use": land_use,
        "building_type": building_type,
        "above_area": above_area,
        "below_area": below_area,
        "phase": phase,
        "project_code": project_code,
    }
    context: dict[str, Any] = {
        "rules": rules,
        "districts": DISTRICTS,
        "labels": LABELS,
        "form": {name: value or "" for name, value in values.items()},
    }
    if all(values[name] is None for name in QUESTIONS):
        return render(request, "guide.html", **context)
    answers, errors = _read_answers(rules, values)
    if errors or answers is None:
        return render(request, "guide.html", status_code=422, errors=errors, **context)
    code = parse_project_code(project_code) if project_code else None
    decision = guide.decide(rules, answers)
    estimate, estimate_error = None, None
    if decision.fee_applies:
        try:  # the estimator's own calculation, on the areas the guide decided
            estimate = await run_in_threadpool(
                read_cache_of(request).read,
                fees.estimate_fee,
                district=answers.district,
                required_shelter_area=decision.required_shelter_area,
                built_shelter_area=decision.on_site_area,
            )
        except DomainError as exc:
            estimate_error = f"暂无可用的已发布费率表：{exc.detail}"
    on_file, approval_unreachable = [], False
    if code:
        try:
            on_file = await run_in_threadpool(approval.on_file, code)
        except ApprovalUnreachable:
            approval_unreachable = True
    policy = reduction_policy()["reasons"]
    reductions = [
        {
            "label": policy[reason]["label"],
            "relief_fen": relief_fen(estimate.amount_fen, int(policy[reason]["percent"]) * 100) if estimate else None,
        }
        for reason in decision.reasons
    ]
    return render(
        request,
        "guide.html",
        decision=decision,
        estimate=estimate,
        estimate_error=estimate_error,
        reductions=reductions,
        steps=guide.steps(rules, answers, decision),
        checklist=guide.checklist(rules, decision, on_file),
        project_code=code,
        approval_unreachable=approval_unreachable,
        **context,
    )


def _read_answers(rules: guide.GuideRules, values: dict) -> tuple[guide.Answers | None, list[FieldError]]:
    errors: list[FieldError] = []
    areas = {}
    for field in ("above_area", "below_area"):
        try:
            areas[field] = parse_area(field, LABELS[field], values[field])
        except FieldError as error:
            errors.append(error)
    if values["project_code"]:
        try:
            parse_project_code(values["project_code"])
        except FieldError as error:
            errors.append(error)
    chosen = guide.Answers(
        district=values["district"] or "",
        land_use=values["land_use"] or "",
        building_type=values["building_type"] or "",
        above_ground_area=areas.get("above_area", 0),
        below_ground_area=areas.get("below_area", 0),
        phase=values["phase"] or "",
    )
    for field, message in guide.invalid_answers(rules, chosen).items():
        errors.append(FieldError(field, LABELS[field], message))
    errors.sort(key=lambda e: list(LABELS).index(e.field))
    return (None if errors else chosen), errors
