"""``greenfin carbon``: emission calculation and factor sets on the command line.

Contract (other tools rely on it)::

    $ echo '[{"energy": "diesel", "quantity": 2.5, "unit": "t"}]' \\
        | greenfin carbon calculate --year 2023 --region 330881
    {"factor_set": "cn-2024", "year": 2023, "region": "330881",
     "total_tco2": 7.73975, "total_tce": 3.64275,
     "lines": [{"index": 0, "energy": "diesel", "quantity": 2.5, "unit": "t",
                "factor": 3.0959, "factor_unit": "tCO2/t", "source": "GB/T 32151.22-2024 …",
                "tco2": 7.73975, "tce": 3.64275, …}]}

Numbers are read as exact decimals and written as JSON numbers (tco2 and tce rounded
half-even to 6 places, factors as stored in the set). Bad input — malformed JSON, not a
list, or any bad item — exits with code 2, one sentence per bad item on stderr (``item N``
counts from 0) and nothing on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

import typer

from greenfin.carbon.factors import available_factor_sets, load_factor_set
from greenfin.carbon.rules import CalculationItem, LineError, LineResult, calculate
from greenfin.carbon.schemas import CalculationLineOut, FactorSetOut, build_response
from greenfin.errors import GreenfinError

app = typer.Typer(
    help="Emission factors and CO2 / standard-coal calculation (排放因子与碳排放核算).",
    no_args_is_help=True,
)

ITEM_KEYS = ("energy", "quantity", "unit")


def _fail(*sentences: str) -> NoReturn:
    for sentence in sentences:
        typer.echo(sentence, err=True)
    raise typer.Exit(code=2)


def _reject_constant(name: str) -> Decimal:
    # json accepts NaN and Infinity; keep them as Decimals so the item is refused by index.
    return Decimal(name)


def _parse_items(text: str) -> tuple[list[tuple[int, CalculationItem]], list[tuple[int, str]]]:
    """Items with their index, and one sentence per item whose shape is wrong."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        _fail(f"input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.")
    if not isinstance(data, list):
        _fail("input must be a JSON list of {energy, quantity, unit} objects.")
    items: list[tuple[int, CalculationItem]] = []
    problems: list[tuple[int, str]] = []
    for index, raw in enumerate(data):
        if not isinstance(raw, Mapping):
            problems.append((index, "expected an object with energy, quantity and unit"))
            continue
        missing = [key for key in ITEM_KEYS if key not in raw]
        extra = sorted(set(raw) - set(ITEM_KEYS))
        if missing or extra:
            what = [f"missing {', '.join(missing)}"] if missing else []
            what += [f"unexpected {', '.join(extra)}"] if extra else []
            problems.append((index, f"{'; '.join(what)}; expected energy, quantity and unit"))
            continue
        items.append((index, CalculationItem(raw["energy"], raw["quantity"], raw["unit"])))
    return items, problems


def _json_text(value: Any, indent: str = "") -> str:
    """JSON with Decimals written exactly as numbers (json.dumps would need floats)."""
    inner = indent + "  "
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        body = ",\n".join(
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_json_text(v, inner)}" for k, v in value.items()
        )
        return "{\n" + body + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        body = ",\n".join(f"{inner}{_json_text(v, inner)}" for v in value)
        return "[\n" + body + "\n" + indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@app.command("calculate")
def calculate_command(
    year: int = typer.Option(..., "--year", help="Accounting year, e.g. 2023."),
    region: str = typer.Option(
        ..., "--region", help="6-digit GB/T 2260 division code, 2-digit province code or national/east_china/…"
    ),
    factor_set: str | None = typer.Option(None, "--factor-set", help="Factor-set version (default: the default set)."),
) -> None:
    """Read a JSON list of {energy, quantity, unit} on stdin; print tCO2 and tce as JSON."""
    indexed, problems = _parse_items(sys.stdin.read())
    try:
        chosen = load_factor_set(factor_set)
        answers = calculate([item for _, item in indexed], year=year, region=region, factor_set=chosen)
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    # calculate() numbers the well-shaped items from 0; give back their input positions.
    positions = [index for index, _ in indexed]
    problems += [(positions[a.index], a.error) for a in answers if isinstance(a, LineError)]
    if problems:
        _fail(*(f"item {index}: {reason.rstrip('.')}." for index, reason in sorted(problems)))
    lines = [a for a in answers if isinstance(a, LineResult)]
    response = build_response(list(lines), factor_set=chosen, year=year, region=region)
    out_lines = []
    for line, position in zip(lines, positions, strict=True):
        shaped = CalculationLineOut.from_line(line).model_dump(mode="python", exclude={"ok"})
        shaped["index"] = position
        out_lines.append(shaped)
    document = {
        "factor_set": response.factor_set,
        "year": year,
        "region": region,
        "total_tco2": response.total_tco2,
        "total_tce": response.total_tce,
        "lines": out_lines,
    }
    typer.echo(_json_text(document))


@app.command("factors")
def factors_command(
    factor_set: str | None = typer.Option(None, "--factor-set", help="Factor-set version."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the factors of a set: key, name, factor, unit, standard coal, source."""
    try:
        chosen = FactorSetOut.from_set(load_factor_set(factor_set))
    except GreenfinError as exc:
        _fail(exc.detail.rstrip(".") + ".")
    if as_json:
        typer.echo(_json_text(chosen.model_dump(mode="python")))
        return
    typer.echo(f"{chosen.version}  {chosen.title_zh}")
    for row in chosen.factors:
        scope = f" {row.grid} {row.year}" if row.grid else ""
        typer.echo(
            f"{row.key + scope:<26} {row.name_zh:<8} {format(row.factor, 'f'):>9} "
            f"{row.unit:<15} {format(row.tce_coefficient, 'f'):>8} {row.tce_unit:<10} {row.source}"
        )


@app.command("sets")
def sets_command() -> None:
    """List the available factor-set versions."""
    for version in available_factor_sets():
        typer.echo(version)
