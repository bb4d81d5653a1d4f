"""Validated settings, read from the environment (prefix FANLOOP_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FANLOOP_", extra="ignore")

    environment: str = "development"  # development | test | production
    database_url: str = ""
    data_dir: Path = Path("var")
    secret_key: str = DEVELOPMENT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    session_days: int = 30
    # Rate limits: at most N actions per window (seconds), per member or per client address.
    post_rate_limit: int = 10
    post_rate_window: int = 60
    reply_rate_limit: int = 30
    reply_rate_window: int = 60
    login_rate_limit: int = 10
    login_rate_window: int = 300
    signup_rate_limit: int = 20
    signup_rate_window: int = 3600
    # "embedded": the web process runs the background worker in a thread; "off": run `fanloop worker`.
    worker: str = "embedded"
    worker_interval: float = 0.5
    # Text model that turns each post into a stored vector (pain points, similar posts); empty means
    # fanloop.insights.textmodels.DEFAULT_TEXT_MODEL. Changing it re-encodes posts in the background.
    text_model: str = ""
    # Hour of the day (UTC, 0-23) after which the nightly pain-point re-mine is queued; -1 turns it off.
    remine_hour: int = Field(default=3, ge=-1, le=23)
    # Fan level (1-7) from which an active fan counts as a core fan on the growth dashboard.
    core_fan_level: int = Field(default=5, ge=1, le=7)
    # Behind a trusted reverse proxy, take the client address from X-Forwarded-For.
    trust_proxy: bool = False
    # Outgoing mail through SMTP; without a host, mail is written to <data dir>/outbox instead.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "fanloop <noreply@localhost>"
    smtp_starttls: bool = True

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("FANLOOP_SECRET_KEY must be set to a random value in production")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fanloop.db').resolve()}"

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host.strip())

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
