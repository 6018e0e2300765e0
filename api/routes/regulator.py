"""/v1/regulator: the regulator / auditor (监管、审计) reads the credit record and the money
trail, with the on-chain proof of every figure. Read-only: GET routes only, session role
`regulator` only; they read through the read engine (the read replica when one is set), one snapshot per request."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from api import examples as ex
from ledger.core.identifiers import Enterprise, ProjectCode
from ledger.domain import credit_export, credit_records, oversight
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.schemas.common import Moment
from ledger.domain.schemas.credit import (
    CreditEventExport,
    CreditRecordPublic,
    EnterpriseCreditPage,
    GradeFloor,
    RuleSetPublic,
)
from ledger.domain.schemas.regulator import CommitmentAlertPage, MoneyTrailPublic
from web.kit.deps import ReadSessionDep
from web.kit.problems import problem_responses
from web.kit.sessions import RegulatorUser

router = APIRouter(prefix="/v1/regulator", tags=["regulator"])
READ = problem_responses("authentication-required", "forbidden", "validation-failed", "not-found")
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page; omit for the first")]
Limit = Annotated[int, Query(ge=1, le=500)]
AsOf = Annotated[
    Moment | None,
    Query(
        description="the record as the chain held it at this moment (events in blocks at or before it); omit for now",
        examples=["2027-07-10T00:00:00+08:00"],
    ),
]


def rule_set_public() -> RuleSetPublic:
    rules = load_rule_set().model_dump(mode="json")
    grades = [GradeFloor(grade=grade, floor=floor) for grade, floor in rules.pop("grades")]
    return RuleSetPublic(**rules, grades=grades)


@router.get(
    "/rule-set",
    response_model=RuleSetPublic,
    responses={**ex.ok("The credit rule set in force", rule_set_public().model_dump(mode="json")), **READ},
)
def rule_set(user: RegulatorUser) -> RuleSetPublic:
    """The rule set that turns credit events into scores and grades (versioned; a labelled sample)."""
    return rule_set_public()


@router.get(
    "/enterprises",
    response_model=EnterpriseCreditPage,
    responses={
        **ex.ok(
            "A page of enterprises", {"rule_set": "sample-v3", "items": [ex.ENTERPRISE_CREDIT], "next_cursor": None}
        ),
        **READ,
    },
)
def list_enterprises(
    session: ReadSessionDep,
    user: RegulatorUser,
    grade: Annotated[Literal["A", "B", "C", "D"] | None, Query(description="only this grade")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> EnterpriseCreditPage:
    """Every enterprise with a commitment or a fee account on chain, with its score and grade."""
    return credit_records.list_enterprises(session, grade=grade, cursor=cursor, limit=limit)


@router.get(
    "/enterprises/{enterprise}",
    response_model=CreditRecordPublic,
    responses={**ex.ok("The credit record", ex.CREDIT_RECORD), **READ},
)
def enterprise_record(
    enterprise: Enterprise, session: ReadSessionDep, user: RegulatorUser, as_of: AsOf = None
) -> CreditRecordPublic:
    """Score, grade and every credit event with its contribution and proof, now or as of a past moment."""
    return credit_records.credit_record(session, enterprise=enterprise, as_of=as_of)


EXPORT_FORMATS = {"jsonl": "application/jsonl", "csv": "text/csv; charset=utf-8"}
EXPORT_EXAMPLE = [CreditEventExport.model_validate(ex.CREDIT_EVENT_EXPORT)]


@router.get(
    "/credit-events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The credit events recorded in the range, one per line (docs: Credit events export)",
            "content": {
                "application/jsonl": {"example": "".join(credit_export.as_json_lines(EXPORT_EXAMPLE))},
                "text/csv": {"example": "".join(credit_export.as_csv(EXPORT_EXAMPLE))},
            },
        },
        **READ,
    },
)
def credit_events_export(
    session: ReadSessionDep,
    user: RegulatorUser,
    since: Annotated[
        Moment,
        Query(description="from this moment (block time, inclusive)", examples=["2027-07-01T00:00:00+08:00"]),
    ],
    until: Annotated[
        Moment,
        Query(
            description="to this moment (block time, exclusive); at most 366 days after since",
            examples=["2027-07-02T00:00:00+08:00"],
        ),
    ],
    format: Annotated[Literal["jsonl", "csv"], Query(description="JSON Lines or CSV")] = "jsonl",
) -> StreamingResponse:
    """Every credit event the chain recorded in [since, until), for the credit platform's batch
    intake: enterprise (USCC), kind, dates, contribution, rule-set version and proof."""
    records = credit_export.credit_event_export(session, since=since, until=until)
    lines = credit_export.as_json_lines(records) if format == "jsonl" else credit_export.as_csv(records)
    name = f"credit-events-{since:%Y%m%dT%H%M%S%z}-{until:%Y%m%dT%H%M%S%z}.{format}"
    return StreamingResponse(
        lines, media_type=EXPORT_FORMATS[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/commitments",
    response_model=CommitmentAlertPage,
    responses={
        **ex.ok("Overdue and breached commitments", {"items": [ex.COMMITMENT_ALERT], "next_cursor": None}),
        **READ,
    },
)
def commitments_in_trouble(
    session: ReadSessionDep,
    user: RegulatorUser,
    status: Annotated[Literal["overdue", "breached"] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> CommitmentAlertPage:
    """Commitments that are overdue or breached now, each with the proof of the event that made it so."""
    return oversight.commitments_in_trouble(session, status=status, cursor=cursor, limit=limit)


@router.get(
    "/projects/{project_code}/money-trail",
    response_model=MoneyTrailPublic,
    responses={**ex.ok("The money trail", ex.MONEY_TRAIL), **READ},
)
def money_trail(
    project_code: Annotated[ProjectCode, Path(examples=[ex.PROJECT])], session: ReadSessionDep, user: RegulatorUser
) -> MoneyTrailPublic:
    """Assessments, reliefs, adjustments, payments and refunds of a project in chain order, each with its proof."""
    return oversight.money_trail(session, project_code=project_code)
