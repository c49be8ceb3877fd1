"""The `greenfin ecobank value` contract: one JSON object in, the value to the fen out, exit 2 on bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from tests.ecobank.test_registry import asset_body

runner = CliRunner()


def value(method: str, stdin: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ecobank", "value", "--method", method], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_income_contract() -> None:
    code, out, err = value("income", '{"annual_net_income": 520000, "years": 76, "rate": 0.1}')
    assert (code, err) == (0, "")
    data = json.loads(out, parse_float=Decimal)
    assert data["value"] == Decimal("5196283.28")  # the textbook jujube orchard, a JSON number
    assert data["method"] == "income"
    assert data["formula"] == "E = K × A × [(1+r)^n − 1] / [r × (1+r)^n]"
    assert data["value_fen"] == 519_628_328


def test_income_at_rate_zero_and_from_yield() -> None:
    code, out, _ = value("income", '{"annual_net_income": 5600, "years": 10, "rate": 0}')
    assert code == 0 and json.loads(out, parse_float=Decimal)["value"] == Decimal("56000.00")
    stdin = '{"annual_yield": 1, "unit_price": 8700, "annual_costs": 3500, "years": 76, "rate": 0.1, "area_mu": 100}'
    code, out, _ = value("income", stdin)
    assert code == 0 and json.loads(out, parse_float=Decimal)["value"] == Decimal("5196283.28")


def test_market_cost_and_gep_shapes() -> None:
    market = {
        "area_mu": 50,
        "comparables": [
            {"price_per_mu": 12000, "date": "105/100", "regional": "100/98", "individual": "100/102"},
            {"price_per_mu": 11500, "date": "103/100", "regional": "100/95"},
            {"price_per_mu": 12600, "regional": "100/103", "individual": "100/104"},
        ],
    }
    code, out, err = value("market", json.dumps(market))
    assert code == 0, err
    assert json.loads(out, parse_float=Decimal)["value"] == Decimal("613932.87")  # hand-computed (test_rules)
    cost = {"replacement_cost": 3200, "age_years": 20, "bearing_start_year": 10, "economic_life_years": 50,
            "quality_factor": 0.9, "area_mu": 100}  # fmt: skip
    code, out, _ = value("cost", json.dumps(cost))
    assert code == 0 and json.loads(out, parse_float=Decimal)["value"] == Decimal("216000.00")
    code, out, _ = value("gep", '{"kind": "forest_right", "area_mu": 1, "quantities": {"water_retention": 1000}}')
    data = json.loads(out, parse_float=Decimal)
    assert code == 0 and data["per_year"] is True
    first = data["details"]["services"][0]
    assert (first["service"], first["value"]) == ("water_retention", Decimal("7060.00"))


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ('{"annual_net_income": 1, "years": 10}', "rate"),
        ('{"annual_net_income": 1, "years": 10.5, "rate": 0.08}', "years"),
        ('{"annual_net_income": 1, "years": 0, "rate": 0.08}', "years"),
        ('{"annual_net_income": 1, "years": 10, "rate": 8}', "rate"),
        ('{"annual_net_income": 1, "years": 10, "rate": -0.01}', "rate"),
        ('{"annual_net_income": -5, "years": 10, "rate": 0.08}', "negative"),
        ('{"annual_net_income": "abc", "years": 10, "rate": 0.08}', "annual_net_income"),
        ('{"annual_net_income": NaN, "years": 10, "rate": 0.08}', "NaN"),
        ('{"annual_net_income": 1, "years": 10, "rate": 0.08, "colour": "red"}', "colour"),
    ],
)
def test_bad_input_exits_2_with_the_reason_on_stderr(stdin: str, reason: str) -> None:
    code, out, err = value("income", stdin)
    assert code == 2
    assert out == ""
    assert reason in err


def test_unknown_method_exits_2() -> None:
    code, out, _ = value("astrology", "{}")
    assert code == 2 and out == ""


# --- register, value --asset, list against a temporary SQLite database -----------------------


def test_register_value_and_list(cli_database: Path) -> None:
    database = cli_database
    body = database / "asset.json"
    body.write_text(json.dumps(asset_body("CLI-1", kind="forest_right", crop=None)), encoding="utf-8")
    registered = runner.invoke(app, ["ecobank", "register", str(body)])
    assert registered.exit_code == 0, registered.stderr
    asset_id = registered.stdout.strip()
    again = runner.invoke(app, ["ecobank", "register", str(body)])
    assert again.exit_code == 1 and "CLI-1" in again.stderr  # the certificate is taken: refused, not bad input
    bad = database / "bad.json"
    bad.write_text('{"kind": "orchard"}', encoding="utf-8")
    assert runner.invoke(app, ["ecobank", "register", str(bad)]).exit_code == 2

    stored = runner.invoke(
        app,
        ["ecobank", "value", "--method", "income", "--asset", asset_id, "--valuer", "评估所", "--on", "2026-06-30"],
        input='{"annual_net_income": 5200, "years": 76, "rate": 0.1, "area_mu": 100}',
    )
    assert stored.exit_code == 0, stored.stderr
    data = json.loads(stored.stdout, parse_float=Decimal)
    assert (data["value"], data["valuer"], data["valued_on"]) == (Decimal("5196283.28"), "评估所", "2026-06-30")
    cost = '{"replacement_cost": 1, "condition_factor": 1}'
    missing = runner.invoke(app, ["ecobank", "value", "--method", "cost", "--asset", "nope"], input=cost)
    assert missing.exit_code == 1 and missing.stdout == "" and "nope" in missing.stderr

    listed = runner.invoke(app, ["ecobank", "list", "--kind", "forest_right", "--json"])
    items = json.loads(listed.stdout)["items"]
    assert [(i["id"], i["value_fen"]) for i in items] == [(asset_id, 519_628_328)]
    assert json.loads(runner.invoke(app, ["ecobank", "list", "--kind", "orchard", "--json"]).stdout)["total"] == 0
