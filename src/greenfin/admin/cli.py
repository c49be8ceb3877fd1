"""``greenfin admin``: run a region from an empty database.

Every command prints JSON on success; bad input is one sentence on stderr and exit 2.
Passwords are read from standard input (one line), never from an argument, so that they
stay out of the shell's history and the process list::

    echo "$ADMIN_PASSWORD" | greenfin admin bootstrap --username admin
    greenfin admin org create --kind bank --code QZB01 --name 衢州农商银行 --region 330800
    echo "$PASSWORD" | greenfin admin user create --username teller --role bank --org QZB01
    greenfin admin api-key create --org QZB01 --name payments --scope personal_events --expires-days 365
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import typer
from pydantic import BaseModel

from greenfin.admin import service
from greenfin.auth.service import Principal
from greenfin.cli import cli_session
from greenfin.errors import InvalidInput

app = typer.Typer(help="Administration: organisations, users, API keys.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of machine clients.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="api-key")


F = TypeVar("F", bound=Callable[..., None])


def _one_sentence(command: F) -> F:
    """A refusal is one sentence on stderr: the per-field list of the API is left out here."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except InvalidInput as exc:
            if not exc.errors:
                raise
            raise InvalidInput(exc.detail) from None

    return cast(F, run)


def _operator() -> Principal:
    """The CLI operator: an administrator, audited under the operating-system account."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Principal(actor=f"cli:{who}", role="admin")


def _echo(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in value]
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _password() -> str:
    """One line of standard input: the password (its line end dropped)."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("give the password on standard input (one line), e.g. via a pipe")
    return password


@app.command()
@_one_sentence
def bootstrap(username: str = typer.Option(..., "--username", help="The first administrator's username")) -> None:
    """Create the first administrator of an empty database (password from standard input)."""
    password = _password()
    with cli_session() as session:
        session.info["actor"] = _operator()
        user = service.bootstrap(session, username=username, password=password)
        _echo({"username": user.username, "role": user.role, "id": user.id})


@org_app.command("create")
@_one_sentence
def org_create(
    kind: str = typer.Option(..., "--kind", help=", ".join(service.ORGANISATION_KINDS)),
    code: str = typer.Option(..., "--code", help="Bank or data-source code, or the USCC (18 characters, checked)"),
    name: str = typer.Option(..., "--name", help="The organisation's name"),
    region: str = typer.Option(None, "--region", help="GB/T 2260 division code, e.g. 110105"),
) -> None:
    """Register an organisation; a duplicate code is refused."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.create_organisation(session, principal, kind=kind, code=code, name=name, region_code=region))


@org_app.command("list")
@_one_sentence
def org_list(
    kind: str = typer.Option(None, "--kind", help="Only organisations of this kind"),
    as_json: bool = typer.Option(True, "--json", help="Print JSON (the only format)"),
) -> None:
    """List the organisations."""
    with cli_session() as session:
        _echo(service.list_organisations(session, _operator(), kind=kind))


@user_app.command("create")
@_one_sentence
def user_create(
    username: str = typer.Option(..., "--username"),
    role: str = typer.Option(..., "--role", help=", ".join(service.ROLE_KINDS)),
    org: str = typer.Option(None, "--org", help="Code of the organisation the user acts for (not for a resident)"),
    display_name: str = typer.Option(None, "--display-name"),
) -> None:
    """Create a user (password from standard input)."""
    from pydantic import ValidationError

    from greenfin.admin.schemas import UserCreate

    password = _password()
    try:
        UserCreate(username=username, role=role, organisation_code=org, password=password)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        user = service.create_user(
            session,
            principal,
            username=username,
            role=role,
            organisation_code=org,
            password=password,
            display_name=display_name,
        )
        _echo(user)


@user_app.command("disable")
@_one_sentence
def user_disable(username: str = typer.Argument(...)) -> None:
    """Disable a user: no more logins, and their tokens stop working at once."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.disable_user(session, principal, username=username))


@user_app.command("enable")
@_one_sentence
def user_enable(username: str = typer.Argument(...)) -> None:
    """Let a disabled user log in again."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.enable_user(session, principal, username=username))


@user_app.command("reset-password")
@_one_sentence
def user_reset_password(username: str = typer.Argument(...)) -> None:
    """Set a user's new password (from standard input); their sessions end."""
    password = _password()
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.reset_password(session, principal, username=username, password=password))


@user_app.command("revoke-tokens")
@_one_sentence
def user_revoke_tokens(username: str = typer.Argument(...)) -> None:
    """End every bearer token and page session of a user."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo({"username": username, "tokens_revoked": service.revoke_tokens(session, principal, username=username)})


@user_app.command("list")
@_one_sentence
def user_list(as_json: bool = typer.Option(True, "--json", help="Print JSON (the only format)")) -> None:
    """List the users."""
    with cli_session() as session:
        _echo(service.list_users(session, _operator()))


@key_app.command("create")
@_one_sentence
def key_create(
    org: str = typer.Option(..., "--org", help="Code of the organisation the key acts for"),
    name: str = typer.Option(..., "--name", help="What the key is for, e.g. payments"),
    scope: list[str] = typer.Option(
        None, "--scope", help="A data kind the key may write (repeat); default by organisation kind"
    ),
    for_org: list[str] = typer.Option(None, "--for-org", help="Only for this organisation's data (repeat)"),
    region: str = typer.Option(None, "--region", help="Only for organisations in this GB/T 2260 region"),
    role: str = typer.Option(None, "--role", help="data_source, bank or enterprise (default by organisation kind)"),
    expires_days: int = typer.Option(None, "--expires-days", help="Days until the key expires"),
) -> None:
    """Issue an API key; the key is printed once and never again."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(
            service.create_api_key(
                session,
                principal,
                organisation_code=org,
                name=name,
                role=role,
                scopes=scope or None,
                organisation_codes=for_org or None,
                region_code=region,
                expires_days=expires_days,
            )
        )


@key_app.command("list")
@_one_sentence
def key_list(as_json: bool = typer.Option(True, "--json", help="Print JSON (the only format)")) -> None:
    """List the API keys (never their secrets)."""
    with cli_session() as session:
        _echo(service.list_api_keys(session, _operator()))


@key_app.command("revoke")
@_one_sentence
def key_revoke(prefix: str = typer.Argument(..., help="The key's prefix (gf_<prefix>_…)")) -> None:
    """Revoke an API key at once."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.revoke_api_key(session, principal, prefix=prefix))


@key_app.command("rotate")
@_one_sentence
def key_rotate(
    prefix: str = typer.Argument(..., help="The key's prefix (gf_<prefix>_…)"),
    grace_hours: int = typer.Option(0, "--grace-hours", help="Hours the old key keeps working (0: stops now)"),
) -> None:
    """Replace an API key by a new one of the same reach; the new key is printed once."""
    with cli_session() as session:
        session.info["actor"] = principal = _operator()
        _echo(service.rotate_api_key(session, principal, prefix=prefix, grace_hours=grace_hours))
