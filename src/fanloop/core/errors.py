"""Domain errors. Adapters map them to HTTP problems or page messages."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Authentication required"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Invalid(DomainError):
    status_code = 422
    title = "Invalid input"


class RateLimited(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
