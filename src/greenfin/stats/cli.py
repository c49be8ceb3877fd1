"""``greenfin stats``: green-loan statistics, financed emissions and green use catalogues.

Contracts (other tools rely on them)::

    $ greenfin stats green-loans --as-of 2023-03-31 --base 2016-12-31 --json
    {"as_of": "2023-03-31", "scope": "region", "catalogue_version": "gic-2019",
     "green_balance_fen": 11815800000000, "all_balance_fen": 32407000000000, "share": 0.3646,
     "yoy_growth": …, "base_balance_fen": …, "growth_vs_base": …, "multiple_of_base": …, …}

Ratios are fractions rounded half-even to 4 places (0.3646 for 36.46 %), points above
all-loan growth to 2 places; a comparison whose earlier balance is unknown is null. With
``--by`` the groups of each dimension follow under ``"groups"``. Bad input (a malformed
date, a day without balances, an unknown dimension) exits 2 with one sentence on stderr
and nothing on stdout.

    $ echo '[{"id": "L1", "asset_class": "business_loan", "outstanding": 10,
              "denominator": 100, "scope1_t": 1000, "scope2_t": 100, "scope3_t": 5000,
              "removals_t": 20000, "data_quality": 2}]' | greenfin stats financed-emissions
    {"method": "PCAF Part A, 2nd edition (2022)",
     "items": [{"id": "L1", "asset_class": "business_loan", "attribution_factor": 0.100000,
                "capped": false, "scope1_t": 100.000000, "scope2_t": 10.000000,
                "scope3_t": 500.000000, "removals_t": 2000.000000, "data_quality": 2,
                "credits_retired_t": null, "credits_generated_t": null}],
     "totals": {"scope1_t": 100.000000, "scope2_t": 10.000000, "scope3_t": 500.000000,
                "removals_t": 2000.000000, "scope3_reported": 1,
                "credits_retired_t": 0.000000, "credits_generated_t": 0.000000},
     "weighted_data_quality": 2.00, "data_quality_coverage": 1.0000}

Numbers are read as exact decimals and written as JSON numbers rounded half-even: the
attribution factor and tonnes to 6 places, the weighted data-quality score to 2, the
coverage to 4. Totals are sums of the unrounded items. A scope 3, removals or carbon-credit
value an exposure does not give is ``null`` on its item and left out of the total
(``credits_retired_t`` and ``credits_generated_t`` are optional inputs beyond the issue's list). Bad input —
malformed JSON, NaN or Infinity, not a list, or any bad item — exits with code 2, one
sentence per problem on stderr (``item N`` counts from 0) and nothing on stdout.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any, NoReturn

import typer

from greenfin.errors import GreenfinError, InvalidInput
from greenfin.stats import service
from greenfin.stats.schemas import json_text

app = typer.Typer(
    help="Green-finance statistics: financed emissions, green use catalogues (绿色金融统计).",
    no_args_is_help=True,
)


def _fail(*sentences: str) -> NoReturn:
    for sentence in sentences:
        typer.echo(sentence, err=True)
    raise typer.Exit(code=2)


def _sentences(exc: GreenfinError) -> list[str]:
    """One sentence per bad item (``item N`` counts from 0), or the error's own sentence."""
    if isinstance(exc, InvalidInput) and exc.errors and "row" in exc.errors[0]:
        return [
            f"item {e['row']}: {e['column']} {e['reason']}." if e["column"] else f"item {e['row']}: {e['reason']}."
            for e in exc.errors
        ]
    return [exc.detail.rstrip(".") + "."]


@app.command("financed-emissions")
def financed_emissions_command() -> None:
    """Read a JSON list of exposures on stdin; print PCAF financed emissions as JSON."""
    from greenfin.cli import CLI_PRINCIPAL

    try:
        report = service.financed_emissions_report(CLI_PRINCIPAL, text=sys.stdin.read())
    except GreenfinError as exc:
        _fail(*_sentences(exc))
    typer.echo(json_text(report))


