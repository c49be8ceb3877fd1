"""Configuration: one validated Settings object built from GREENFIN_* variables.

Nothing else in greenfin reads the environment. ``get_settings()`` builds the object once
per process; tests build their own and pass it in.

Production means it (docs/security.md): it refuses to start with a secret key shorter
than 32 bytes or not random-looking (a known default, a word such as "demo" or "secret", a
repeated pattern, too few distinct characters), without secure cookies or without a signing
key file; ``greenfin.app`` also refuses a database holding a demo login. No error message
ever shows the secret or the database password (:class:`ConfigurationError`, the masked URL).
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SECRET = "greenfin-demo-secret-change-me"
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 10
# Words that mark a secret somebody typed or copied from documentation, not generated.
WEAK_SECRET_WORDS = ("greenfin", "demo", "change", "secret", "password", "passwd", "example", "default", "test")


class ConfigurationError(Exception):
    """The settings are refused; the message names the variables and never their values."""


def weak_secret_reason(secret: str) -> str | None:
    """Why ``secret`` is not a random-looking key of at least 32 bytes (None: it is).

    Heuristics, not a proof of randomness: long enough, not a known default, no tell-tale
    word, enough distinct characters, no character making up a third of it, no repeated
    pattern and no run of consecutive characters (``abcd…``, ``1234…``). Generate one with
    ``python -c "import secrets; print(secrets.token_urlsafe(32))"``.
    """
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        return f"shorter than {MIN_SECRET_BYTES} bytes"
    # Lower case only: a generated key holds "DeMo" about once in 10,000, "demo" once in 400,000.
    if secret == DEFAULT_SECRET or any(word in secret for word in WEAK_SECRET_WORDS):
        return "a known default or a word, not a generated key"
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"fewer than {MIN_SECRET_DISTINCT} distinct characters"
    if max(secret.count(c) for c in set(secret)) * 3 > len(secret):
        return "one character makes up a third of it"
    for period in range(1, len(secret) // 2 + 1):
        if all(secret[i] == secret[i % period] for i in range(len(secret))):
            return "a repeated pattern"
    steps = sum(1 for a, b in itertools.pairwise(secret) if abs(ord(b) - ord(a)) == 1)
    if steps * 3 > len(secret):
        return "runs of consecutive characters"
    return None


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ``***`` (safe to print)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unparseable database URL)"


class Settings(BaseSettings):
    """Every knob of a greenfin process."""

    model_config = SettingsConfigDict(env_prefix="GREENFIN_", extra="ignore")

    environment: Literal["demo", "dev", "test", "production"] = "demo"
    database_url: str = Field(
        default=f"sqlite:///{Path('var/greenfin.db').as_posix()}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production",
        repr=False,  # may hold the database password
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET,
        description="Keys the hashes of personal identifiers and signs nothing else; keep secret. In production "
        "at least 32 random bytes (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
        repr=False,
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="The Ed25519 private key (PEM) that signs carbon credit reports; `greenfin finance keygen` "
        "writes one. Required in production; demo, dev and test generate one under var/signing/",
    )
    token_ttl_minutes: int = Field(default=12 * 60, description="Lifetime of a bearer token or page session")
    login_max_failures: int = Field(default=5, description="Failed logins per user within the window before refusing")
    login_max_failures_per_address: int = Field(
        default=30, description="Failed logins from one client address within the window before refusing"
    )
    login_window_minutes: int = Field(default=15, description="Window for counting failed logins")
    cookie_secure: bool = False
    posting_interval_seconds: float = Field(
        default=1.0,
        description="How often a server process posts pending API deliveries of personal events to the points "
        "ledger; 0 turns the in-process poster off (then run `greenfin personal post`)",
    )
    region: str = Field(
        default="330800",
        pattern=r"^[0-9]{6}$",
        description="GB/T 2260 code of the city greenfin runs for; selects src/greenfin/region/data/<code>.toml",
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
        # Messages name the variable and the rule, never the value (it is a secret).
        if self.environment in ("dev", "production") and self.secret_key == DEFAULT_SECRET:
            raise ValueError(f"GREENFIN_SECRET_KEY must be set to a private value in {self.environment}")
        if self.environment == "production":
            reason = weak_secret_reason(self.secret_key)
            if reason is not None:
                raise ValueError(f"GREENFIN_SECRET_KEY is refused in production: {reason}")
            if not self.cookie_secure:
                raise ValueError("GREENFIN_COOKIE_SECURE must be true in production (session cookies over HTTPS only)")
            if self.signing_key_file is None:
                raise ValueError(
                    "GREENFIN_SIGNING_KEY_FILE must name the report-signing key in production "
                    "(`greenfin finance keygen FILE` writes one)"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def masked_database_url(self) -> str:
        """The database URL without its password (for messages and logs)."""
        return mask_url(self.database_url)


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and ``values``), or :class:`ConfigurationError` naming what is
    wrong — never the values themselves (pydantic's own message would print the secret)."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            where = "GREENFIN_" + "_".join(str(part) for part in error["loc"]).upper() if error["loc"] else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigurationError("; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return load_settings()
