"""Configuration: one validated Settings object built from GREENFIN_* variables.

Nothing else in greenfin reads the environment. ``get_settings()`` builds the object once
per process; tests build their own and pass it in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "greenfin-demo-secret-change-me"


class Settings(BaseSettings):
    """Every knob of a greenfin process."""

    model_config = SettingsConfigDict(env_prefix="GREENFIN_", extra="ignore")

    environment: Literal["demo", "dev", "test", "production"] = "demo"
    database_url: str = Field(
        default=f"sqlite:///{Path('var/greenfin.db').as_posix()}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production",
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET,
        description="Keys the hashes of personal identifiers and signs nothing else; keep secret",
    )
    token_ttl_minutes: int = Field(default=12 * 60, description="Lifetime of a bearer token or page session")
    login_max_failures: int = Field(default=5, description="Failed logins per user within the window before refusing")
    login_window_minutes: int = Field(default=15, description="Window for counting failed logins")
    cookie_secure: bool = False
    posting_interval_seconds: float = Field(
        default=1.0,
        description="How often a server process posts pending API deliveries of personal events to the points "
        "ledger; 0 turns the in-process poster off (then run `greenfin personal post`)",
    )
    default_page_size: int = 50
    max_page_size: int = 500
    # Input bounds (greenfin.http.InputGuard): a larger body is refused with 413 before it is read whole.
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="Largest request body of a plain request")
    max_batch_body_bytes: int = Field(
        default=20 << 20, ge=1024, description="Largest JSON body of a batch intake (events, enrolments)"
    )
    max_upload_bytes: int = Field(default=50 << 20, ge=1024, description="Largest multipart body (file uploads)")
    max_json_depth: int = Field(default=32, ge=4, le=256, description="Deepest nesting of a JSON body")
    personal_self_service: Literal["off", "code"] = Field(
        default="off",
        description="How a resident may open their own personal account: off (only a bank's enrolment) or code "
        "(with a verification code the operator hands out after checking the ID card, `greenfin personal "
        "verification-code`)",
    )
    ledger_checkpoint_minutes: float = Field(
        default=60,
        ge=0,
        description="How often a server process anchors the personal ledger's chain heads in a signed checkpoint "
        "(0: only `greenfin personal checkpoint` and a clean `greenfin personal verify`)",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.environment in ("dev", "production") and self.secret_key == DEFAULT_SECRET:
            raise ValueError(f"GREENFIN_SECRET_KEY must be set to a private value in {self.environment}")
        if self.environment == "production" and not self.cookie_secure:
            raise ValueError("GREENFIN_COOKIE_SECURE must be true in production (session cookies over HTTPS only)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
