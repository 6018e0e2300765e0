"""/v1/office/draws: the office runs random inspections (双随机、一公开) — commits a draw whose pool the
ledger builds from the read model, reveals it after its reveal block, and records each selected
commitment's outcome with the inspection report (ledger.domain.draw_office). Each write is a 202: its
command goes through the outbox; what the contract would refuse is refused first."""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, Path, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api import examples as ex
from api.responses import CommandAcceptedPublic, accepted
from api.routes.office import READ, STATUS_BASE, WRITE
from ledger.core.identifiers import Reference
from ledger.domain import chain_time, draw_office
from ledger.domain.documents import DocumentStore
from ledger.domain.schemas.inspections import DrawAccepted, DrawCreate, DrawRecommit, OfficeDrawPublic
from web.kit.deps import SessionDep, SettingsDep
from web.kit.problems import problem_responses
from web.kit.sessions import OfficeUser

router = APIRouter(prefix="/v1/office/draws", tags=["office staff"])
DRAW_NUMBER = "DRAW-2026-Q1-410105"
DRAW_EXAMPLE = {
    "draw_number": DRAW_NUMBER,
    "title": "2026年第一季度 金水区 人防物资承诺",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "commitment_kind": "materials",
    "district": "410105",
    "inspectors": ["INSP-001", "INSP-002", "INSP-003", "INSP-004"],
    "commitments_to_pick": 3,
    "inspectors_to_pick": 2,
    "reveal_in_blocks": 20,
}
DRAW_KEY = "0x0fd067d10213d5e5a6e1ec7a08d7eff9551305bfd587f8dc7adcfbcbe4ae3491"


class DrawAcceptedPublic(DrawAccepted):
    status_url: str


@router.post(
    "",
    status_code=202,
    response_model=DrawAcceptedPublic,
    responses={
        **ex.ok(
            "Accepted: the commitment is on its way, the pools are published",
            ex.ACCEPTED
            | {
                "kind": "commit_draw",
                "reference": DRAW_NUMBER,
                "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
                "draw": DRAW_KEY,
                "reveal_block": 1_234_587,  # at the earliest (DrawAccepted.reveal_block)
                "reveal_in_blocks": 20,
                "pool_size": 42,
                "roster_size": 4,
            },
            202,
        ),
        **problem_responses(*WRITE),
    },
)
def commit(
    draw: Annotated[
        DrawCreate, Body(openapi_examples=ex.body("A quarter's fulfilled materials commitments", DRAW_EXAMPLE))
    ],
    session: SessionDep,
    user: OfficeUser,
    response: Response,
) -> DrawAcceptedPublic:
    """Commit a draw: its candidate pool (the commitments fulfilled in the period, of the kind, in the
    district) and inspector roster are hashed on chain and published at /v1/public/inspections. The reveal
    block is `reveal_in_blocks` after the chain's latest block when the writer sends the commitment: the
    answer's `reveal_block` is the earliest it can be; the draw's listing carries the final one once the
    commitment is indexed."""
    result = draw_office.commit_draw(session, draw=draw, head_block=chain_time.head_block, actor=user.username)
    public = DrawAcceptedPublic(**result.model_dump(), status_url=f"{STATUS_BASE}/{result.command_id}")
    response.headers["Location"] = public.status_url
    return public


@router.get(
    "",
    response_model=list[OfficeDrawPublic],
    responses={
        **ex.ok(
            "The office's draws, newest first",
            [
                {k: v for k, v in DRAW_EXAMPLE.items() if k not in ("inspectors", "reveal_in_blocks")}
                | {"draw": DRAW_KEY, "reveal_block": 1_234_587, "status": "revealed", "command_id": ex.COMMAND_ID}
            ],
        ),
        **problem_responses(*READ),
    },
)
def list_draws(session: SessionDep, user: OfficeUser) -> list[OfficeDrawPublic]:
    return draw_office.office_draws(session)


