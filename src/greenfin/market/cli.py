"""``greenfin market``: the credit supermarket, needs, balance files and deadline escalation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from greenfin.cli import CLI_PRINCIPAL, cli_session
from greenfin.errors import InvalidInput
from greenfin.market import balances, service

app = typer.Typer(help="The financing platform (衢融通) and the loan book.", no_args_is_help=True)


@app.command("products")
def products(
    kind: str | None = typer.Option(None, help="enterprise, farm or resident"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """The credit supermarket: published products, one JSON line each."""
    with cli_session() as session:
        rows, total = service.list_products(session, CLI_PRINCIPAL, kind=kind, limit=limit)
        lpr = service.lpr_bp()
        for row in rows:
            typer.echo(service.product_read(row, lpr).model_dump_json())
        typer.echo(f"{len(rows)} of {total} published products", err=True)


@app.command("needs")
def needs(
    status: str | None = typer.Option("open", help="open, withdrawn or closed"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Financing needs, newest first, one JSON line each."""
    with cli_session() as session:
        for need in service.list_needs(session, CLI_PRINCIPAL, status=status, limit=limit):
            typer.echo(need.model_dump_json())


@app.command("import-balances")
def import_balances(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV or XLSX: loan_no,as_of,balance_fen,quality"
    ),
    bank: str = typer.Option(..., help="The reporting bank's code"),
    correction: str | None = typer.Option(None, help="Why stored months are corrected (else they are refused)"),
) -> None:
    """Import a bank's monthly balance file: whole file or nothing; replaying it changes nothing."""
    from greenfin.finance import service as finance

    with cli_session() as session:
        principal = finance.acting_for_bank(session, bank_code=bank)
        try:
            import_id, rows, inserted = balances.import_balances(
                session, principal, filename=path.name, content=path.read_bytes(), correction=correction
            )
        except InvalidInput as exc:
            for error in exc.errors[:20]:
                typer.echo(f"line {error['row']}, {error['column']}: {error['reason']}", err=True)
            raise
        typer.echo(json.dumps({"import_id": import_id, "rows": rows, "inserted": inserted}))


@app.command("escalate")
def escalate(
    today: str | None = typer.Option(None, help="Count overdue as of this day (YYYY-MM-DD, 北京时间); default today"),
) -> None:
    """Flag every application whose bank missed its deadline (visible to the borrower and the regulator)."""
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError as exc:
        raise InvalidInput(f"--today: {today!r} is not a date (YYYY-MM-DD)") from exc
    with cli_session() as session:
        count = service.escalate(session, CLI_PRINCIPAL, today=day)
    typer.echo(f"{count} application(s) flagged overdue")
