"""/v1/office/credit-pushes: the office watches the credit events pushed to the city's credit platform
(ledger.sharing.push) — the backlog, every attempt of a push — and sends one again. The same as
`ledger credit pushes / attempts / redeliver`; the push itself: docs/integrators/credit-push.md."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.examples import ok
from ledger.sharing import push as sharing
from ledger.sharing.schemas import CreditPushAttemptPublic, CreditPushPublic
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses
from web.kit.sessions import OfficeUser

router = APIRouter(prefix="/v1/office/credit-pushes", tags=["office staff"])
PUSH = {
    "event_id": "31337-1042-0-fulfilled_late",
    "enterprise_key": "0x5e" + "5e" * 31,
    "enterprise_sequence": 7,
    "kind": "fulfilled_late",
    "status": "pending",
    "attempts": 3,
    "last_status_code": 503,
    "last_error": "HTTP 503: down for maintenance",
    "created_at": "2027-07-08T02:00:03Z",
    "next_attempt_at": "2027-07-08T02:00:11Z",
    "delivered_at": None,
}
DELIVERED = PUSH | {"status": "delivered", "last_status_code": 200, "last_error": None, "next_attempt_at": None}
DELIVERED |= {"attempts": 4, "delivered_at": "2027-07-08T02:00:12Z"}
EventId = Annotated[
    str,
    Path(
        pattern=r"^[0-9]{1,20}-[0-9]{1,20}-[0-9]{1,10}-[a-z_]{1,40}(-[0-9]{1,6})?$",
        examples=["31337-1042-0-fulfilled_late"],
        description="the push's event_id (chain id, block, log index, kind)",
    ),
]
READ = ("authentication-required", "forbidden")


@router.get(
    "",
    response_model=list[CreditPushPublic],
    responses={**ok("The pushes, newest first", [PUSH, DELIVERED]), **problem_responses(*READ, "validation-failed")},
)
def list_pushes(
    session: SessionDep,
    user: OfficeUser,
    status: Annotated[Literal["pending", "sending", "delivered"] | None, Query(description="only these")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CreditPushPublic]:
    """The pushes to the credit platform, newest first (`pending` growing: the platform is not taking them)."""
    return sharing.pushes(session, status=status, limit=limit)


@router.get(
    "/{event_id}/attempts",
    response_model=list[CreditPushAttemptPublic],
    responses={
        **ok(
            "Every attempt, oldest first",
            [
                {"attempted_at": "2027-07-08T02:00:04Z", "status_code": 503, "error": "HTTP 503: …", "duration_ms": 21},
                {"attempted_at": "2027-07-08T02:00:12Z", "status_code": 200, "error": None, "duration_ms": 18},
            ],
        ),
        **problem_responses(*READ, "not-found"),
    },
)
def push_attempts(event_id: EventId, session: SessionDep, user: OfficeUser) -> list[CreditPushAttemptPublic]:
    return sharing.attempts(session, event_id=event_id)


@router.post(
    "/{event_id}/redeliver",
    response_model=CreditPushPublic,
    responses={
        **ok("Queued again: sent once it is first in its enterprise's line", PUSH | {"attempts": 4}),
        **problem_responses(*READ, "not-found", "csrf-failed", "invalid-state"),
    },
)
def redeliver(event_id: EventId, session: SessionDep, user: OfficeUser) -> CreditPushPublic:
    """Push a credit event again (also one delivered: the platform deduplicates by event id)."""
    return sharing.redeliver(session, event_id=event_id)
