"""Numbers as the pages show them, and the message catalogue (no browser needed)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from greenfin.web import formatting
from greenfin.web.i18n import CATALOGUE, LABELS, label_name, month_name, translate


@pytest.mark.parametrize(
    ("fen", "lang", "shown"),
    [
        (11_815_800_000_000, "zh", "1,181.58 亿元"),  # the paper's green-loan balance
        (11_815_800_000_000, "en", "118.16 bn yuan"),
        (12_345_600, "zh", "12.35 万元"),
        (12_345_600, "en", "123,456.00 yuan"),
        (250_000_000, "en", "2.50 m yuan"),
        (999_999, "zh", "9,999.99 元"),
        (-250_000_000, "zh", "-250.00 万元"),
        (None, "zh", "—"),
    ],
)
def test_money_from_fen(fen: int | None, lang: str, shown: str) -> None:
    assert formatting.money(fen, lang) == shown


def test_money_from_yuan_is_the_same_rule() -> None:
    assert formatting.yuan(Decimal("118158000000"), "zh") == "1,181.58 亿元"


@pytest.mark.parametrize(
    ("tonnes", "lang", "shown"),
    [
        (Decimal("14150.75"), "zh", "14,151 tCO₂"),  # Huakang 2020, energy + process
        (Decimal("2491.14"), "zh", "2,491 tCO₂"),
        (Decimal("11.659"), "zh", "11.66 tCO₂"),
        (Decimal("0.1032"), "en", "0.103 tCO₂"),
        (Decimal("23456789"), "zh", "2,345.68 万 tCO₂"),
        (Decimal("23456789"), "en", "23.46 MtCO₂"),
        (Decimal("0"), "zh", "0.000 tCO₂"),
    ],
)
def test_tonnes_of_co2(tonnes: Decimal, lang: str, shown: str) -> None:
    assert formatting.tco2(tonnes, lang) == shown


def test_shares_and_changes() -> None:
    assert formatting.share(Decimal("0.3646")) == "36.5%"
    assert formatting.percent(Decimal("36.46"), 2) == "36.46%"
    assert formatting.signed_percent(Decimal("-3.04")) == "−3.0%"
    assert formatting.signed_percent(Decimal("4.25")) == "+4.3%"  # half-up, never banker's rounding
    assert formatting.signed_percent(None) == "—"
    assert formatting.grouped(Decimal("-0.0001"), 2) == "0.00"


def test_every_message_has_both_languages() -> None:
    for key, (zh, en) in CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_key_a_template_uses_is_in_the_catalogue() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "greenfin" / "web" / "templates"
    used = set()
    for template in root.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']\s*[,)]""", template.read_text()))
    assert used, "no t() calls found"
    assert used - set(CATALOGUE) == set()


def test_label_and_month_names() -> None:
    assert [label_name(code, "zh") for code in LABELS] == ["深绿", "浅绿", "黄", "红"]
    assert label_name(None, "en") == "Not labelled"
    assert month_name(3, "zh") == "3月" and month_name(3, "en") == "Mar"
    assert translate("login.throttled", "zh", minutes=15) == "登录失败次数过多，请 15 分钟后再试。"
