"""双随机、一公开: the public page of the random inspections — every draw, its selection recomputed
from the published pools, the outcomes with their proofs, and how to re-check it yourself. Public;
data from ledger.domain.inspections (what /v1/public/inspections answers)."""

from fastapi import APIRouter, Depends, Request

from ledger.domain.inspections import public_draws
from portal.pages import COMMITMENT_KIND, page_rate_limit, render
from web.kit.deps import ReadSessionDep

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limit)])
OUTCOME = {"conforms": "符合承诺", "minor_findings": "存在轻微问题", "false_commitment": "不实承诺"}
STATUS = {"committed": "已承诺，待揭示", "revealed": "已揭示"}


@router.get("/inspections")
def inspections_page(request: Request, session: ReadSessionDep):
    page = public_draws(session)
    return render(request, "inspections.html", page=page, outcome=OUTCOME, status=STATUS, kind=COMMITMENT_KIND)
