"""/v1/public/inspections: random inspections (双随机、一公开) for anyone to re-check — every draw
with its committed terms, seed, the selection recomputed from its published pools, the outcomes,
each with its on-chain proof; and each draw's pools as the file `ledger draw verify --pools` reads.
Read from the read model only (what the indexer has confirmed), rate-limited per client IP."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api import examples as ex
from ledger.domain import inspections
from ledger.domain.inspection_draws import PublishedDrawFile
from ledger.domain.schemas.inspections import PublicDraw, PublicDrawPage
from web.kit.deps import ReadSessionDep
from web.kit.problems import problem_responses
from web.kit.throttle import public_rate_limit

router = APIRouter(prefix="/v1/public/inspections", tags=["public"], dependencies=[Depends(public_rate_limit)])
READ = problem_responses("not-found", "validation-failed", "rate-limited")
DrawPath = Annotated[
    str, Path(description="the draw's identifier: keccak256 of its number, 0x-hex", pattern=r"^0x[0-9a-f]{64}$")
]


@router.get(
    "",
    response_model=PublicDrawPage,
    responses={
        **ex.ok("Every draw, newest first", {"items": [ex.PUBLIC_DRAW], "as_of_block": 1050}),
        **problem_responses("rate-limited"),
    },
)
def list_draws(session: ReadSessionDep) -> PublicDrawPage:
    """Every draw, newest first: terms, seed, selection (recomputed here) and outcomes."""
    return inspections.public_draws(session)


@router.get("/{draw}", response_model=PublicDraw, responses={**ex.ok("One draw", ex.PUBLIC_DRAW), **READ})
def get_draw(draw: DrawPath, session: ReadSessionDep) -> PublicDraw:
    return inspections.public_draw(session, draw=draw)


@router.get(
    "/{draw}/pools",
    response_model=PublishedDrawFile,
    responses={
        **ex.ok("The draw's published pools, as `ledger draw verify --pools` reads them", ex.DRAW_POOLS),
        **READ,
    },
)
def get_pools(draw: DrawPath, session: ReadSessionDep) -> PublishedDrawFile:
    """The draw's published pools and selection: save it and run `ledger draw verify --pools FILE`."""
    return inspections.published_pools(session, draw=draw)
