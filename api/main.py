"""The FastAPI application: `uvicorn api.main:app`."""

from fastapi import FastAPI

from api.routes import health, metrics


def create_app() -> FastAPI:
    app = FastAPI(
        title="人防易地建设费与承诺制信用账本 API",
        summary="Civil-air-defence fee collection and commitment ledger",
        version="0.1.0",
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


app = create_app()
