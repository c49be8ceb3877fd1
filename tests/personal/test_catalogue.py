"""The shipped methodology files and every refusal of the loader."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from greenfin.errors import InvalidInput, NotFound
from greenfin.personal.catalogue import (
    ScenarioCatalogue,
    available_catalogues,
    available_expiry_rules,
    available_grade_bands,
    catalogue_as_json,
    load_catalogue,
    load_expiry_rule,
    load_grade_bands,
)
from greenfin.personal.rules import Category, ExpiryMode, expires_on, grade, points_for

D = Decimal


def g(value: Decimal) -> int:
    """Round once, half up, to whole grams (as the catalogue does)."""
    return int(value.quantize(D(1), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def cat() -> ScenarioCatalogue:
    return load_catalogue()


# ---------------------------------------------------------------------------- shipped v1


def test_the_newest_catalogue_is_v1_with_18_scenarios(cat: ScenarioCatalogue) -> None:
    assert available_catalogues() == ["v1"]
    assert cat.version == "v1"
    assert len(cat.scenarios) == 18
    assert len(set(cat.codes)) == 18
    assert all(s.catalogue_version == "v1" for s in cat.scenarios)


def test_the_catalogue_covers_every_required_behaviour(cat: ScenarioCatalogue) -> None:
    by_category: dict[Category, set[str]] = {}
    for s in cat.scenarios:
        by_category.setdefault(s.category, set()).add(s.code)
    assert by_category == {
        Category.GREEN_PAYMENT: {
            "online_transfer",
            "qr_payment",
            "ecny_payment",
            "utility_bill_online",
            "phone_bill_online",
            "e_statement",
            "e_receipt",
            "online_loan",
            "online_account_service",
            "online_tax",
        },
        Category.GREEN_TRAVEL: {"bus_ride", "metro_ride", "shared_bike", "etc_toll"},
        Category.GREEN_LIFE: {"hospital_booking", "online_ticket_travel", "online_ticket_event", "recycling_pickup"},
    }


def test_every_factor_has_a_method_a_source_and_sourced_inputs(cat: ScenarioCatalogue) -> None:
    for s in cat.scenarios:
        assert s.method and s.source and s.inputs, s.code
        for key in s.inputs:
            assert cat.inputs[key].source, key
    # the official inputs are there with the values of the reference documents
    assert cat.inputs["grid_co2_kg_per_kwh"].value == D("0.5306")  # MEE & NBS 2025 No. 47, year 2023
    assert cat.inputs["gasoline_co2_kg_per_kg"].value == D("2.9251")  # GB/T 32151.22-2024 Table C.1


def test_the_gasoline_factor_follows_from_the_standards_parameters(cat: ScenarioCatalogue) -> None:
    # NCV 43.07 GJ/t × CC 18.9 tC/TJ × OF 0.98 × 44/12 = 2925.056 kgCO2/t → 2.9251 kg/kg
    derived = D("43.07") * D("18.9") * D("0.98") * 44 / 12 / 1000
    assert derived.quantize(D("0.0001"), rounding=ROUND_HALF_UP) == cat.inputs["gasoline_co2_kg_per_kg"].value


def test_points_follow_the_points_rule(cat: ScenarioCatalogue) -> None:
    assert (cat.points_rule.grams_per_point, cat.points_rule.minimum) == (10, 1)
    for s in cat.scenarios:
        assert s.points == points_for(s.avoided_co2_g, cat.points_rule), s.code


# Hand-computed derivations. Shared intermediates (exact decimals, rounded once at the end):
#   G  gasoline g/L      2925.1 × 0.73                          = 2135.323
#   C  car g/pkm         7.5/100 × G / 1.5                      = 106.76615
#   B  bus g/pkm         C / 4                                  = 26.6915375
#   R  rail g/pkm        C / 7                                  = 15.25230714…
#   E  e-bike g/pkm      1.5/100 × 530.6                        = 7.959
#   M  trip mix g/pkm    0.30 C + 0.15 B + 0.30 E + 0.25 × 0    = 38.421275625
#   Mm motorised g/pkm   M / 0.75                               = 51.2283675
#   T  counter trip g    6 km × M                               = 230.52765375
#   F  far trip g        10 km × M                              = 384.21275625
#   P  paper g/sheet     0.06237 m² × 70 g/m² × 1.1             = 4.80249
G = D("2925.1") * D("0.73")
C = D("7.5") / 100 * G / D("1.5")
B = C / 4
R = C / 7
E = D("1.5") / 100 * D("530.6")
M = D("0.30") * C + D("0.15") * B + D("0.30") * E
MM = M / D("0.75")
T = 6 * M
F = 10 * M
P = D("0.06237") * 70 * D("1.1")

HAND = [
    # code                    formula                                     exact        grams points
    ("online_transfer", D("0.10") * (T + P), "23.5330", 24, 2),
    ("qr_payment", T / 50, "4.6106", 5, 1),
    ("ecny_payment", T / 50, "4.6106", 5, 1),
    ("utility_bill_online", D("0.5") * (T + P), "117.6651", 118, 12),
    ("phone_bill_online", D("0.3") * (T + P), "70.5990", 71, 7),
    ("e_statement", 3 * P, "14.4075", 14, 1),
    ("e_receipt", P, "4.8025", 5, 1),
    ("online_loan", T + 10 * P, "278.5526", 279, 28),
    ("online_account_service", T + 2 * P, "240.1326", 240, 24),
    ("online_tax", D("0.5") * (T + 2 * P), "120.0663", 120, 12),
    ("bus_ride", 5 * (MM - B), "122.6842", 123, 12),
    ("metro_ride", 10 * (MM - R), "359.7606", 360, 36),
    ("shared_bike", D("1.5") * D("0.5") * MM, "38.4213", 38, 4),
    # 2 plazas × (0.8 L/h × 30 s + 0.01 L) × G = 2 × 0.0166667 L × 2135.323 g/L
    ("etc_toll", 2 * (D("0.8") * 30 / 3600 + D("0.01")) * G, "71.1774", 71, 7),
    ("hospital_booking", D("0.5") * (F + P), "194.5076", 195, 20),
    ("online_ticket_travel", D("0.3") * (F + P), "116.7046", 117, 12),
    ("online_ticket_event", D("0.2") * (T + P), "47.0660", 47, 5),
    # 3 kg × (0.7 × 0.5 + 0.2 × 1.0 + 0.1 × 1.5) kgCO2e/kg = 2.1 kg
    ("recycling_pickup", 3 * (D("0.7") * D("0.5") + D("0.2") * 1 + D("0.1") * D("1.5")) * 1000, "2100.0000", 2100, 210),
]


@pytest.mark.parametrize(("code", "exact", "shown", "grams", "points"), HAND, ids=[h[0] for h in HAND])
def test_each_factor_is_the_hand_derivation(
    cat: ScenarioCatalogue, code: str, exact: Decimal, shown: str, grams: int, points: int
) -> None:
    assert exact.quantize(D("0.0001"), rounding=ROUND_HALF_UP) == D(shown)
    assert g(exact) == grams
    s = cat.scenario(code, date(2026, 3, 2))
    assert (s.avoided_co2_g, s.points) == (grams, points)


def test_the_hand_intermediates_are_the_catalogue_inputs(cat: ScenarioCatalogue) -> None:
    v = {k: i.value for k, i in cat.inputs.items()}
    car = v["car_fuel_l_per_100km"] / 100 * v["gasoline_co2_kg_per_kg"] * 1000 * v["gasoline_density_kg_per_l"]
    car_pkm = car / v["car_occupancy"]
    bus = car_pkm / v["car_to_bus_pkm_ratio"]
    ebike = v["ebike_kwh_per_100km"] / 100 * v["grid_co2_kg_per_kwh"] * 1000
    mix = v["share_car"] * car_pkm + v["share_bus"] * bus + v["share_ebike"] * ebike
    assert v["share_car"] + v["share_bus"] + v["share_ebike"] + v["share_active"] == 1
    assert (car_pkm, bus, ebike, mix) == (C, B, E, M)
    assert v["errand_round_trip_km"] * mix == T
    assert v["far_round_trip_km"] * mix == F
    assert v["a4_m2"] * v["paper_g_per_m2"] * v["paper_co2_kg_per_kg"] == P
    assert car_pkm / v["car_to_rail_pkm_ratio"] == R
    assert D("0.21") * D("0.297") == v["a4_m2"]  # A4 = 210 mm × 297 mm


def test_unknown_and_out_of_validity_scenarios_are_refused(cat: ScenarioCatalogue) -> None:
    with pytest.raises(InvalidInput, match=r"unknown scenario 'walking'; known: online_transfer, qr_payment, "):
        cat.scenario("walking", date(2026, 1, 1))
    with pytest.raises(InvalidInput, match=r"scenario 'bus_ride' is not valid on 2017-12-31"):
        cat.scenario("bus_ride", date(2017, 12, 31))
    assert len(cat.in_force(date(2026, 1, 1))) == 18
    assert cat.in_force(date(2017, 12, 31)) == ()


def test_catalogue_as_json(cat: ScenarioCatalogue) -> None:
    rows = catalogue_as_json(cat)
    assert len(rows) == 18
    json.dumps(rows, ensure_ascii=False)  # plain JSON types only
    bus = next(r for r in rows if r["code"] == "bus_ride")
    assert {k: bus[k] for k in ("catalogue_version", "category", "avoided_co2_g", "points", "daily_cap")} == {
        "catalogue_version": "v1",
        "category": "green_travel",
        "avoided_co2_g": 123,
        "points": 12,
        "daily_cap": 4,
    }
    assert (bus["valid_from"], bus["valid_to"], bus["confidence"]) == ("2018-01-01", None, "L")
    grid = next(i for i in bus["inputs"] if i["key"] == "grid_co2_kg_per_kwh")
    assert grid["value"] == "0.5306" and "2025 No. 47" in grid["source"]


def test_shipped_grade_bands_and_expiry(cat: ScenarioCatalogue) -> None:
    bands = load_grade_bands()
    assert available_grade_bands() == ["v1"]
    assert [(b.code, b.name_zh, b.min_co2_g) for b in bands.bands] == [
        ("light_green", "浅绿", 0),
        ("mid_green", "中绿", 50_000),
        ("dark_green", "深绿", 100_000),
    ]
    assert grade(61_500, bands).code == "mid_green"  # 2 bus rides × 250 working days × 123 g
    rule = load_expiry_rule()
    assert available_expiry_rules() == ["v1"]
    assert (rule.mode, rule.n) == (ExpiryMode.CALENDAR_YEARS, 2)
    assert expires_on(date(2025, 3, 10), rule) == date(2028, 1, 1)


# ---------------------------------------------------------------------------- refusals

GOOD = """\
version = "v1"
published = 2026-11-24
publisher = "test regulator"

