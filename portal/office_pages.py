"""The office workspace (人防办工作台), read only: projects with their fee status, and the status of
the latest writes (accepted → submitted → mined → indexed, or failed with the contract's error).
The decisions themselves are made through /v1/office."""

from fastapi import APIRouter, Request

from ledger.domain import oversight, projects
from ledger.domain.commands import recent_commands
from portal.pages import render
from portal.people import OfficePage
from web.kit.deps import SessionDep

router = APIRouter(prefix="/office", include_in_schema=False)


@router.get("")
def office_home(request: Request, session: SessionDep, who: OfficePage):
    listed = projects.recent_projects(session, limit=100)
    accounts = oversight.fee_statuses(session, project_keys=[p.project_key for p in listed])
    return render(
        request,
        "office/home.html",
        who=who,
        projects=listed,
        accounts=accounts,
        commands=recent_commands(session, limit=30),
    )
