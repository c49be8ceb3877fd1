"""The `greenfin carbon` command contract: JSON in on stdin, JSON numbers out, exit 2 on bad input."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from greenfin.carbon.cli import app

runner = CliRunner()

ARGS = ["calculate", "--year", "2023", "--region", "330800"]
LINE_KEYS = {"energy", "quantity", "unit", "factor", "factor_unit", "source", "tco2", "tce"}


def test_calculate_prints_totals_and_lines_as_json_numbers() -> None:
    stdin = json.dumps(
        [
            {"energy": "natural_gas", "quantity": 1, "unit": "10^4 Nm3"},
            {"energy": "diesel", "quantity": 2.5, "unit": "t"},
            {"energy": "electricity", "quantity": "2", "unit": "MWh"},
        ]
    )
    result = runner.invoke(app, ARGS, input=stdin)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout, parse_float=Decimal)
    assert {"total_tco2", "total_tce", "lines", "factor_set"} <= set(data)
    assert data["factor_set"] == "cn-2024"
    lines = data["lines"]
    assert [line["energy"] for line in lines] == ["natural_gas", "diesel", "electricity"]
    assert all(set(line) >= LINE_KEYS for line in lines)
    # natural gas: 21.622 tCO2 per 10^4 Nm3 (published to 3 places)
    assert round(lines[0]["tco2"], 3) == Decimal("21.622")
    assert lines[0]["factor_unit"] == "tCO2/10^4 Nm3"
    # diesel 2.5 t x 3.0959 = 7.73975 tCO2; 2500 kg x 1.4571 kgce = 3.64275 tce
    assert (lines[1]["tco2"], lines[1]["tce"]) == (Decimal("7.73975"), Decimal("3.64275"))
    # electricity Zhejiang 2023: 0.4974 tCO2/MWh
    assert (lines[2]["factor"], lines[2]["tco2"]) == (Decimal("0.4974"), Decimal("0.9948"))
    for key in ("total_tco2", "total_tce"):
        assert isinstance(data[key], Decimal)  # a JSON number, not a string
    for key in ("quantity", "factor", "tco2", "tce"):
        assert all(isinstance(line[key], Decimal | int) for line in lines)
    assert data["total_tco2"] == Decimal("21.6219") + Decimal("7.73975") + Decimal("0.9948")


def test_empty_list_gives_zero_totals() -> None:
    result = runner.invoke(app, ARGS, input="[]")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["total_tco2"], data["total_tce"], data["lines"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("stdin", "args", "messages"),
    [
        ("not json", ARGS, ["input is not valid JSON"]),
        ('{"energy": "diesel"}', ARGS, ["must be a JSON list"]),
        ('[{"energy": "diesel", "quantity": 1}]', ARGS, ["item 0: missing unit"]),
        ('["diesel"]', ARGS, ["item 0: expected an object"]),
        (
            '[{"energy": "diesel", "quantity": 1, "unit": "t", "note": "x"}]',
            ARGS,
            ["item 0: unexpected note"],
        ),
        (
            '[{"energy": "diesel", "quantity": 1, "unit": "t"},'
            ' {"energy": "natural_gas", "quantity": 1, "unit": "kWh"},'
            ' {"energy": "coal", "quantity": 1, "unit": "t"},'
            ' {"energy": "diesel", "quantity": -1, "unit": "t"},'
            ' {"energy": "diesel", "quantity": "abc", "unit": "t"},'
            ' {"energy": "diesel", "quantity": NaN, "unit": "t"},'
            ' {"energy": "diesel", "quantity": 1}]',
            ARGS,
            [
                "item 1: unit 'kWh' is not a unit for natural_gas; accepted: Nm3, 10^4 Nm3.",
                "item 2: unknown energy 'coal'; accepted: raw_coal",
                "item 3: quantity must not be negative",
                "item 4: quantity 'abc' is not a number",
                "item 5: quantity must be a finite number",
                "item 6: missing unit",
            ],
        ),
        ("[]", ["calculate", "--year", "2023", "--region", "990000"], ["no GB/T 2260 province"]),
        ("[]", [*ARGS, "--factor-set", "cn-1999"], ["unknown factor set 'cn-1999'"]),
        ("[]", ["calculate", "--year", "1800", "--region", "33"], ["year must be"]),
    ],
)
def test_bad_input_exits_2_with_reasons_on_stderr_and_nothing_on_stdout(
    stdin: str, args: list[str], messages: list[str]
) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    reported = result.stderr.strip().splitlines()
    assert len(reported) == len(messages)
    for line, message in zip(reported, messages, strict=True):
        assert message in line


def test_factors_lists_the_set() -> None:
    result = runner.invoke(app, ["factors"])
    assert result.exit_code == 0
    assert "cn-2024" in result.stdout
    assert "natural_gas" in result.stdout and "21.6219" in result.stdout


def test_factors_json() -> None:
    result = runner.invoke(app, ["factors", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout, parse_float=Decimal)
    assert data["version"] == "cn-2024"
    rows = {(r["key"], r["grid"], r["year"]): r for r in data["factors"]}
    assert rows["diesel", None, None]["factor"] == Decimal("3.0959")
    assert rows["electricity", "national", 2023]["factor"] == Decimal("0.5306")
    assert {"key", "name_zh", "factor", "unit", "source"} <= set(rows["coke", None, None])


def test_factors_unknown_set_exits_2() -> None:
    result = runner.invoke(app, ["factors", "--factor-set", "nope"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown factor set" in result.stderr


def test_sets_lists_versions() -> None:
    result = runner.invoke(app, ["sets"])
    assert result.stdout.split() == ["cn-2024"]