[points_rule]
grams_per_point = 10
minimum = 1
note = "1 per 10 g"

[inputs.paper]
value = 4.8
unit = "g/sheet"
source = "test"
confidence = "L"

[[scenarios]]
code = "e_receipt"
name_zh = "电子回单"
name_en = "E-receipt"
category = "green_payment"
avoided_co2_g = 5
method = "1 sheet"
source = "test"
confidence = "L"
inputs = ["paper"]
points = 1
daily_cap = 10
valid_from = 2025-01-01

[[scenarios]]
code = "bus_ride"
name_zh = "公交"
name_en = "Bus"
category = "green_travel"
avoided_co2_g = 123
method = "5 km"
source = "test"
confidence = "L"
inputs = []
points = 12
daily_cap = 4
valid_from = 2025-01-01
valid_to = 2025-12-31
"""


def write(tmp_path: Path, text: str, name: str = "v1.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_test_catalogue_is_good(tmp_path: Path) -> None:
    cat = load_catalogue(directory=write(tmp_path, GOOD))
    assert cat.codes == ("e_receipt", "bus_ride")
    assert cat.scenario("bus_ride", date(2025, 12, 31)).valid_to == date(2025, 12, 31)
    with pytest.raises(InvalidInput, match=r"scenario 'bus_ride' is not valid on 2026-01-01 \(valid 2025-01-01 to"):
        cat.scenario("bus_ride", date(2026, 1, 1))


def test_the_newest_version_is_the_default_by_number_not_by_text(tmp_path: Path) -> None:
    for n in (1, 2, 10):
        write(tmp_path, GOOD.replace('version = "v1"', f'version = "v{n}"'), f"v{n}.toml")
    (tmp_path / "notes.txt").write_text("not a catalogue", encoding="utf-8")
    (tmp_path / "v01.toml").write_text("ignored: not a version name", encoding="utf-8")
    assert available_catalogues(directory=tmp_path) == ["v1", "v2", "v10"]
    assert load_catalogue(directory=tmp_path).version == "v10"
    assert load_catalogue("v2", directory=tmp_path).scenario("e_receipt", date(2025, 1, 1)).catalogue_version == "v2"


def test_an_unknown_version_or_an_empty_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no scenario catalogue found"):
        load_catalogue(directory=tmp_path)
    write(tmp_path, GOOD)
    with pytest.raises(NotFound, match="scenario catalogue 'v9' not found; available: v1"):
        load_catalogue("v9", directory=tmp_path)
    with pytest.raises(NotFound):
        load_catalogue("v9")


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ('code = "bus_ride"', 'code = "e_receipt"', "scenarios[1] (e_receipt).code", "duplicate code"),
        ('code = "bus_ride"', 'code = "Bus-Ride"', "scenarios[1].code", "not a snake_case code"),
        ('name_en = "Bus"\n', "", "scenarios[1] (bus_ride).name_en", "required"),
        ('name_zh = "公交"', 'name_zh = ""', "scenarios[1] (bus_ride).name_zh", "non-empty string"),
        ('source = "test"\nconfidence = "L"\ninputs = []', 'confidence = "L"\ninputs = []', ".source", "required"),
        ('method = "5 km"', 'method = "  "', ".method", "non-empty"),
        ("avoided_co2_g = 123", "avoided_co2_g = -123", ".avoided_co2_g", "at least 0"),
        ("avoided_co2_g = 123", "avoided_co2_g = 122.5", ".avoided_co2_g", "must be an integer"),
        ("avoided_co2_g = 123", 'avoided_co2_g = "123"', ".avoided_co2_g", "must be an integer"),
        ("points = 12", "points = 13", ".points", "13 does not follow the points rule (123 g gives 12)"),
        ("points = 12", "points = -1", ".points", "at least 0"),
        ("daily_cap = 4", "daily_cap = 0", ".daily_cap", "at least 1"),
        ("daily_cap = 4", "daily_cap = true", ".daily_cap", "must be an integer"),
        ("daily_cap = 4\n", "", ".daily_cap", "required"),
        ('category = "green_travel"', 'category = "green_food"', ".category", "not one of green_payment"),
        ('confidence = "L"\ninputs = []', 'confidence = "X"\ninputs = []', ".confidence", "not one of H, M, L"),
        ("inputs = []", 'inputs = ["fuel"]', ".inputs", "'fuel' is not defined under [inputs]"),
        ("inputs = []", "inputs = [1]", ".inputs", "must be a list of input keys"),
        ("valid_to = 2025-12-31", "valid_to = 2024-12-31", ".valid_to", "before valid_from 2025-01-01"),
        ("valid_to = 2025-12-31", "valid_to = 2025-12-31T00:00:00", ".valid_to", "must be a date"),
        ("valid_to = 2025-12-31", 'valid_to = "2025-12-31"', ".valid_to", "must be a date"),
        ("valid_from = 2025-01-01\nvalid_to", "valid_to", "scenarios[1] (bus_ride).valid_from", "required"),
        ("daily_cap = 4", "daily_cap = 4\ndaly_cap = 5", "scenarios[1] (bus_ride).daly_cap", "unknown field"),
        ('version = "v1"', 'version = "v2"', "version", "does not match the file name 'v1'"),
        ("published = 2026-11-24", "published = 2026-11-24T10:00:00Z", "published", "must be a date"),
        ('publisher = "test regulator"\n', "", "publisher", "required"),
        ('publisher = "test regulator"', 'publisher = "x"\nextra = 1', "extra", "unknown field"),
        ("grams_per_point = 10", "grams_per_point = 0", "points_rule.grams_per_point", "at least 1"),
        ('source = "test"\nconfidence = "L"\n\n[[', 'confidence = "L"\n\n[[', "inputs.paper.source", "required"),
        ("value = 4.8", "value = -4.8", "inputs.paper.value", "non-negative"),
        ("value = 4.8", "value = nan", "inputs.paper.value", "finite"),
        ("value = 4.8", 'value = "4.8"', "inputs.paper.value", "must be a number"),
        ('unit = "g/sheet"', 'unit = "g/sheet"\nnote = "x"', "inputs.paper.note", "unknown field"),
    ],
)
def test_every_loader_refusal(tmp_path: Path, old: str, new: str, field: str, reason: str) -> None:
    assert old in GOOD
    assert GOOD.count(old) == 1
    write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(directory=tmp_path)
    assert any(e["field"].endswith(field) and reason in e["reason"] for e in caught.value.errors), caught.value.errors
    assert reason in caught.value.detail and "v1" in caught.value.detail


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    bad = GOOD.replace("daily_cap = 4", "daily_cap = 0").replace("avoided_co2_g = 5\n", "avoided_co2_g = -5\n")
    write(tmp_path, bad)
    with pytest.raises(InvalidInput, match=r"\(2 problems\)") as caught:
        load_catalogue(directory=tmp_path)
    assert {e["field"] for e in caught.value.errors} == {
        "scenarios[0] (e_receipt).avoided_co2_g",
        "scenarios[1] (bus_ride).daily_cap",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('version = "v1"\npublished = ', "not valid TOML"),
        (GOOD.split("[[scenarios]]")[0], "at least one entry is required"),
        (GOOD.replace('[points_rule]\ngrams_per_point = 10\nminimum = 1\nnote = "1 per 10 g"\n', ""), "missing"),
    ],
)
def test_broken_files_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    write(tmp_path, text)
    with pytest.raises(InvalidInput, match=reason):
        load_catalogue(directory=tmp_path)


BANDS = """\
version = "v1"
published = 2026-11-24
publisher = "test"

