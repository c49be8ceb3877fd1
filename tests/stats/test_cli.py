"""The `greenfin stats` command contract: JSON in on stdin, JSON numbers out, exit 2 on bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from greenfin.stats.cli import app

runner = CliRunner()
D = Decimal


def _exposure(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "L1",
        "asset_class": "business_loan",
        "outstanding": 10,
        "denominator": 100,
        "scope1_t": 1000,
        "scope2_t": 100,
    }
    return {**base, **changes}


def _run(payload: Any) -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return runner.invoke(app, ["financed-emissions"], input=text)


def test_pcaf_table_5_5_through_the_contract() -> None:
    """PCAF Tables 5-4 / 5-5 (10 %, 25 %, 20 %) → 6,100 / 1,260 / 10,000 / 2,200 tCO2e; credits 7,250 / 600.

    Data quality 2, 1, 4 on outstanding 10, 25, 20: (20 + 25 + 80) ÷ 55 = 2.2727 → 2.27.
    """
    payload = [
        _exposure(id="forestry", scope3_t=5000, removals_t=20000, data_quality=2, credits_generated_t=5000),
        _exposure(
            id="industrial",
            outstanding=25,
            scope1_t=20000,
            scope2_t=5000,
            scope3_t=30000,
            removals_t=0,
            data_quality=1,
            credits_retired_t=25000,
        ),
        _exposure(
            id=7,
            asset_class="project_finance",
            outstanding=20,
            scope1_t=5000,
            scope2_t=0,
            scope3_t=10000,
            removals_t=1000,
            data_quality=4,
            credits_retired_t=5000,
            credits_generated_t=500,
        ),
    ]
    result = _run(payload)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout, parse_float=Decimal)
    assert [i["id"] for i in data["items"]] == ["forestry", "industrial", 7]
    assert [i["attribution_factor"] for i in data["items"]] == [D("0.1"), D("0.25"), D("0.2")]
    totals = data["totals"]
    assert (totals["scope1_t"], totals["scope2_t"], totals["scope3_t"], totals["removals_t"]) == (
        D(6100),
        D(1260),
        D(10000),
        D(2200),
    )
    assert (totals["credits_retired_t"], totals["credits_generated_t"]) == (D(7250), D(600))
    assert data["weighted_data_quality"] == D("2.27")
    assert data["data_quality_coverage"] == D(1)
    assert data["items"][0]["scope1_t"] == D(100)
    for key in ("scope1_t", "scope2_t", "scope3_t", "removals_t"):
        assert isinstance(totals[key], Decimal)  # a JSON number, not a string
    assert '"scope1_t": 6100.000000' in result.stdout  # six places: tonnes to the gram


def test_the_pboc_project_rule_through_the_contract() -> None:
    """A 2,000 万元 loan in a project of 8,000 万元 total investment (PBoC rule): 25 % of 10,000 t → 2,500 t."""
    result = _run([_exposure(outstanding=20_000_000, denominator=80_000_000, scope1_t=10000, attribution="pboc")])
    assert result.exit_code == 0, result.stderr
    item = json.loads(result.stdout, parse_float=Decimal)["items"][0]
    assert (item["attribution"], item["attribution_factor"], item["scope1_t"]) == ("pboc", D("0.25"), D(2500))
    refused = _run([_exposure(asset_class="motor_vehicle", denominator=None, attribution="pboc")])
    assert refused.exit_code == 2 and refused.stdout == ""


def test_rounding_and_missing_optional_values() -> None:
    """By hand: 1 ÷ 3 = 0.333333 (6 places); × 10 t = 3.333333 t; scope 3 absent → null, total 0.

    Data quality on 1 of 4 outstanding units → coverage 0.25, weighted score that item's 3.
    """
    payload = [
        _exposure(id="a", outstanding=1, denominator=3, scope1_t=10, scope2_t=0, data_quality=3),
        _exposure(id="b", asset_class="motor_vehicle", outstanding=3, denominator=None, scope1_t=2, scope2_t=0),
    ]
    result = _run(payload)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout, parse_float=Decimal)
    first, second = data["items"]
    assert (first["attribution_factor"], first["scope1_t"]) == (D("0.333333"), D("3.333333"))
    assert (first["scope3_t"], first["removals_t"]) == (None, None)
    assert (second["attribution_factor"], second["scope1_t"], second["data_quality"]) == (D(1), D(2), None)
    assert data["totals"]["scope1_t"] == D("5.333333")
    assert (data["totals"]["scope3_t"], data["totals"]["scope3_reported"]) == (D(0), 0)
    assert (data["weighted_data_quality"], data["data_quality_coverage"]) == (D(3), D("0.25"))


def test_cap_is_reported() -> None:
    result = _run([_exposure(asset_class="mortgage", outstanding=120, denominator=100)])
    item = json.loads(result.stdout, parse_float=Decimal)["items"][0]
    assert (item["attribution_factor"], item["capped"], item["scope1_t"]) == (D(1), True, D(1000))


def test_empty_list() -> None:
    result = _run([])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["items"] == []
    assert data["totals"]["scope1_t"] == 0
    assert (data["weighted_data_quality"], data["data_quality_coverage"]) == (None, None)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("not json", "input is not valid JSON"),
        ('{"id": 1}', "input must be a JSON list"),
        ('[{"id": "a", "outstanding": NaN}]', "NaN, which is not a number"),
        ('[{"id": "a", "outstanding": Infinity}]', "Infinity, which is not a number"),
        ([_exposure(outstanding="10")], "item 0: outstanding is invalid: must be a JSON number"),
        ([_exposure(scope1_t=True)], "item 0: scope1_t is invalid: must be a JSON number"),
        ([_exposure(outstanding=-1)], "item 0: outstanding must be at least 0"),
        ([_exposure(denominator=0)], "item 0: denominator must be more than 0"),
        ([_exposure(denominator=10**19)], "item 0: denominator must be at most 1000000000000000000"),
        ([_exposure(scope2_t=1e12)], "item 0: scope2_t must be at most 100000000000"),
        ([_exposure(scope1_t=0.00000000001)], "item 0: scope1_t is invalid: must have at most 10 decimal places"),
        ([_exposure(data_quality=6)], "item 0: data_quality must be at most 5"),
        ([_exposure(data_quality=2.0)], "item 0: data_quality"),
        ([_exposure(asset_class="sovereign_debt")], "item 0: asset_class"),
        (
            [_exposure(denominator=None)],
            "item 0: denominator is null; only a motor_vehicle loan attributed by PCAF may omit it",
        ),
        ([{k: v for k, v in _exposure().items() if k != "scope2_t"}], "item 0: scope2_t is missing"),
        ([_exposure(colour="green")], "item 0: colour is not an accepted key"),
        ([_exposure(id="")], "item 0: id"),
        ([_exposure(), _exposure()], "item 1: id 'L1' appears more than once."),
        ([_exposure(), 3], "item 1: expected an object"),
    ],
)
def test_bad_input_exits_2_with_the_reason_on_stderr_and_nothing_on_stdout(stdin: Any, message: str) -> None:
    result = _run(stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_every_bad_item_is_listed() -> None:
    result = _run([_exposure(outstanding=-1), _exposure(id="b"), _exposure(id="c", denominator=0)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "item 0: outstanding must be at least 0.",
        "item 2: denominator must be more than 0.",
    ]


def test_category_lookup_and_mapping_commands() -> None:
    result = runner.invoke(app, ["category", "4.1.2"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["name"], [a["name"] for a in data["ancestors"]]) == ("绿色有机农业", ["生态环境产业", "生态农业"])
    top = json.loads(runner.invoke(app, ["category", "top", "--catalogue", "gfs-2025"]).stdout)
    assert [c["code"] for c in top] == [str(n) for n in range(1, 10)]
    mapped = runner.invoke(app, ["map-category", "1.4.1", "--from", "gic-2019", "--to", "gfs-2025"])
    assert json.loads(mapped.stdout)["counterparts"][0]["name"] == "节能降碳"
    missing = runner.invoke(app, ["category", "9.9"])
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert "code '9.9' is not in green use catalogue gic-2019" in missing.stderr
