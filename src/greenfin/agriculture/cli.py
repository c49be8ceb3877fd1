"""``greenfin agriculture``: coverage, record imports, assessments and farm accounts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from greenfin.agriculture import service
from greenfin.cli import CLI_PRINCIPAL, cli_session

app = typer.Typer(help="The agricultural carbon account (农业碳账户).", no_args_is_help=True)


@app.command("coverage")
def coverage_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON: per category, registered, with_account, share"),
    by_county: bool = typer.Option(False, "--by-county", help="Also list every county"),
) -> None:
    """Share of registered farms with a carbon account, per category (and county)."""
    with cli_session() as session:
        result = service.coverage(session, CLI_PRINCIPAL)
    rows = [*result.categories, *(result.by_county if by_county else [])]
    if as_json:
        keys = ("category", "county_code", "registered", "with_account", "share", "share_pct")
        data = [
            {k: v for k, v in row.model_dump(mode="json", include=set(keys)).items() if by_county or k != "county_code"}
            for row in rows
        ]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for row in rows:
        where = row.county_code or "region"
        counts = f"{row.with_account:>5} / {row.registered:<5}"
        typer.echo(f"{row.name_zh:<10} {row.category:<28} {where:<7} {counts} {row.share_pct}%")


@app.command("import")
def import_command(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV of records")) -> None:
    """Import baselines and practice records from a CSV (all rows or none) and assess each farm-year."""
    with cli_session() as session:
        result = service.import_file(session, CLI_PRINCIPAL, filename=path.name, content=path.read_bytes())
    typer.echo(f"imported {result.rows} rows ({result.farms} farm-years assessed) as {result.id}")


@app.command("assess")
def assess_command(
    farm: str = typer.Argument(..., help="Farm id or USCC"),
    year: int = typer.Option(..., help="Accounting year"),
) -> None:
    """Compute, store and explain a farm's reduction and label for a year."""
    with cli_session() as session:
        result = service.assess(session, CLI_PRINCIPAL, farm_ref=farm, year=year)
    typer.echo(f"{result.label_name_zh} ({result.label}): {result.co2e_kg} kg CO2e")
    typer.echo(result.explanation_zh)


@app.command("account")
def account_command(
    farm: str = typer.Argument(..., help="Farm id or USCC"),
    as_json: bool = typer.Option(False, "--json", help="Print the whole account as JSON"),
) -> None:
    """A farm's carbon account: label and why, reductions by practice and term."""
    with cli_session() as session:
        account = service.get_account(session, CLI_PRINCIPAL, farm_ref=farm)
    if as_json:
        typer.echo(account.model_dump_json(indent=2))
        return
    typer.echo(f"{account.farm.name} ({account.farm.farm_type_name_zh}, {account.farm.county_code})")
    for item in account.assessments:
        typer.echo(f"  {item.year}: {item.label_name_zh} {item.intensity} {item.unit}; {item.co2e_kg} kg CO2e")
        for reduction in item.reductions:
            typer.echo(f"    {reduction.practice}: {reduction.co2e_kg} kg")
            for term in reduction.terms:
                typer.echo(f"      {term.name_zh}: {term.value_kg} kg = {term.formula}")
