"""``greenfin stats``: financed emissions and green use catalogues on the command line.

Contract (other tools rely on it)::

    $ echo '[{"id": "L1", "asset_class": "business_loan", "outstanding": 10,
              "denominator": 100, "scope1_t": 1000, "scope2_t": 100, "scope3_t": 5000,
              "removals_t": 20000, "data_quality": 2}]' | greenfin stats financed-emissions
    {"method": "PCAF Part A, 2nd edition (2022)",
     "items": [{"id": "L1", "asset_class": "business_loan", "attribution_factor": 0.100000,
                "capped": false, "scope1_t": 100.000000, "scope2_t": 10.000000,
                "scope3_t": 500.000000, "removals_t": 2000.000000, "data_quality": 2}],
     "totals": {"scope1_t": 100.000000, "scope2_t": 10.000000, "scope3_t": 500.000000,
                "removals_t": 2000.000000, "scope3_reported": 1},
     "weighted_data_quality": 2.00, "data_quality_coverage": 1.0000}

Numbers are read as exact decimals and written as JSON numbers rounded half-even: the
attribution factor and tonnes to 6 places, the weighted data-quality score to 2, the
coverage to 4. Totals are sums of the unrounded items. A scope 3 or removals value an
exposure does not give is ``null`` on its item and left out of the total. Bad input —
malformed JSON, NaN or Infinity, not a list, or any bad item — exits with code 2, one
sentence per problem on stderr (``item N`` counts from 0) and nothing on stdout.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from greenfin.errors import GreenfinError
from greenfin.stats import service
from greenfin.stats.rules import (
    Exposure,
    financed_emissions,
    portfolio_totals,
    share,
    weighted_data_quality,
)
from greenfin.stats.schemas import MAX_EXPOSURES, ExposureIn, coverage_out, item_out, score_out, totals_out

app = typer.Typer(
    help="Green-finance statistics: financed emissions, green use catalogues (绿色金融统计).",
    no_args_is_help=True,
)

METHOD = "PCAF Part A, 2nd edition (2022)"


def _fail(*sentences: str) -> NoReturn:
    for sentence in sentences:
        typer.echo(sentence, err=True)
    raise typer.Exit(code=2)


def _json(value: Any) -> str:
    """One line of JSON; Decimals as plain numbers (json.dumps would need floats)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> Decimal:
    raise _NotANumber(name)


def _read_list(text: str) -> list[Any]:
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NotANumber as exc:
        _fail(f"input contains {exc}, which is not a number; give finite JSON numbers.")
    except json.JSONDecodeError as exc:
        _fail(f"input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.")
    if not isinstance(data, list):
        _fail("input must be a JSON list of exposures.")
    if len(data) > MAX_EXPOSURES:
        _fail(f"input has {len(data)} exposures; at most {MAX_EXPOSURES} are accepted at once.")
    return data


_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least"),
    "greater_than": ("gt", "must be more than"),
    "less_than_equal": ("le", "must be at most"),
}


def _problem(index: int, error: Any) -> str:
    where = str(error["loc"][0]) if error["loc"] else ""
    kind, context = error["type"], error.get("ctx", {})
    if not where:
        return f"item {index}: expected an object with id, asset_class, outstanding, denominator, scope1_t, scope2_t."
    if kind == "missing":
        return f"item {index}: {where} is missing."
    if kind == "extra_forbidden":
        return f"item {index}: unexpected key {where}."
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = str(context[key]).removeprefix("Decimal('").removesuffix("')")  # pydantic gives the repr
        return f"item {index}: {where} {words} {bound}."
    reason = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return f"item {index}: {where}: {reason}."


def _parse_exposures(data: list[Any]) -> list[Exposure]:
    exposures: list[Exposure] = []
    problems: list[str] = []
    seen: set[str | int] = set()
    for index, raw in enumerate(data):
        try:
            item = ExposureIn.model_validate(raw)
        except ValidationError as exc:
            first = {str(e["loc"][0]) if e["loc"] else "": e for e in reversed(exc.errors())}
            problems.extend(_problem(index, e) for e in reversed(first.values()))
            continue
        if item.denominator is None and item.asset_class != "motor_vehicle":
            problems.append(f"item {index}: denominator is null; only a motor_vehicle loan may omit it.")
            continue
        if item.id in seen:
            problems.append(f"item {index}: id {item.id!r} appears more than once.")
            continue
        seen.add(item.id)
        exposures.append(Exposure(**item.model_dump()))
    if problems:
        _fail(*problems)
    return exposures


@app.command("financed-emissions")
def financed_emissions_command() -> None:
    """Read a JSON list of exposures on stdin; print PCAF financed emissions as JSON."""
    exposures = _parse_exposures(_read_list(sys.stdin.read()))
    try:
        items = [financed_emissions(e) for e in exposures]
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    scored = [(i.outstanding, i.data_quality) for i in items if i.data_quality is not None]
    total_outstanding = sum((i.outstanding for i in items), Decimal(0))
    scored_outstanding = sum((outstanding for outstanding, _ in scored), Decimal(0))
    coverage = share(scored_outstanding, total_outstanding) if total_outstanding > 0 else None
    typer.echo(
        _json(
            {
                "method": METHOD,
                "items": [item_out(i) for i in items],
                "totals": totals_out(portfolio_totals(items)),
                "weighted_data_quality": score_out(weighted_data_quality(scored)),
                "data_quality_coverage": coverage_out(coverage),
            }
        )
    )


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
    typer.echo(_json(payload))


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
    typer.echo(_json(mapped.model_dump()))
