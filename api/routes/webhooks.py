"""/v1/webhooks: a system client registers, lists, re-enables and removes its own webhook
endpoints (signed requests); /v1/office/webhooks: the office sees every endpoint's state. The
notices themselves are documented under the OpenAPI document's `webhooks` (`notices` below)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from api.examples import ok
from api.routes.approval import AUTH, POST
from api.security.system_clients import TaxOrApprovalClient, tax_or_approval_client
from api.signed_routes import signed_router
from ledger.webhooks import delivery as webhooks
from ledger.webhooks.schemas import (
    ClearanceChangedNotice,
    CommandNotice,
    DueSoonNotice,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookRegistration,
)
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses
from web.kit.sessions import OfficeUser

router = signed_router(client=tax_or_approval_client, prefix="/v1/webhooks", tags=["webhooks"])
office_router = APIRouter(prefix="/v1/office/webhooks", tags=["office staff"])
ENDPOINT = {
    "endpoint_id": 7,
    "subscriber": "approval-bureau",
    "url": "https://approval.example.gov.cn/ledger/notices",
    "events": ["clearance.changed", "commitment.breached"],
    "projects": "own",
    "status": "active",
    "failing_since": None,
    "disabled_at": None,
    "disabled_reason": None,
    "pending": 0,
    "created_at": "2026-11-29T08:00:00Z",
}
DISABLED = ENDPOINT | {
    "status": "disabled",
    "failing_since": "2026-11-26T08:00:00Z",
    "disabled_at": "2026-11-29T08:00:05Z",
    "pending": 12,
    "disabled_reason": "no delivery succeeded for 259205 s (limit 259200 s); last error: HTTP 503: ",
}
MAX_ENDPOINT_ID = 2**31 - 1  # the id column is a SQL INTEGER: a larger id is refused, not sent to the database
EndpointId = Annotated[
    int, Path(ge=1, le=MAX_ENDPOINT_ID, examples=[7], description="endpoint_id from the registration")
]


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointPublic,
    responses={**ok("Registered; Location is the endpoint", ENDPOINT, 201), **problem_responses(*POST)},
)
def register(
    registration: Annotated[
        WebhookRegistration,
        Body(
            openapi_examples={
                "default": {
                    "summary": "Clearance changes and breaches of my own projects",
                    "value": {"url": ENDPOINT["url"], "events": ENDPOINT["events"], "projects": "own"},
                }
            }
        ),
    ],
    session: SessionDep,
    client: TaxOrApprovalClient,
    response: Response,
) -> WebhookEndpointPublic:
    """Register an endpoint for some event kinds, for all projects or only those this client
    registered (`projects: own`). Notices are signed with the platform's key (GET
    /v1/public/keys/webhook); their bodies follow the schemas under `webhooks` (version 1)."""
    endpoint_id = webhooks.add_endpoint(
        session, endpoint=WebhookEndpointCreate(subscriber=client.id, **registration.model_dump())
    )
    response.headers["Location"] = f"{router.prefix}/{endpoint_id}"
    return webhooks.endpoints(session, endpoint_id=endpoint_id)[0]


@router.get(
    "",
    response_model=list[WebhookEndpointPublic],
    responses={**ok("This client's endpoints and their state", [ENDPOINT, DISABLED]), **problem_responses(*AUTH)},
)
def list_endpoints(session: SessionDep, client: TaxOrApprovalClient) -> list[WebhookEndpointPublic]:
    """This client's endpoints (removed ones are gone): `disabled` after the disable window of failures."""
    return webhooks.endpoints(session, subscriber=client.id)


@router.get(
    "/{endpoint_id}",
    response_model=WebhookEndpointPublic,
    responses={**ok("The endpoint", ENDPOINT), **problem_responses(*AUTH, "not-found")},
)
def get_endpoint(endpoint_id: EndpointId, session: SessionDep, client: TaxOrApprovalClient) -> WebhookEndpointPublic:
    return webhooks.get_endpoint(session, endpoint_id=endpoint_id, subscriber=client.id)


@router.post(
    "/{endpoint_id}/enable",
    response_model=WebhookEndpointPublic,
    responses={
        **ok("Enabled again: waiting notices go out first, in order", ENDPOINT),
        **problem_responses(*POST, "not-found"),
    },
)
def enable(endpoint_id: EndpointId, session: SessionDep, client: TaxOrApprovalClient) -> WebhookEndpointPublic:
    """Send to a disabled endpoint again (after fixing it); the failure clock restarts."""
    return webhooks.enable_endpoint(session, endpoint_id=endpoint_id, subscriber=client.id)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Removed: nothing more is sent to it; its pending notices are cancelled"},
        **problem_responses(*AUTH, "not-found"),
    },
)
def remove(endpoint_id: EndpointId, session: SessionDep, client: TaxOrApprovalClient) -> Response:
    webhooks.remove_endpoint(session, endpoint_id=endpoint_id, subscriber=client.id)
    return Response(status_code=204)


@office_router.get(
    "",
    response_model=list[WebhookEndpointPublic],
    responses={
        **ok("Every endpoint and its state", [ENDPOINT, DISABLED]),
        **problem_responses("authentication-required", "forbidden"),
    },
)
def office_endpoints(session: SessionDep, user: OfficeUser) -> list[WebhookEndpointPublic]:
    """Every subscriber's endpoints: which are `disabled`, since when and why (also logged as an ERROR)."""
    return webhooks.endpoints(session)


# --- the notices we send (OpenAPI `webhooks`): documentation only, never routed -------------------

notices = APIRouter(tags=["webhooks"])


@notices.post("payment.recorded", status_code=200)
def payment_recorded(notice: CommandNotice) -> None:
    """A payment is on chain and in the read model. Answer 2xx; anything else is retried."""


@notices.post("commitment.overdue", status_code=200)
def commitment_overdue(notice: CommandNotice) -> None:
    """A commitment was marked overdue on chain."""


@notices.post("commitment.breached", status_code=200)
def commitment_breached(notice: CommandNotice) -> None:
    """A commitment was declared breached on chain."""


@notices.post("commitment.repaired", status_code=200)
def commitment_repaired(notice: CommandNotice) -> None:
    """A breached commitment's repair (信用修复) was approved on chain."""


@notices.post("commitment.inspected", status_code=200)
def commitment_inspected(notice: CommandNotice) -> None:
    """A random inspection's outcome (双随机抽查: conforms, minor findings, false commitment) is on chain."""


@notices.post("commitment.due_soon", status_code=200)
def commitment_due_soon(notice: DueSoonNotice) -> None:
    """A commitment's due date is near (sent once per reminder and due date)."""


@notices.post("clearance.changed", status_code=200)
def clearance_changed(notice: ClearanceChangedNotice) -> None:
    """A project's clearance turned clear or not clear; the body is the new answer."""
