"""A world of its own for the office's writes (the public world is read-only): the session's chain
node, freshly reset, its own database (SQLite, or PostgreSQL for a module that asks), a project to
assess, an assessed project with a commitment due in three days, two office clerks (four-eyes) and
the builders' enterprise users.

The world plays the writer and the indexer in the test process (`settle()`), unless a module asks for
`office_processes`: then the Celery worker and the indexer loop run beside it as `make run` starts them,
and `settle()` waits for them."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.access.users import add_user
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import commitments, fees, projects
from ledger.domain.schemas.office import CommitmentDecision
from tests.portal.conftest import PASSWORD
from tests.support.ledger_env import WritePath
from tests.support.samples import assessment, commitment, make_uscc, project, project_code, sha
from tests.support.write_processes import WriteProcesses

TO_ASSESS, ASSESSED = 821, 822


@dataclass
class OfficeWorld:
    path: WritePath
    engine: Engine
    manifest_path: Path
    to_assess: str
    assessed: str
    due_soon: str  # a commitment of ASSESSED, due in three days
    later: str  # a commitment of ASSESSED, due in ninety days
    processes: WriteProcesses | None = None  # the worker and the indexer, once `office_processes` started them

    def settings(self, **groups) -> Settings:
        return Settings(
            database={"url": self.path.url},
            rpc={"url": self.path.chain.node.url},
            deployment={"manifest_path": self.manifest_path},
            **groups,
        )

    def settle(self) -> None:
        """Every accepted command `indexed`: waited for while the worker and the indexer run; otherwise
        what they do, played here (send the accepted commands, mirror the events, then mark the commands
        the read model has reached), leases released for whoever comes next."""
        if self.processes is not None:
            self.processes.settled(self.engine)
            return
        writer = self.path.drain()
        indexer = self.path.indexer()
        indexer.catch_up()
        indexer.release()
        writer.mark_indexed()
        writer.release_lease()

    def fulfilled_commitments(self, n: int, numbers: list[str]) -> None:
        """Project n registered and assessed, with materials commitments `numbers` fulfilled on chain: a
        random inspection's pool."""
        with self.path.session() as s:
            projects.register_project(s, project=project(n), client="approval")
            fees.assess_fee(s, assessment=assessment(n), actor="office")
            commitments.record_commitments(
                s, commitments=[commitment(n, number, "materials", days=30) for number in numbers], client="approval"
            )
            s.commit()
        self.settle()
        with self.path.session() as s:
            for number in numbers:
                decision = CommitmentDecision(action="fulfil", document_sha256=sha(number))
                commitments.decide_commitment(s, commitment_number=number, decision=decision, actor="office")
            s.commit()
        self.settle()

    def assessed_project(self, n: int) -> str:
        """Another project, registered and assessed (about ¥1.2 million), for a test that needs a levy
        no other test reduces."""
        with self.path.session() as s:
            projects.register_project(s, project=project(n), client="approval")
            fees.assess_fee(s, assessment=assessment(n), actor="office")
            s.commit()
        self.settle()
        return project_code(n)


@pytest.fixture(scope="module")
def office_world(deployed_chain, migrated_templates, tmp_path_factory, request) -> Iterator[OfficeWorld]:
    """On a SQLite file of its own, or on a PostgreSQL database of its own for a module that says
    OFFICE_DATABASE = "postgresql" (dropped after it)."""
    deployed_chain.reset()
    folder = tmp_path_factory.mktemp("office-world")
    deployed_chain.manifest.save(folder / "deployment.json")
    drop = None
    if getattr(request.module, "OFFICE_DATABASE", "sqlite") == "postgresql":
        url, drop = migrated_templates.postgresql("ledger_office_world")
    else:
        url = f"sqlite:///{folder / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    world = OfficeWorld(
        path=WritePath(chain=deployed_chain, url=url, engine=engine),
        engine=engine,
        manifest_path=folder / "deployment.json",
        to_assess=project_code(TO_ASSESS),
        assessed=project_code(ASSESSED),
        due_soon="CN-OFF-0001",
        later="CN-OFF-0002",
    )
    world.settle()  # the rate tables deploy published
    with world.path.session() as s:
        for n in (TO_ASSESS, ASSESSED):
            projects.register_project(s, project=project(n), client="approval")
        fees.assess_fee(s, assessment=assessment(ASSESSED), actor="office")
        commitments.record_commitments(
            s,
            commitments=[commitment(ASSESSED, world.due_soon, days=3), commitment(ASSESSED, world.later, days=90)],
            client="approval",
        )
        s.commit()
    world.settle()
    for clerk in ("office-clerk", "office-second"):
        add_user(engine, username=clerk, password=PASSWORD, role="office")
    for n in (TO_ASSESS, ASSESSED):
        add_user(engine, username=f"builder-{n}", password=PASSWORD, role="enterprise", uscc=make_uscc(n))
    yield world
    engine.dispose()
    if drop:
        drop()
    deployed_chain.reset()


@pytest.fixture(scope="module")
def office_processes(office_world, tmp_path_factory) -> Iterator[WriteProcesses]:
    """The Celery worker (with beat) and the indexer loop on the world, started once its setup has settled
    (in the test process: the rate tables, the projects and the commitments the world starts with); from
    then on every command goes to the chain and to `indexed` through them, and `settle()` waits for them."""
    processes = WriteProcesses(
        database_url=office_world.path.url,
        node_url=office_world.path.chain.node.url,
        manifest_path=office_world.manifest_path,
        directory=tmp_path_factory.mktemp("office-processes"),
        # A drain task ends after a second without work (5 s by default), so the worker stops at once.
        LEDGER_WRITER_IDLE_SECONDS="1",
    ).start()
    office_world.processes = processes
    try:
        yield processes
    finally:
        office_world.processes = None
        processes.stop()


def days_from_today(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
