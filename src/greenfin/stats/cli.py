"""``greenfin stats``: financed emissions and green use catalogues on the command line.

Contract (other tools rely on it)::

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
