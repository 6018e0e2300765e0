"""The tickets pages' own small world: a migrated SQLite database with an office and a regulator user,
and no chain (the tickets touch none), so that these tests write nothing into the shared public world."""

import re
from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.access.users import add_user
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema

PASSWORD = "tickets pages password"
OFFICE, REGULATOR = "tickets-office", "tickets-reg"


@dataclass
class TicketsWorld:
    database_url: str
    engine: Engine

    def settings(self, **groups) -> Settings:
        return Settings(database={"url": self.database_url}, **groups)

    def env(self) -> dict[str, str]:
        return {"LEDGER_DATABASE_URL": self.database_url}


def make_tickets_world(folder) -> TicketsWorld:
    url = f"sqlite:///{folder / 'tickets.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    add_user(engine, username=OFFICE, password=PASSWORD, role="office")
    add_user(engine, username=REGULATOR, password=PASSWORD, role="regulator")
    return TicketsWorld(database_url=url, engine=engine)


def challenge_answer(html: str) -> dict[str, str]:
    """The submit form's challenge, solved (as a person reading the page would)."""
    a, b = map(int, re.search(r"验证题：(\d+) \+ (\d+) = \?", html).groups())
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    return {"challenge_token": token, "challenge_answer": str(a + b)}
