"""A production mode that means it (issue 16, part 4).

The findings: demo passwords logged in under ``GREENFIN_ENVIRONMENT=production``; an empty
or one-character secret was accepted; a misconfiguration error printed the last characters
of the secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from greenfin.app import create_app, refuse_unsafe_production
from greenfin.auth import service as auth
from greenfin.demo.service import DEMO_PASSWORD, DEMO_PLATFORM_CODE
from greenfin.finance import signing
from greenfin.settings import DEFAULT_SECRET, ConfigurationError, Settings, load_settings, mask_url

STRONG = "pV7c0Qz-K2mXw9RtLb4Ns8JfYh3GdUe6AqZo1Ti5"  # what secrets.token_urlsafe(30) gives
WEAK = {
    "": "shorter than 32 bytes",
    "x": "shorter than 32 bytes",
    "Kq9!vR2#": "shorter than 32 bytes",
    DEFAULT_SECRET + "-0123456789": "a known default or a word, not a generated key",
    "my-production-secret-for-the-region-2026": "a known default or a word, not a generated key",
    "aB3$" * 10: "fewer than 10 distinct characters",
    "Zq8wXe4rTy7U" * 3: "a repeated pattern",
    "abcdefghijklmnopqrstuvwxyz0123456789": "runs of consecutive characters",
    "a1a2a3a4a5a6a7a8a9a0aXaYaZaWaVaUaTaS": "one character makes up a third of it",
}


def _production(tmp_path: Path, **values: object) -> dict[str, object]:
    key_file = tmp_path / "signing.pem"
    if not key_file.exists():
        signing.write_private_key(key_file, signing.generate_key())
    return {
        "environment": "production",
        "secret_key": STRONG,
        "cookie_secure": True,
        "signing_key_file": key_file,
        "database_url": "postgresql+psycopg://greenfin:Db-Pa55word-Hunter2@db.example:5432/greenfin",
    } | values


@pytest.mark.parametrize("secret", sorted(WEAK))
def test_a_weak_secret_is_refused_and_never_printed(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(**_production(tmp_path, secret_key=secret))
    message = str(caught.value)
    assert message == f"GREENFIN_SECRET_KEY is refused in production: {WEAK[secret]}"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no chained pydantic text
    if secret:
        assert secret[-4:] not in message and secret not in repr(caught.value)


def test_a_strong_secret_is_accepted_and_not_in_the_repr(tmp_path: Path) -> None:
    settings = load_settings(**_production(tmp_path))
    assert settings.environment == "production"
    assert STRONG not in repr(settings) and "Hunter2" not in repr(settings)
    assert settings.masked_database_url == "postgresql+psycopg://greenfin:***@db.example:5432/greenfin"
    assert mask_url("sqlite:///var/greenfin.db") == "sqlite:///var/greenfin.db"


def test_production_needs_secure_cookies_and_a_signing_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^GREENFIN_COOKIE_SECURE must be true"):
        load_settings(**_production(tmp_path, cookie_secure=False))
    with pytest.raises(ConfigurationError, match=r"^GREENFIN_SIGNING_KEY_FILE must name"):
        load_settings(**_production(tmp_path, signing_key_file=None))


def test_the_cli_prints_one_sentence_without_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from greenfin import cli
    from greenfin.settings import get_settings

    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "production")
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "tail-of-the-secret-XYZW")
    monkeypatch.setattr("sys.argv", ["greenfin", "finance", "signing-key"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: GREENFIN_SECRET_KEY is refused in production: shorter than 32 bytes\n"
    assert "XYZW" not in err


def _demo_database(session: Session, *, marker: bool, login: bool) -> None:
    if marker:
        auth.create_organisation(
            session, kind="platform", name="演示平台", code=DEMO_PLATFORM_CODE, region_code="330800"
        )
    if login:
        auth.create_user(session, username="regulator", password=DEMO_PASSWORD, role="regulator")
    session.flush()


@pytest.mark.parametrize(("marker", "login"), [(True, False), (False, True)])
def test_production_refuses_a_database_with_demo_logins(
    session: Session, session_factory: sessionmaker[Session], tmp_path: Path, marker: bool, login: bool
) -> None:
    _demo_database(session, marker=marker, login=login)
    session.commit()
    settings = load_settings(**_production(tmp_path))
    with pytest.raises(ConfigurationError, match="demo logins") as caught:
        refuse_unsafe_production(settings, session_factory)
    assert ("the login 'regulator' with the demo password" in str(caught.value)) is login
    assert STRONG not in str(caught.value) and "Hunter2" not in str(caught.value)


def test_production_starts_when_the_demo_login_was_changed(
    session: Session, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    auth.create_user(session, username="regulator", password="a-new-long-passphrase-2026", role="regulator")
    session.commit()
    refuse_unsafe_production(load_settings(**_production(tmp_path)), session_factory)  # nothing raised


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    values = _production(tmp_path, database_url="postgresql+psycopg://greenfin:Db-Pa55word-Hunter2@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError) as caught:
        create_app(Settings(**values))  # type: ignore[arg-type]
    assert "greenfin:***@127.0.0.1:1/none" in str(caught.value) and "Hunter2" not in str(caught.value)


def test_a_group_readable_signing_key_stops_production(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    values = _production(tmp_path)
    Path(str(values["signing_key_file"])).chmod(0o640)
    with pytest.raises(ConfigurationError, match="may be read by others"):
        refuse_unsafe_production(load_settings(**values), session_factory)