@router.post(
    "/{draw_number}/reveal",
    status_code=202,
    response_model=CommandAcceptedPublic,
    responses={
        **ex.ok(
            "Accepted",
            ex.ACCEPTED
            | {"kind": "reveal_draw", "reference": DRAW_NUMBER, "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}"},
            202,
        ),
        **problem_responses(*WRITE),
    },
)
def reveal(
    draw_number: Annotated[Reference, Path(examples=[DRAW_NUMBER])],
    session: SessionDep,
    user: OfficeUser,
    response: Response,
) -> CommandAcceptedPublic:
    """Reveal the draw once its reveal block is mined (refused before, and a second time), and until 16
    blocks before its hash is out of reach (REVEAL_WINDOW_MARGIN: time for the writer to mine it); the
    refusal names the last block it is accepted at. Past that, the draw expires and is recommitted."""
    return accepted(
        draw_office.reveal_draw(
            session, draw_number=draw_number, head_block=chain_time.head_block, actor=user.username
        ),
        response,
        STATUS_BASE,
    )


@router.post(
    "/{draw_number}/recommit",
    status_code=202,
    response_model=DrawAcceptedPublic,
    responses={
        **ex.ok(
            "Accepted: the expiry (unless on record already) and the new commitment are on their way",
            ex.ACCEPTED
            | {
                "kind": "commit_draw",
                "reference": DRAW_NUMBER,
                "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
                "draw": DRAW_KEY,
                "reveal_block": 1_234_901,  # at the earliest (DrawAccepted.reveal_block)
                "reveal_in_blocks": 20,
                "pool_size": 42,
                "roster_size": 4,
            },
            202,
        ),
        **problem_responses(*WRITE),
    },
)
def recommit(
    draw_number: Annotated[Reference, Path(examples=[DRAW_NUMBER])],
    body: Annotated[DrawRecommit, Body(openapi_examples=ex.body("Twenty blocks from now", {"reveal_in_blocks": 20}))],
    session: SessionDep,
    user: OfficeUser,
    response: Response,
) -> DrawAcceptedPublic:
    """Commit again a draw nobody revealed while its reveal block's hash was in reach: its expiry goes on
    chain first, then the same pools and picks with a new reveal block (the draw's next attempt). Refused
    while the draw can still be revealed, once it is revealed, and while a step of it is on its way."""
    result = draw_office.recommit_draw(
        session,
        draw_number=draw_number,
        reveal_in_blocks=body.reveal_in_blocks,
        head_block=chain_time.head_block,
        actor=user.username,
    )
    public = DrawAcceptedPublic(**result.model_dump(), status_url=f"{STATUS_BASE}/{result.command_id}")
    response.headers["Location"] = public.status_url
    return public


OUTCOME_FORM_EXAMPLE = {"commitment_number": "CN-2026-000045", "outcome": "minor_findings", "file": "(report.pdf)"}


@router.post(
    "/{draw_number}/outcomes",
    status_code=202,
    response_model=CommandAcceptedPublic,
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"example": OUTCOME_FORM_EXAMPLE}}}},
    responses={
        **ex.ok(
            "Accepted",
            ex.ACCEPTED
            | {
                "kind": "record_inspection",
                "reference": "CN-2026-000045",
                "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
            },
            202,
        ),
        **problem_responses(*WRITE),
    },
)
async def record_outcome(
    draw_number: Annotated[Reference, Path(examples=[DRAW_NUMBER])],
    commitment_number: Annotated[Reference, Form(examples=["CN-2026-000045"])],
    outcome: Annotated[Literal["conforms", "minor_findings", "false_commitment"], Form()],
    file: Annotated[UploadFile, File(description="The inspection report: PDF, PNG or JPEG (decided from the content)")],
    session: SessionDep,
    settings: SettingsDep,
    user: OfficeUser,
    response: Response,
) -> CommandAcceptedPublic:
    """Record a selected commitment's outcome (multipart form); the report is kept in the document store
    and its digest goes on chain. Refused for a commitment the draw did not select, and twice."""
    document = await file.read()
    # The database work and the document store's fsync run in the thread pool, off the event loop.
    return accepted(
        await run_in_threadpool(
            draw_office.record_outcome,
            session,
            draw_number=draw_number,
            commitment_number=commitment_number,
            outcome=outcome,
            document=document,
            store=DocumentStore.of(settings),
            actor=user.username,
        ),
        response,
        STATUS_BASE,
    )
