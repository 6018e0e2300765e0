"""Routers for the system clients' routes: every route signed, every POST answered once per Idempotency-Key."""

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends

from api.idempotency import IdempotentRoute, idempotent


def signed_router(*, client: Callable[..., Any], prefix: str, tags: list[str | Enum]) -> APIRouter:
    """Routes for the clients `client` admits (every route signed), each POST answered once per
    Idempotency-Key (api.idempotency)."""
    # A router's dependencies are solved before the route's own, so the claim's transaction is in place
    # before web.kit.deps.get_session hands the route its session.
    return APIRouter(prefix=prefix, tags=tags, route_class=IdempotentRoute, dependencies=[Depends(idempotent(client))])
