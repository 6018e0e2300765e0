"""Dependencies shared by the routes, as `Annotated` aliases."""

from functools import cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine

from ledger.db.engine import make_engine
from ledger.settings import Settings


@cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def get_engine(settings: SettingsDep) -> Engine:
    return _engine(settings.database_url)


EngineDep = Annotated[Engine, Depends(get_engine)]