[[bands]]
code = "light_green"
name_zh = "浅绿"
name_en = "Light green"
min_co2_kg = 0
note = "peer"

[[bands]]
code = "mid_green"
name_zh = "中绿"
name_en = "Mid green"
min_co2_kg = 50
note = "peer"
"""


def test_grade_bands_load_from_a_folder(tmp_path: Path) -> None:
    bands = load_grade_bands(directory=write(tmp_path, BANDS))
    assert [b.min_co2_g for b in bands.bands] == [0, 50_000]


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("min_co2_kg = 0", "min_co2_kg = 10", "the first band must start at 0 kg"),
        ("min_co2_kg = 50", "min_co2_kg = 0", "thresholds must strictly ascend"),
        ('code = "mid_green"', 'code = "light_green"', "duplicate code 'light_green'"),
        ("min_co2_kg = 50", "min_co2_kg = 50.5", "must be an integer"),
        ('note = "peer"\n', "", "required"),
        ('publisher = "test"', 'publisher = "test"\nbands_note = "x"', "unknown field"),
    ],
)
def test_grade_band_refusals(tmp_path: Path, old: str, new: str, reason: str) -> None:
    write(tmp_path, BANDS.replace(old, new, 1))
    with pytest.raises(InvalidInput, match=reason):
        load_grade_bands(directory=tmp_path)


EXPIRY = """\
version = "v1"
published = 2026-11-24
publisher = "test"
mode = "months"
n = 24
note = "test"
"""


def test_expiry_rule_loads_from_a_folder(tmp_path: Path) -> None:
    rule = load_expiry_rule(directory=write(tmp_path, EXPIRY))
    assert (rule.mode, rule.n) == (ExpiryMode.MONTHS, 24)
    assert expires_on(date(2025, 3, 10), rule) == date(2027, 3, 10)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('mode = "months"', 'mode = "weeks"', "'weeks' is not one of calendar_years, months, never"),
        ("n = 24", "n = 0", "months mode needs n of at least 1"),
        ('mode = "months"\nn = 24', 'mode = "never"\nn = 1', "never mode needs n = 0"),
        ("n = 24", "n = -1", "at least 0"),
        ('note = "test"\n', "", "note: required"),
    ],
)
def test_expiry_rule_refusals(tmp_path: Path, old: str, new: str, reason: str) -> None:
    write(tmp_path, EXPIRY.replace(old, new, 1))
    with pytest.raises(InvalidInput, match=reason):
        load_expiry_rule(directory=tmp_path)
