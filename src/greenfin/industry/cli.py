"""``greenfin industry``: import files, run the labelling batch, read accounts and lists."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Industrial carbon account: imports, labels, accounts.", no_args_is_help=True)


@app.command("import")
def import_(
    kind: str = typer.Argument(..., help="enterprises, energy, process or annual"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV (UTF-8) or XLSX file"),
) -> None:
    """Import a whole file (every row valid, or nothing stored)."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.industry import service

    with cli_session() as session:
        service.check_upload_size(file.stat().st_size, file.name)  # before reading it into memory
        result = service.import_file(session, CLI_PRINCIPAL, kind=kind, filename=file.name, content=file.read_bytes())
    typer.echo(
        f"imported {result.rows} {kind} row(s) from {result.filename} "
        f"(import {result.id}; superseded {result.superseded}; conflicts {result.conflicts}; kept {result.kept})"
    )


@app.command("conflicts")
def conflicts(
    uscc: str | None = typer.Option(None, "--uscc", help="One enterprise"),
    year: int | None = typer.Option(None, "--year", help="One year"),
    status: str = typer.Option("open", "--status", help="open, accepted, rejected, superseded or all"),
) -> None:
    """List figures kept beside a higher-authority figure of the same item (conflicts)."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.industry import service

    with cli_session() as session:
        found = service.list_conflicts(
            session, CLI_PRINCIPAL, uscc=uscc, year=year, status=None if status == "all" else status
        )
    for c in found:
        month = f"-{c.month:02d}" if c.month else ""
        typer.echo(
            f"{c.kind} {c.id} {c.uscc} {c.year}{month} {c.item} [{c.status}]: held {c.held} "
            f"({c.held_provenance.data_quality}, {c.held_provenance.imported_by}) vs in use {c.current} "
            f"({c.current_provenance.data_quality if c.current_provenance else '-'})"
        )
    if not found:
        typer.echo("no conflicts")


@app.command("resolve")
def resolve(
    kind: str = typer.Argument(..., help="energy, process or annual"),
    row_id: int = typer.Argument(..., help="The held row's id (from `greenfin industry conflicts`)"),
    decision: str = typer.Option(..., "--decision", help="accept (the held figure is used) or reject"),
    note: str = typer.Option(..., "--note", help="Why (kept in the audit log)"),
) -> None:
    """Resolve a conflict as the regulator: accept the held figure or reject it (audited)."""
    from pydantic import ValidationError

    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.errors import InvalidInput
    from greenfin.industry import service
    from greenfin.industry.schemas import ConflictResolve

    try:
        body = ConflictResolve.model_validate({"decision": decision, "note": note})
    except ValidationError as exc:
        raise InvalidInput(
            f"--decision must be accept or reject and --note 1-500 characters ({exc.error_count()} problem(s))"
        ) from None
    with cli_session() as session:
        result = service.resolve_conflict(session, CLI_PRINCIPAL, kind=kind, row_id=row_id, decision=body)
    typer.echo(f"{result.kind} {result.id} {result.status}; run `greenfin industry label --year {result.year}` next")


@app.command("label")
def label(
    years: list[int] = typer.Option(..., "--year", help="Accounting year to label; repeat for several (one pass)"),
    methodology: str | None = typer.Option(None, "--methodology", help="Methodology version (default: newest)"),
    factor_set: str | None = typer.Option(None, "--factor-set", help="Factor-set version (default set)"),
) -> None:
    """Label every enterprise with data in the year(s) (one set-based batch, idempotent)."""
    from rich.console import Console

    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.industry import service

    console = Console(stderr=True)
    shown = ", ".join(str(year) for year in sorted(set(years)))
    with console.status(f"labelling {shown} …"), cli_session() as session:
        runs = service.label_years(
            session,
            CLI_PRINCIPAL,
            years=sorted(set(years)),
            methodology_version=methodology,
            factor_set_version=factor_set,
        )
    for run in runs:
        typer.echo(
            f"labelled {run.enterprises} enterprise(s) for {run.year} "
            f"(methodology {run.methodology_version}, factor set {run.factor_set_version}; replaced {run.replaced})"
        )
        for code, count in run.counts.items():
            typer.echo(f"  {code:<12} {count}")


@app.command("account")
def account(
    uscc: str = typer.Argument(..., help="Unified social credit code"),
    year: int = typer.Option(..., "--year"),
    as_json: bool = typer.Option(False, "--json", help="Print the account as JSON"),
) -> None:
    """Print the carbon account of one enterprise and year."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.industry import service

    with cli_session() as session:
        result = service.get_account(session, CLI_PRINCIPAL, uscc=uscc, year=year)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    e = result.enterprise
    typer.echo(f"{e.name} ({e.uscc}) {e.county.name_zh} · {e.industry.name_zh} · {result.year}")
    typer.echo(
        f"  total {result.total_co2_t} tCO2 = energy {result.energy_co2_t} + process {result.process_co2_t}; "
        f"{result.energy_tce} tce; scope 1 {result.scope1_t}, scope 2 {result.scope2_t}"
    )
    for line in result.by_energy:
        typer.echo(f"  {line.energy:<16} {line.quantity} {line.unit:<9} {line.tco2} tCO2 ({line.share}%)")
    i = result.intensities
    typer.echo(
        f"  intensity: {i.added_value_t_per_wan} tCO2/万元 added value, {i.product_t_per_unit} t/{i.product_unit}"
    )
    if result.label:
        typer.echo(f"  label: {result.label.name_zh} {result.label.label} — {result.label.explanation.reason_en}")
        if result.label.explanation.next_label:
            typer.echo(f"  next: {result.label.explanation.next_label.text_en}")


@app.command("list")
def list_(
    county: str | None = typer.Option(None, "--county", help="GB/T 2260 county code"),
    label: str | None = typer.Option(None, "--label", help="dark_green, light_green, yellow or red"),
    year: int | None = typer.Option(None, "--year", help="Label year (default: latest)"),
    industry: str | None = typer.Option(None, "--industry", help="GB/T 4754 class or prefix"),
    limit: int = typer.Option(100, "--limit"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """List enterprises with their labels."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session
    from greenfin.industry import service

    with cli_session() as session:
        items, total = service.list_enterprises(
            session,
            CLI_PRINCIPAL,
            year=year,
            county_code=county,
            industry_code=industry,
            label=label,
            q=None,
            offset=0,
            limit=limit,
        )
    if as_json:
        typer.echo(
            json.dumps({"total": total, "items": [i.model_dump(mode="json") for i in items]}, ensure_ascii=False)
        )
        return
    for item in items:
        typer.echo(
            f"{item.uscc}  {item.label or '-':<12} {item.total_co2_t if item.total_co2_t is not None else '-':>16}  "
            f"{item.county_code} {item.industry_code}  {item.name}"
        )
    typer.echo(f"{len(items)} of {total}")
