"""``greenfin ecobank``: value ecological assets, register them, list the registry.

Contract (outside checks rely on it)::

    $ echo '{"annual_net_income": 5200, "years": 10, "rate": 0.08}' | greenfin ecobank value --method income
    {"value": 34892.42, "value_fen": 3489242, "method": "income", "method_version": "v1",
     "formula": "E = K × A × [(1+r)^n − 1] / [r × (1+r)^n]", "confidence": "H", "per_year": false,
     "details": {"annual_net_income": 5200.00, "annuity_factor": 6.710081}}

Standard input is one JSON object, numbers read as exact decimals; the value is yuan rounded
half up to the fen, written as a JSON number. The input shapes:

* ``income``: ``annual_net_income`` (yuan a year) — or ``annual_yield``, ``unit_price`` and
  ``annual_costs`` —, ``years``, ``rate`` (a fraction); optional ``quality_factor`` (K) and
  ``area_mu`` (then the income figures are per 亩).
* ``market``: ``area_mu`` and ``comparables``: a list of ``{"price_per_mu": …, "date": "105/100",
  "regional": …, "individual": …, "transaction": …, "term": …, "weight": …}`` (each
  correction a number or a ratio string).
* ``cost``: ``replacement_cost`` (per 亩 with ``area_mu``) and ``condition_factor`` — or
  ``age_years``, ``bearing_start_year``, ``economic_life_years`` —, optional ``quality_factor``.
* ``gep``: ``kind`` (forest_right, water_right, carbon_sink), ``area_mu``, optional
  ``quantities`` per service (yearly); the value is yuan a year.

Bad input exits with code 2, the reason on stderr and nothing on stdout. With ``--asset`` the
valuation is stored on that registered asset (``--valuer`` names who appraised).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer

from greenfin.carbon.cli import _json_text as json_text  # the one writer of exact JSON numbers
from greenfin.cli import CLI_PRINCIPAL, cli_session
from greenfin.ecobank import service
from greenfin.ecobank.schemas import AssetCreate, ValuationCreate
from greenfin.errors import GreenfinError, InvalidInput
from greenfin.settings import get_settings

app = typer.Typer(help="The Two Mountains Bank (两山银行): ecological assets and their value.", no_args_is_help=True)


class MethodChoice(StrEnum):
    income = "income"
    market = "market"
    cost = "cost"
    gep = "gep"


def _fail(exc: GreenfinError) -> NoReturn:
    typer.echo(f"error: {exc.detail.rstrip('.')}.", err=True)
    raise typer.Exit(code=2 if isinstance(exc, InvalidInput) else 1)


def _reject_constant(name: str) -> Any:
    raise InvalidInput(f"the input holds {name}, which is not a number")


def _read_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("the input must be one JSON object")
    return data


def _result_document(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = result.model_dump(mode="python")
    return {key: document[key] for key in ("value", "value_fen", "method", "method_version", "formula",
                                           "confidence", "per_year", "details")}  # fmt: skip


@app.command("value")
def value_command(
    method: MethodChoice = typer.Option(..., "--method", help="income, market, cost or gep"),
    asset: str | None = typer.Option(None, "--asset", help="Store the valuation on this registered asset"),
    valuer: str = typer.Option("cli", "--valuer", help="Who appraised (stored with --asset)"),
    valued_on: str | None = typer.Option(None, "--on", help="Appraisal date YYYY-MM-DD (today when omitted)"),
) -> None:
    """Read one JSON object on stdin, print the value (yuan, to the fen) as JSON."""
    try:
        payload = _read_object(sys.stdin.read())
        if asset is None:
            typer.echo(json_text(_result_document(service.calculate(method.value, payload))))
            return
        on = date.fromisoformat(valued_on) if valued_on else None
        valuation_in = ValuationCreate(method=method.value, inputs=payload, valuer=valuer, valued_on=on)
        with cli_session() as session:
            stored = service.appraise(session, CLI_PRINCIPAL, asset_id=asset, valuation_in=valuation_in)
            document = {"id": stored.id, "asset_id": stored.asset_id, "value": Decimal(stored.value_fen) / 100,
                        "value_fen": stored.value_fen, "method": stored.method, "method_version": stored.method_version,
                        "formula": stored.formula, "confidence": stored.confidence, "valuer": stored.valuer,
                        "valued_on": stored.valued_on.isoformat()}  # fmt: skip
        typer.echo(json_text(document))
    except ValueError as exc:  # a bad --on date
        typer.echo(f"error: {exc}.", err=True)
        raise typer.Exit(code=2) from exc
    except GreenfinError as exc:
        _fail(exc)


@app.command("register")
def register_command(
    path: Path = typer.Argument(..., help="JSON object of the asset (see the API's AssetCreate); - for stdin"),
) -> None:
    """Register an ecological asset; prints its id."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        asset_in = service.parse_model(AssetCreate, _read_object(text))
        with cli_session() as session:
            asset = service.register_asset(
                session, CLI_PRINCIPAL, asset_in=asset_in, secret_key=get_settings().secret_key
            )
            asset_id = asset.id
    except OSError as exc:
        typer.echo(f"error: cannot read {path}: {exc.strerror}.", err=True)
        raise typer.Exit(code=2) from exc
    except GreenfinError as exc:
        _fail(exc)
    typer.echo(asset_id)


@app.command("list")
def list_command(
    county: str | None = typer.Option(None, "--county", help="County code (GB/T 2260)"),
    kind: str | None = typer.Option(None, "--kind", help="Asset kind, e.g. orchard"),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """The registry, newest first."""
    with cli_session() as session:
        items, total = service.list_assets(session, CLI_PRINCIPAL, county_code=county, kind=kind, limit=limit)
    if as_json:
        typer.echo(
            json.dumps({"total": total, "items": [i.model_dump(mode="json") for i in items]}, ensure_ascii=False)
        )
        return
    for item in items:
        value = f"{Decimal(item.value_fen) / 100:,.2f}" if item.value_fen is not None else "—"
        area = f"{item.area_milli_mu / 1000:,.3f}"
        typer.echo(f"{item.id}  {item.kind:<28} {item.county_code} {area:>12} 亩 {value:>16} 元  {item.name}")
    typer.echo(f"{len(items)} of {total}")


@app.command("methods")
def methods_command() -> None:
    """The valuation methods and loan-to-value caps in force, with their sources (JSON)."""
    typer.echo(json.dumps(service.methods_summary(), ensure_ascii=False, indent=2))
