"""``greenfin personal``: the scenario catalogue, enrolment and intake files, ledger checks, expiry, balances."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import typer
from pydantic import ValidationError

from greenfin.bounds import csv_header, csv_rows, decode_text_file
from greenfin.cli import CLI_PRINCIPAL, cli_session
from greenfin.errors import InvalidInput
from greenfin.personal import service
from greenfin.personal.catalogue import catalogue_as_json
from greenfin.personal.schemas import EnrolRow
from greenfin.settings import get_settings

app = typer.Typer(help="Personal carbon account: scenarios, enrolment, intake, ledger.", no_args_is_help=True)

ENROL_COLUMNS = ("id_number", "name", "phone", "consent_ref")


@app.command()
def scenarios(as_json: bool = typer.Option(False, "--json", help="Print the catalogue as JSON")) -> None:
    """Print the scenario catalogue in force."""
    cat = service.catalogue()
    if as_json:
        typer.echo(
            json.dumps({"version": cat.version, "scenarios": catalogue_as_json(cat)}, ensure_ascii=False, indent=2)
        )
        return
    typer.echo(f"catalogue {cat.version} (published {cat.published.isoformat()})")
    for s in cat.scenarios:
        typer.echo(f"{s.code:24} {s.name_zh:12} {s.avoided_co2_g:>6} g {s.points:>4} pts  cap {s.daily_cap}/day")


@app.command()
def enrol(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: id_number,name,phone,consent_ref"),
    bank: str = typer.Option(
        None, "--bank", help="Code of the bank that collected the consents (default: the region's only bank)"
    ),
) -> None:
    """Open accounts for residents a bank enrolled with their consent (whole file or nothing)."""
    reader = csv.DictReader(io.StringIO(decode_text_file(file.name, file.read_bytes()), newline=""))
    if tuple(csv_header(file.name, reader)) != ENROL_COLUMNS:
        raise InvalidInput(f"{file.name}: the header must be {','.join(ENROL_COLUMNS)}")
    rows: list[EnrolRow] = []
    problems: list[dict[str, object]] = []
    for number, r in enumerate(csv_rows(file.name, reader), start=2):
        cells = {c: r.get(c) if isinstance(r.get(c), str) else "" for c in ENROL_COLUMNS}
        try:
            rows.append(
                EnrolRow(
                    id_number=cells["id_number"] or "",
                    name=cells["name"] or "",
                    phone=cells["phone"] or None,
                    consent_ref=cells["consent_ref"] or "",
                )
            )
        except ValidationError as exc:  # a field over its bound: that row, named
            problems += [{"row": number, "column": str(e["loc"][0]), "reason": e["msg"]} for e in exc.errors()]
    if problems:
        first = problems[0]
        raise InvalidInput(f"{file.name}: row {first['row']}, {first['column']}: {first['reason']}", errors=problems)
    settings = get_settings()
    with cli_session(settings) as session:
        # The operator acts for the bank: the consents are the bank's.
        principal = service.bank_operator(session, bank)
        result = service.enrol(
            session, principal, settings=settings, rows=rows, bank_code=principal.organisation_code or ""
        )
    typer.echo(json.dumps({"enrolled": result.enrolled, "already_enrolled": result.already_enrolled}))


@app.command()
def ingest(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CSV: " + ",".join(("source", "external_id", "id_number", "scenario", "occurred_at", "amount_fen")),
    ),
) -> None:
    """Ingest an events file; prints a JSON summary (accepted, duplicates, rejected, reasons)."""
    from greenfin.personal.intake import ingest_file

    settings = get_settings()
    with cli_session(settings) as session:
        summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=file)
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@app.command()
def post() -> None:
    """Post pending API deliveries to the ledger (the daily cap, then the earn entries); prints a JSON summary.

    A server process does this every ``GREENFIN_POSTING_INTERVAL_SECONDS``; this command is for
    a server run with the in-process poster off, or to post at once.
    """
    with cli_session() as session:
        done = service.post_all_pending(session)
    typer.echo(
        json.dumps({"batches": done.batches, "events": done.events, "capped": done.capped, "entries": done.entries})
    )


@app.command("verification-code")
def verification_code_command(
    id_number: str = typer.Option(..., "--id-number", help="Resident ID number whose card was checked"),
    days: int = typer.Option(7, "--days", min=1, max=90, help="Days the code stays good"),
) -> None:
    """Print the code that lets this resident open their own account (self-service set to ``code``)."""
    typer.echo(service.verification_code(get_settings(), id_number=id_number, days=days))


@app.command()
def verify(
    no_checkpoint: bool = typer.Option(False, "--no-checkpoint", help="Only check; write no new checkpoint"),
) -> None:
    """Check every account's hash chain and the signed checkpoints that anchor their heads; exit 1 on any break.

    A clean ledger is then anchored in a new checkpoint, printed so that its MAC can be kept
    outside the database too (a log, a ticket): deleting every checkpoint is the one change the
    database cannot show by itself.
    """
    settings = get_settings()
    with cli_session(settings) as session:
        accounts, entries, breaks = service.verify(session)
        breaks += service.verify_anchors(session, settings)
        made = None if breaks or no_checkpoint else service.checkpoint(session, settings)
    report: dict[str, object] = {
        "accounts": accounts,
        "entries": entries,
        "breaks": [{"account_id": b.account_id, "seq": b.seq, "reason": b.reason, "detail": b.detail} for b in breaks],
    }
    if made is not None:
        report["checkpoint"] = {"id": made.id, "accounts": made.accounts, "entries": made.entries, "mac": made.mac}
    typer.echo(json.dumps(report, indent=2))
    if breaks:
        raise typer.Exit(1)


@app.command()
def checkpoint() -> None:
    """Anchor every account's chain head in a new signed checkpoint (a server does it every hour by itself)."""
    settings = get_settings()
    with cli_session(settings) as session:
        made = service.checkpoint(session, settings)
    typer.echo(json.dumps({"id": made.id, "accounts": made.accounts, "entries": made.entries, "mac": made.mac}))


@app.command()
def expire(as_of: str = typer.Option(None, "--as-of", help="Day (YYYY-MM-DD); default today")) -> None:
    """Write expire entries for points that lapsed by a day (running it twice writes nothing more)."""
    day = date.fromisoformat(as_of) if as_of else service.today()
    with cli_session() as session:
        summary = service.expire(session, CLI_PRINCIPAL, as_of=day)
    typer.echo(json.dumps(summary))


@app.command()
def balance(
    ref: str = typer.Option(None, "--ref", help="Account reference"),
    id_number: str = typer.Option(None, "--id-number", help="Resident ID number (hashed, never stored)"),
    as_of: str = typer.Option(None, "--as-of", help="End of this day (YYYY-MM-DD); default now"),
) -> None:
    """Print an account's balance, now or as of the end of a day."""
    if not ref and not id_number:
        raise InvalidInput("give --ref or --id-number")
    settings = get_settings()
    day = date.fromisoformat(as_of) if as_of else None
    with cli_session(settings) as session:
        account = service.resolve_account(session, settings, ref=ref, id_number=id_number)
        points = service.balance_as_of(session, account, as_of=day)
    typer.echo(json.dumps({"ref": account.ref, "id_masked": account.id_masked, "as_of": as_of, "balance": points}))
