"""/v1/tax: the electronic tax system (电子税务系统). Signed requests only."""

from typing import Annotated

from fastapi import Body, Path, Query, Response

from api import examples as ex
from api.responses import CommandAcceptedPublic, PaymentBatchResultPublic, accepted, batch_result
from api.routes.approval import AUTH, POST, STATUS_BASE
from api.security.system_clients import TaxClient, tax_client
from api.signed_routes import signed_router
from ledger.domain import payments, statements
from ledger.domain.schemas.common import Day
from ledger.domain.schemas.tax import (
    DailyStatement,
    LevyPage,
    PaymentBatch,
    PaymentConfirmation,
    Reconciliation,
    RefundCreate,
    TaxStatement,
)
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses

router = signed_router(client=tax_client, prefix="/v1/tax", tags=["tax system"])


@router.get(
    "/levies",
    response_model=LevyPage,
    responses={
        **ex.ok("A page of levies to collect, oldest first", {"items": [ex.LEVY], "next_cursor": "eyJpZCI6MTIzfQ"}),
        **problem_responses(*AUTH, "malformed-request", "validation-failed"),
    },
)
def levies(
    session: SessionDep,
    client: TaxClient,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page; omit for the first")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> LevyPage:
    """The feed of levies to collect (assessments and supplementary charges). Follow `next_cursor`
    until it is null; keep the last cursor to resume later and receive only new levies."""
    return payments.levies_feed(session, cursor=cursor, limit=limit)


@router.post(
    "/payments",
    status_code=202,
    response_model=CommandAcceptedPublic,
    responses={
        **ex.ok("Accepted; follow status_url", ex.ACCEPTED, 202),
        **problem_responses(*POST, "conflict", "not-found"),
    },
)
def confirm_payment(
    confirmation: Annotated[PaymentConfirmation, Body(openapi_examples=ex.body("One payment", ex.PAYMENT))],
    session: SessionDep,
    client: TaxClient,
    response: Response,
) -> CommandAcceptedPublic:
    """Confirm one payment (电子缴款凭证). A voucher number is recorded once, forever."""
    return accepted(
        payments.confirm_payment(session, confirmation=confirmation, client=client.id), response, STATUS_BASE
    )


@router.post(
    "/payments/batch",
    status_code=202,
    response_model=PaymentBatchResultPublic,
    responses={
        **ex.ok(
            "Per-item results",
            {
                "accepted": 1,
                "rejected": 1,
                "items": [
                    {
                        "index": 0,
                        "voucher_number": "332026000000123456",
                        "accepted": True,
                        "command_id": ex.COMMAND_ID,
                        "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
                    },
                    {
                        "index": 1,
                        "voucher_number": "332026000000123457",
                        "accepted": False,
                        "problem": {
                            "type": "/problems/conflict",
                            "field": "items[1].voucher_number",
                            "rule": "unique_forever",
                            "detail": "voucher 332026000000123457 is already recorded",
                        },
                    },
                ],
            },
            202,
        ),
        **problem_responses(*POST),
    },
)
def confirm_payments(
    batch: Annotated[PaymentBatch, Body(openapi_examples=ex.body("A batch", {"items": [ex.PAYMENT]}))],
    session: SessionDep,
    client: TaxClient,
) -> PaymentBatchResultPublic:
    """Confirm up to 500 payments; each item is accepted or refused on its own (see `items`)."""
    return batch_result(payments.confirm_payments(session, batch=batch, client=client.id), STATUS_BASE)


@router.post(
    "/refunds",
    status_code=202,
    response_model=CommandAcceptedPublic,
    responses={
        **ex.ok("Accepted", ex.ACCEPTED | {"kind": "record_refund", "reference": "RF-2026-000007"}, 202),
        **problem_responses(*POST, "conflict", "not-found"),
    },
)
def record_refund(
    refund: Annotated[RefundCreate, Body(openapi_examples=ex.body("A refund", ex.REFUND))],
    session: SessionDep,
    client: TaxClient,
    response: Response,
) -> CommandAcceptedPublic:
    """Record a refund paid out (its own reference, recorded once)."""
    return accepted(payments.record_refund(session, refund=refund, client=client.id), response, STATUS_BASE)


@router.get(
    "/statements/{day}",
    response_model=DailyStatement,
    responses={
        **ex.ok(
            "Our statement of the day",
            {"day": "2026-11-29", "count": 1, "total_fen": 2100000000, "items": [ex.STATEMENT_ITEM]},
        ),
        **problem_responses(*AUTH, "validation-failed"),
    },
)
def daily_statement(
    day: Annotated[Day, Path(examples=["2026-11-29"], description="a day in Asia/Shanghai")],
    session: SessionDep,
    client: TaxClient,
) -> DailyStatement:
    """The payments we recorded for a day (Asia/Shanghai)."""
    return statements.daily_statement(session, day=day)


@router.post(
    "/reconciliations",
    response_model=Reconciliation,
    responses={
        **ex.ok(
            "The reconciliation",
            {
                "day": "2026-11-29",
                "matched": 41,
                "missing_here": [],
                "missing_there": ["332026000000123499"],
                "amount_mismatches": [
                    {"voucher_number": "332026000000123460", "ours_fen": 100000, "theirs_fen": 90000}
                ],
                "clean": False,
            },
        ),
        **problem_responses(*POST),
    },
)
def reconcile(
    statement: Annotated[
        TaxStatement,
        Body(
            openapi_examples=ex.body("The tax system's statement", {"day": "2026-11-29", "items": [ex.STATEMENT_ITEM]})
        ),
    ],
    session: SessionDep,
    client: TaxClient,
) -> Reconciliation:
    """Post the tax system's statement of a day; the answer lists matches, what is missing on either
    side, and amount mismatches."""
    return statements.reconcile(session, statement=statement)
