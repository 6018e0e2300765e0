"""Dependencies shared by the routes, as `Annotated` aliases."""

from functools import cache
from typing import Annotated

from fastapi import Depends

from ledger.settings import Settings


@cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]
