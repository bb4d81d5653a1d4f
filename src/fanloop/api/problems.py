"""Errors as application/problem+json (RFC 9457), with a message a person can act on."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fanloop.core.errors import DomainError, RateLimited

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra
) -> JSONResponse:  # noqa: ANN003
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def domain_problem(error: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    extra = {"field": error.field} if error.field else {}
    if error.status_code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return problem(error.status_code, error.title, error.detail, headers, **extra)


def validation_problem(error: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ()) if part != "body"),
            "message": item.get("msg", "invalid"),
        }
        for item in error.errors()
    ]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5])
    return problem(422, "Invalid input", detail, errors=errors)


def http_problem(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else "Request failed."
    return problem(
        error.status_code, _TITLES.get(error.status_code, "Error"), detail, getattr(error, "headers", None)
    )


_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