@app.command("category")
def category_command(
    code: str = typer.Argument(..., help="Category code, e.g. 3.2.2; 'top' lists the top level."),
    catalogue: str = typer.Option("gic-2019", "--catalogue", help="Catalogue version: gic-2019, glt-2024, gfs-2025."),
) -> None:
    """Print a green use category with its ancestors and children as JSON."""
    try:
        if code == "top":
            payload: Any = [c.model_dump() for c in service.green_use_top_level(version=catalogue)]
        else:
            payload = service.green_use_category(version=catalogue, code=code).model_dump()
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    typer.echo(json_text(payload))


@app.command("map-category")
def map_category_command(
    code: str = typer.Argument(..., help="Category code in the source catalogue."),
    source: str = typer.Option(..., "--from", help="Source catalogue version, e.g. gic-2019."),
    target: str = typer.Option(..., "--to", help="Target catalogue version, e.g. gfs-2025."),
) -> None:
    """Print a category's counterparts in another catalogue version as JSON."""
    try:
        mapped = service.map_green_use_category(code=code, source=source, target=target)
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    typer.echo(json_text(mapped.model_dump()))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} must be a date written YYYY-MM-DD, got {value!r}.")


@app.command("green-loans")
def green_loans_command(
    as_of: str = typer.Option(..., "--as-of", help="The month-end counted, YYYY-MM-DD."),
    base: str | None = typer.Option(None, "--base", help="A base date to compare with, YYYY-MM-DD."),
    by: list[str] = typer.Option(
        [], "--by", help="Group by: category, bank, county, borrower_kind, industry, quality."
    ),
    catalogue: str | None = typer.Option(None, "--catalogue", help="Catalogue version of categories (gic-2019)."),
    bank: str | None = typer.Option(None, "--bank", help="One bank's organisation code (default: the region)."),
    as_json: bool = typer.Option(False, "--json", help="Print one line of JSON (the contract)."),
) -> None:
    """Green-loan balance, share, growth and points above all loans on a month-end, from the loan book."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session

    day, base_day = _day(as_of, "--as-of"), _day(base, "--base")
    assert day is not None
    try:
        with cli_session() as session:
            result = service.green_loan_statistics(
                session, CLI_PRINCIPAL, as_of=day, base=base_day, by=by, catalogue_version=catalogue, bank_code=bank
            )
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    totals = result.totals.model_dump()
    payload: dict[str, Any] = {"as_of": day.isoformat(), "scope": result.scope}
    payload["catalogue_version"] = result.catalogue_version
    payload |= {k: v.isoformat() if isinstance(v, date) else v for k, v in totals.items() if k != "as_of"}
    if by:
        payload["groups"] = {
            dimension: [
                {k: v.isoformat() if isinstance(v, date) else v for k, v in item.model_dump().items()} for item in items
            ]
            for dimension, items in result.groups.items()
        }
    if as_json:
        typer.echo(json_text(payload))
        return
    for key, value in payload.items():
        if key != "groups":
            typer.echo(f"{key}: {'—' if value is None else value}")


@app.command("benefits")
def benefits_command(
    as_of: str = typer.Option(..., "--as-of", help="The month-end counted, YYYY-MM-DD."),
    bank: str | None = typer.Option(None, "--bank", help="One bank's organisation code (default: the region)."),
    basis: str = typer.Option("balance", "--basis", help="balance (outstanding, default) or amount (lent)."),
    as_json: bool = typer.Option(False, "--json", help="Print one line of JSON."),
) -> None:
    """Yearly environmental benefits of the green loans on a month-end (loan ÷ project total investment)."""
    from greenfin.cli import CLI_PRINCIPAL, cli_session

    day = _day(as_of, "--as-of")
    assert day is not None
    try:
        with cli_session() as session:
            report = service.benefits_totals(session, CLI_PRINCIPAL, as_of=day, bank_code=bank, basis=basis)
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    report["as_of"] = day.isoformat()
    if as_json:
        typer.echo(json_text(report))
        return
    typer.echo(
        f"{report['scope']} {day.isoformat()}: {report['green_loans']:,} green loans, "
        f"{report['loans_without_project']:,} without a recorded project ({report['method']}, on the {basis})"
    )
    for name, value in report["totals"].items():
        typer.echo(f"{name}: {value}")
