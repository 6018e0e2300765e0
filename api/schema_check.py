"""The API starts only on a database at this code's schema revision; on another, one line and uvicorn exits."""

from starlette.concurrency import run_in_threadpool

from ledger.db.schema import SchemaNotCurrent, require_current_schema
from web.kit.deps import get_engine_for, get_settings


class RequireCurrentSchema:
    """Pure ASGI middleware on the lifespan: checks the schema when the server starts and fails the startup
    with the reason (a lifespan handler that raised would have uvicorn print a traceback instead)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        startup = await receive()
        settings = scope["app"].dependency_overrides.get(get_settings, get_settings)()  # as the routes resolve it
        try:
            await run_in_threadpool(require_current_schema, get_engine_for(settings))
        except SchemaNotCurrent as exc:
            await send({"type": "lifespan.startup.failed", "message": f"error: {exc}"})
            return
        pending = [startup]

        async def receive_after_the_check():
            return pending.pop() if pending else await receive()

        await self.app(scope, receive_after_the_check, send)
