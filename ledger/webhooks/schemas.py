"""Webhooks as a client sees them: its registration, the endpoint's state, and the notices it
receives (payload schema version 1, also in the OpenAPI document under `webhooks`)."""

from datetime import date, datetime
from typing import Annotated, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
)
from pydantic_core import PydanticCustomError

from ledger.domain.schemas.approval import Clearance

NOTICE_VERSION: Final = 1
WebhookEvent = Literal[
    "payment.recorded",
    "clearance.changed",
    "commitment.overdue",
    "commitment.breached",
    "commitment.repaired",
    "commitment.due_soon",
    "commitment.inspected",
]
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)
WebhookProjects = Literal["all", "own"]


MAX_URL_LENGTH: Final = 2000


def _normalised_fits(url: str) -> str:
    # Normalising can lengthen a URL (a bare host gains its "/"): the limit holds for the form kept,
    # else a URL of exactly the limit would pass here and fail when the endpoint is stored.
    if len(url) > MAX_URL_LENGTH:
        raise PydanticCustomError(
            "url_too_long",
            "URL should have at most {max_length} characters in its normalised form",
            {"max_length": MAX_URL_LENGTH},
        )
    return url


class WebhookRegistration(BaseModel):
    """A client's endpoint: where notices of these event kinds are POSTed, for which projects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[
        HttpUrl,
        UrlConstraints(max_length=MAX_URL_LENGTH),
        AfterValidator(str),
        AfterValidator(_normalised_fits),
        Field(
            examples=["https://tax.example.gov.cn/ledger/notices"],
            description="An absolute http or https URL with a host (a local address is allowed, for the "
            "development simulators), at most 2000 characters; parsed as a URL (WHATWG), "
            "kept in its normalised form. Notices are POSTed here, signed with the "
            "platform's key. Refusals: rule url_scheme, url_parsing, url_too_long.",
        ),
    ]
    events: Annotated[
        list[WebhookEvent],
        Field(min_length=1, max_length=len(WEBHOOK_EVENTS), examples=[["payment.recorded", "clearance.changed"]]),
    ]
    projects: WebhookProjects = Field(
        "all", description="all projects, or own: only the projects this client registered (POST /v1/approval/projects)"
    )


class WebhookEndpointCreate(WebhookRegistration):
    """The office's registration (`ledger webhooks add`) names the subscriber itself."""

    subscriber: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WebhookEndpointPublic(BaseModel):
    endpoint_id: int
    subscriber: str
    url: str
    events: list[WebhookEvent]
    projects: WebhookProjects
    status: Literal["active", "disabled"]  # disabled: no delivery succeeded for the disable window
    failing_since: datetime | None  # the first failed attempt since the last delivered notice
    disabled_at: datetime | None
    disabled_reason: str | None
    pending: int  # notices waiting for it (kept while disabled; sent in order when re-enabled)
    created_at: datetime


class WebhookDeliveryPublic(BaseModel):
    delivery_id: str
    subscriber: str
    event: str
    project_code: str
    status: Literal["pending", "delivered", "cancelled"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


# --- the notices (request bodies we send) --------------------------------------------------


class NoticeHeader(BaseModel):
    version: Literal[1] = Field(
        NOTICE_VERSION, description="payload schema version; a change that is not an added field gets a new version"
    )
    delivery_id: str = Field(description="deduplicate on it: a notice may arrive more than once")
    created_at: float = Field(description="when the notice was made, unix seconds")
    project_code: str


class CommandNotice(NoticeHeader):
    """A command the chain recorded and the read model holds (status `indexed`)."""

    event: Literal[
        "payment.recorded", "commitment.overdue", "commitment.breached", "commitment.repaired", "commitment.inspected"
    ]
    reference: str = Field(description="the business key: voucher number or commitment number")
    command_id: str
    transaction_hash: str | None
    block_number: int | None


class ClearanceChangedNotice(NoticeHeader, Clearance):
    """A project's clearance answer changed (clear ↔ not clear): the new answer, as GET …/clearance gives it."""

    event: Literal["clearance.changed"]


class DueSoonNotice(NoticeHeader):
    """A commitment's due date is near (LEDGER_REMINDER_DAYS before it, 7 and 1 days by default); sent once
    per reminder and due date (an extended commitment is reminded of its new date)."""

    event: Literal["commitment.due_soon"]
    commitment_number: str
    enterprise_uscc: str
    due_date: date
    reminder: str = Field(description="which reminder: due_in_7d, due_in_1d, …")
