"""/v1/me: a logged-in enterprise sees its own projects, levies, payments and commitments — only
its own: every query is bound to the USCC of the session's user, never to a request parameter."""

from typing import Annotated

from fastapi import APIRouter, Query

from api import examples as ex
from ledger.domain import commitments, credit_records, payments, projects
from ledger.domain.schemas.approval import RegisteredProject
from ledger.domain.schemas.common import Moment
from ledger.domain.schemas.credit import CreditRecordPublic
from ledger.domain.schemas.enterprise import CommitmentPublic, PaymentPublic
from ledger.domain.schemas.tax import LevyPublic
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses
from web.kit.sessions import EnterpriseUser

router = APIRouter(prefix="/v1/me", tags=["enterprise"])
READ = problem_responses("authentication-required", "forbidden")


@router.get(
    "/projects", response_model=list[RegisteredProject], responses={**ex.ok("My projects", [ex.PROJECT_PUBLIC]), **READ}
)
def my_projects(session: SessionDep, user: EnterpriseUser) -> list[RegisteredProject]:
    return projects.projects_of_enterprise(session, uscc=user.enterprise_uscc)


@router.get("/levies", response_model=list[LevyPublic], responses={**ex.ok("My levies", [ex.LEVY]), **READ})
def my_levies(session: SessionDep, user: EnterpriseUser) -> list[LevyPublic]:
    return payments.levies_of_enterprise(session, uscc=user.enterprise_uscc)


@router.get(
    "/payments",
    response_model=list[PaymentPublic],
    responses={
        **ex.ok(
            "My payments",
            [
                {k: ex.PAYMENT[k] for k in ("voucher_number", "levy_number", "amount_fen", "paid_at")}
                | {"project_code": ex.PROJECT, "command_id": ex.COMMAND_ID, "status": "indexed"}
            ],
        ),
        **READ,
    },
)
def my_payments(session: SessionDep, user: EnterpriseUser) -> list[PaymentPublic]:
    return payments.payments_of_enterprise(session, uscc=user.enterprise_uscc)


@router.get(
    "/commitments",
    response_model=list[CommitmentPublic],
    responses={
        **ex.ok(
            "My commitments",
            [ex.COMMITMENT | {"status": "recorded", "command_id": ex.COMMAND_ID, "created_at": "2026-11-29T08:10:00Z"}],
        ),
        **READ,
    },
)
def my_commitments(session: SessionDep, user: EnterpriseUser) -> list[CommitmentPublic]:
    return commitments.commitments_of_enterprise(session, uscc=user.enterprise_uscc)


@router.get(
    "/credit", response_model=CreditRecordPublic, responses={**ex.ok("My credit record", ex.CREDIT_RECORD), **READ}
)
def my_credit(
    session: SessionDep,
    user: EnterpriseUser,
    as_of: Annotated[Moment | None, Query(description="as the chain held it at this moment; omit for now")] = None,
) -> CreditRecordPublic:
    """My score and grade, every credit event with its contribution and on-chain proof."""
    return credit_records.credit_record(session, enterprise=user.enterprise_uscc, as_of=as_of, known=True)
