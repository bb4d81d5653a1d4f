"""create_app(): the ASGI application with the JSON API, the pages and the static files."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from fanloop import __version__
from fanloop.api import problems
from fanloop.api.router import api_router
from fanloop.core.config import Settings, get_settings
from fanloop.core.db import Database
from fanloop.core.errors import DomainError
from fanloop.core.migrate import ensure_migrated
from fanloop.core.outbox import FileOutbox
from fanloop.core.text import warm_up
from fanloop.jobs.worker import Worker
from fanloop.wiring import wire

log = logging.getLogger("fanloop")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application. Refuses to start on a database that is not migrated."""
    settings = settings or get_settings()
    database = database or Database(settings.effective_database_url)
    ensure_migrated(database.engine, database.url)
    warm_up()
    wire()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        worker = (
            Worker(database, interval=settings.worker_interval) if settings.worker == "embedded" else None
        )
        if worker:
            worker.start_thread()
        yield
        if worker:
            worker.stop()

    app = FastAPI(
        title="fanloop",
        version=__version__,
        summary="Fan community API: posts, replies, votes, statuses, members and fan levels.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.outbox = FileOutbox(settings)

    app.include_router(api_router)
    _mount_web(app)
    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    return app


def _mount_web(app: FastAPI) -> None:
    static = resources.files("fanloop") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    try:
        from fanloop.web.router import web_router
    except ImportError:  # pages are optional for an API-only deployment
        return
    app.include_router(web_router)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    def page_error(request: Request, status: int, detail: str):  # noqa: ANN202
        from fanloop.web.errors import render_error

        return render_error(request, status, detail)

    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, error: DomainError):  # noqa: ANN202
        if _wants_json(request):
            return problems.domain_problem(error)
        return page_error(request, error.status_code, error.detail)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError):  # noqa: ANN202
        if _wants_json(request):
            return problems.validation_problem(error)
        return page_error(request, 422, "Some of the input is not valid.")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException):  # noqa: ANN202
        if _wants_json(request):
            return problems.http_problem(request, error)
        return page_error(request, error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problems.problem(
            500, "Internal error", "Something went wrong on our side; it has been logged."
        )
