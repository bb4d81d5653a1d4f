"""What the account tests share: a problem answer checked field by field, log-in and reset calls."""

from __future__ import annotations

import re

PASSWORD = "correct horse 1"
RESET_LINK = re.compile(r"/reset\?token=([A-Za-z0-9_\-]+)")


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    if field is not None:
        fields = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
        assert field in fields, problem
    return problem


def log_in(client, login: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def confirm(client, token: str, password: str):
    return client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": password})
