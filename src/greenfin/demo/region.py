"""The synthetic region: who the demo enterprises are and what they consume, as pure data.

Everything here is a function of ``(seed, index)``: enterprise *i* of seed *s* is drawn
from its own ``random.Random(f"greenfin-demo/{s}/{i}")``, and the monthly noise of its
energy records from an integer hash of ``(seed, i, energy, year, month)``. Building the
region in chunks therefore gives the same rows however it is chunked, and the same seed
gives byte-identical data on every run (only ``created_at`` differs).

How an enterprise is made (worked example, the profile of 水泥制造 3011 in ``data/industries.toml``)::

    output value 2023    log-normal around 3 亿元 (σ 0.9), between a tenth of that and 60 times
    energy 2023          output (万元) x 2.4 tce/万元 x efficiency (log-normal, σ 0.38)
    energy mix           bituminous coal 62 %, electricity 30 %, diesel 3 % … of the tce,
                         each share jittered, converted to kg / Nm3 / kWh / MJ with the
                         factor set's standard-coal coefficients (GB/T 2589)
    process CO2          clinker calcination, 9.0 tCO2/万元 of output (≈ 0.52 t per t clinker)
    trend                70 % improve 1–9 % a year, 15 % flat, 15 % worsen 3–12 % a year
    months               a seasonal profile (February low, summer peak for electricity)
                         and ±6 % noise per record

The enterprise's unified social credit code (GB 32100-2015) is built, not drawn: a
9-digit organisation code (GB 11714, with its own check digit) from a bijection of the
index, so codes never collide, plus the registration authority ``9``, the type ``1``, the
county code and the 18th check digit.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl

from greenfin.region import service as region_service

# --- the region -----------------------------------------------------------------------------

YEARS = (2023, 2024, 2025)
MONTHS = tuple(range(1, 13))

GROUPS = ("chemical", "paper", "building", "metal", "electronics", "food")


@dataclass(frozen=True)
class Place:
    """The region a demo is drawn in: its city, its counties and where each industry group is located."""

    city_code: str
    city_name: str  # 衢州市
    city_short: str  # 衢州: firm names, the demo bank's name
    counties: dict[str, tuple[str, str]]  # code: (name, prefix of firm names registered there)
    location: dict[str, tuple[int, ...]]  # group: weights per county, in ``counties`` order
    townships: dict[str, tuple[str, ...]]  # code: a few townships (farms' addresses)

    @property
    def showcase_county(self) -> str:
        """Where the showcase enterprise is registered: the region's second county (衢江区 in 衢州)."""
        codes = list(self.counties)
        return codes[1] if len(codes) > 1 else codes[0]

    @property
    def bank_county(self) -> str:
        """Where the demo bank is registered: the region's first county (柯城区 in 衢州)."""
        return next(iter(self.counties))


def _locations() -> dict[str, Any]:
    path = resources.files("greenfin.demo").joinpath("data", "locations.toml")
    return dict(tomllib.loads(path.read_text(encoding="utf-8"))["regions"])


@lru_cache(maxsize=8)
def place(region_code: str | None = None) -> Place:
    """The demo's place: the region file of ``region_code`` (the configured region when None)."""
    found = region_service.current_region(region_code)
    codes = found.county_codes
    table = _locations().get(found.code)
    if table is not None and tuple(table["counties"]) != codes:
        raise ValueError(f"demo locations of {found.code} list other counties than its region file")
    location = {group: tuple(table[group]) if table else (1,) * len(codes) for group in GROUPS}
    return Place(
        city_code=found.code,
        city_name=found.name_zh,
        city_short=found.short_name,
        counties={c.code: (c.name_zh, c.short_name) for c in found.counties},
        location=location,
        townships={c.code: c.townships or (c.name_zh,) for c in found.counties},
    )


@dataclass(frozen=True)
class EnergyUse:
    """One energy an industry uses: its share of the energy (tce) and how often firms use it."""

    energy: str
    share: float
    probability: float = 1.0


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 class as the demo draws it: size, energy intensity, mix and product."""

    code: str
    words: tuple[str, ...]  # the trade word in firm names, e.g. 化工, 纸业
    group: str
    weight: int  # relative number of enterprises
    median_output_yuan: int
    sigma: float
    tce_per_wan: float  # tonnes of coal equivalent per 10,000 yuan of output value
    energies: tuple[EnergyUse, ...]
    product: str
    product_unit: str
    price_yuan: int  # per product unit
    added_ratio: float  # added value ÷ output value
    tax_ratio: float  # taxes paid ÷ output value
    process_source: str | None = None
    process_t_per_wan: float = 0.0  # process tCO2 per 10,000 yuan of output value
    process_probability: float = 0.0


def _load_industries() -> tuple[Industry, ...]:
    path = resources.files("greenfin.demo").joinpath("data", "industries.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    industries = []
    for code, table in data["classes"].items():
        product, unit, price = table["product"]
        source, per_wan, probability = table.get("process", (None, 0.0, 0.0))
        industries.append(
            Industry(
                code=code,
                words=tuple(table["words"]),
                group=table["group"],
                weight=table["weight"],
                median_output_yuan=table["median_output_yuan"],
                sigma=table["sigma"],
                tce_per_wan=table["tce_per_wan"],
                energies=tuple(EnergyUse(*use) for use in table["energies"]),
                product=product,
                product_unit=unit,
                price_yuan=price,
                added_ratio=table["added_ratio"],
                tax_ratio=table["tax_ratio"],
                process_source=source,
                process_t_per_wan=per_wan,
                process_probability=probability,
            )
        )
    return tuple(industries)


#: Energies most firms use beside their industry's mix (vehicles, forklifts, canteens).
ANCILLARY = (EnergyUse("diesel", 0.02, 0.6), EnergyUse("lpg", 0.005, 0.3))

#: The industry profiles (``data/industries.toml``), in file order.
INDUSTRIES = _load_industries()
INDUSTRY_BY_CODE = {industry.code: industry for industry in INDUSTRIES}

#: Energies the demo uses, in a fixed order (the order of records within an enterprise-month).
ENERGIES = (
    "raw_coal",
    "bituminous_coal",
    "coke",
    "petcoke",
    "fuel_oil",
    "diesel",
    "lpg",
    "natural_gas",
    "heat",
    "electricity",
)
ENERGY_SLOT = {energy: slot for slot, energy in enumerate(ENERGIES)}

#: How the source reports each energy: (unit as entered, canonical units per entered unit,
#: decimals). Solid and liquid fuels in t to the kg, gas in 10^4 Nm3 to the Nm3, electricity
#: in whole kWh, heat in GJ to the MJ: the entered figure is always exact in canonical units.
ENTERED_UNIT: dict[str, tuple[str, int, int]] = {
    **{energy: ("t", 1000, 3) for energy in ("raw_coal", "bituminous_coal", "coke", "petcoke", "fuel_oil")},
    "diesel": ("t", 1000, 3),
    "lpg": ("t", 1000, 3),
    "natural_gas": ("10^4 Nm3", 10_000, 4),
    "heat": ("GJ", 1000, 3),
    "electricity": ("kWh", 1, 0),
}

METERED = frozenset({"electricity", "natural_gas", "heat"})  # supplied through a utility meter

# Monthly profiles in thousandths of the mean month (each sums to 12,000): Spring Festival
# in February, air conditioning in July-August, heating fuel in winter.
SEASON_ELECTRICITY = (985, 820, 1000, 985, 1000, 1040, 1110, 1130, 1030, 990, 960, 950)
SEASON_FUEL = (1050, 830, 1000, 1000, 990, 980, 970, 970, 1000, 1020, 1070, 1120)

#: Largest quantity of one record in canonical units (below greenfin.carbon.units.MAX_QUANTITY_MILLI).
MAX_RECORD_UNITS = 800_000_000

# --- identifiers ----------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_SPACE = 100_000_000  # 8-digit organisation code bodies
_ORG_STRIDE = 48_271_927  # coprime to 10^8, so index -> body is a bijection


def organisation_code(body: str) -> str:
    """The 9-character organisation code (GB 11714-1997): 8 characters and their check digit.

    >>> organisation_code("60003734")
    '600037341'
    """
    if len(body) != 8 or not body.isascii() or not body.isalnum():
        raise ValueError(f"an organisation code body is 8 digits or capital letters, got {body!r}")
    total = sum(int(char, 36) * weight for char, weight in zip(body.upper(), _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body.upper() + {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_digit(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_uscc(*, authority: str, kind: str, region: str, organisation: str) -> str:
    """A unified social credit code from its parts (authority, type, division, organisation code)."""
    first17 = f"{authority}{kind}{region}{organisation}"
    if len(first17) != 17:
        raise ValueError(f"a USCC has 17 characters before its check digit, got {first17!r}")
    return first17 + uscc_check_digit(first17)


def _org_body(seed: int, index: int) -> str:
    offset = random.Random(f"greenfin-demo/{seed}/org").randrange(_ORG_SPACE)
    return f"{(index * _ORG_STRIDE + offset) % _ORG_SPACE:08d}"


def enterprise_uscc(seed: int, index: int, county_code: str) -> str:
    """The USCC of demo enterprise ``index`` (registered by market regulation, type 1 = enterprise)."""
    return make_uscc(
        authority="9", kind="1", region=county_code, organisation=organisation_code(_org_body(seed, index))
    )


# Organisation-code indexes above any enterprise's, for the regulator and the bank.
_REGULATOR_INDEX = _ORG_SPACE - 1
_BANK_INDEX = _ORG_SPACE - 2


def regulator_uscc(seed: int, where: Place) -> str:
    """The demo regulator's USCC: authority 1 (机构编制), type 1 (机关), the city's code."""
    return make_uscc(
        authority="1",
        kind="1",
        region=where.city_code,
        organisation=organisation_code(_org_body(seed, _REGULATOR_INDEX)),
    )


def bank_uscc(seed: int, where: Place) -> str:
    """The demo bank's USCC (a company registered in the region's first county, 柯城区 in 衢州)."""
    return make_uscc(
        authority="9",
        kind="1",
        region=where.bank_county,
        organisation=organisation_code(_org_body(seed, _BANK_INDEX)),
    )


# --- enterprises ----------------------------------------------------------------------------

_TRADE_CHARS = (
    "华宏恒信瑞丰正达金鑫泰盛源天元力鸿昌兴顺嘉明隆新诚安宇创博汇联通宝景万永富凯德荣辉晨旭立康益润中海峰晶科锦龙祥和远星光威"
    "衢柯常仙巨钱塘"
)
_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "科技有限公司")

SHOWCASE_INDUSTRY = "2669"  # enterprise 0, the one the demo ``enterprise`` login acts for


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    """One drawn enterprise and the parameters its records are generated from."""

    index: int
    uscc: str
    name: str
    county_code: str
    industry: Industry
    output_yuan: tuple[int, int, int]  # per year of YEARS
    added_ratio: tuple[float, float, float]
    tax_ratio: float
    price_yuan: float
    efficiency: float  # energy intensity relative to the industry's typical firm
    trend: float  # yearly change of energy intensity
    energies: tuple[tuple[str, float], ...]  # (energy, share of tce), shares sum to 1
    process_t_per_wan: float  # 0 when the firm has no process emissions
    verified: bool  # its declared fuel data of past years were audited

    def energy_tce(self, year_index: int) -> float:
        """Energy use in tonnes of coal equivalent in ``YEARS[year_index]``."""
        wan = self.output_yuan[year_index] / 10_000
        return wan * self.industry.tce_per_wan * self.efficiency * (1 + self.trend) ** year_index


def _name(rng: random.Random, industry: Industry, county_code: str, taken: set[str], where: Place) -> str:
    county_name, prefix = where.counties[county_code]
    city = prefix == where.city_short
    for attempt in range(40):
        length = 2 if attempt < 20 else 3
        trade = "".join(rng.sample(_TRADE_CHARS, length))
        style = rng.random()
        place = f"浙江{prefix}" if style < 0.25 else (f"{prefix}市" if city or county_name.endswith("市") else prefix)
        if not city and style > 0.85:
            place = f"{where.city_short}{prefix}"
        name = f"{place}{trade}{rng.choice(industry.words)}{rng.choice(_SUFFIXES)}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("could not draw a unique enterprise name")  # pragma: no cover - 60^3 trade names


def draw_enterprise(seed: int, index: int, taken_names: set[str], where: Place | None = None) -> DemoEnterprise:
    """Demo enterprise ``index`` of region ``seed`` in ``where`` (``taken_names`` keeps names unique)."""
    where = where or place()
    rng = random.Random(f"greenfin-demo/{seed}/{index}")
    showcase = where.showcase_county
    if index == 0:
        industry = INDUSTRY_BY_CODE[SHOWCASE_INDUSTRY]
        county = showcase
    else:
        industry = rng.choices(INDUSTRIES, weights=[i.weight for i in INDUSTRIES])[0]
        county = rng.choices(list(where.counties), weights=where.location[industry.group])[0]
        if index < len(where.counties):  # the first firms cover every county, however small the region
            county = [code for code in where.counties if code != showcase][index - 1]
    base = industry.median_output_yuan
    output = min(max(rng.lognormvariate(0, industry.sigma) * base, base / 10), 60 * base, 10_000_000_000)
    outputs = [output]
    for _ in YEARS[1:]:
        outputs.append(outputs[-1] * max(0.6, 1 + rng.gauss(0.05, 0.08)))
    efficiency = min(max(rng.lognormvariate(0, 0.38), 0.35), 3.5)
    draw = rng.random()
    if index == 0 or draw < 0.70:
        trend = rng.uniform(-0.09, -0.01)
    elif draw < 0.85:
        trend = rng.uniform(-0.01, 0.02)
    else:
        trend = rng.uniform(0.03, 0.12)
    uses = [
        (use.energy, use.share * rng.lognormvariate(0, 0.3))
        for use in industry.energies
        if index == 0 or rng.random() < use.probability  # the showcase firm uses its whole mix
    ]
    if not any(energy == "electricity" for energy, _ in uses):  # every firm buys electricity
        uses.append(("electricity", 0.3))
    for use in ANCILLARY:  # vehicles, forklifts and canteens, whatever the industry
        if all(energy != use.energy for energy, _ in uses) and rng.random() < use.probability:
            uses.append((use.energy, use.share * rng.lognormvariate(0, 0.3)))
    total = sum(share for _, share in uses)
    energies = tuple(sorted(((energy, share / total) for energy, share in uses), key=lambda u: ENERGY_SLOT[u[0]]))
    added = industry.added_ratio * rng.lognormvariate(0, 0.15)
    added_ratio = tuple(min(0.8, added * rng.lognormvariate(0, 0.04)) for _ in YEARS)
    process = 0.0
    if industry.process_source and (index == 0 or rng.random() < industry.process_probability):
        process = industry.process_t_per_wan * rng.lognormvariate(0, 0.12)
    return DemoEnterprise(
        index=index,
        uscc=enterprise_uscc(seed, index, county),
        name=_name(rng, industry, county, taken_names, where),
        county_code=county,
        industry=industry,
        output_yuan=(round(outputs[0]), round(outputs[1]), round(outputs[2])),
        added_ratio=(added_ratio[0], added_ratio[1], added_ratio[2]),
        tax_ratio=industry.tax_ratio * rng.lognormvariate(0, 0.25),
        price_yuan=industry.price_yuan * rng.lognormvariate(0, 0.1),
        efficiency=efficiency,
        trend=trend,
        energies=energies,
        process_t_per_wan=process,
        verified=rng.random() < 0.35,
    )


# --- rows -----------------------------------------------------------------------------------

ENTERPRISE_COLUMNS = ("id", "uscc", "name", "county_code", "industry_code")
ENERGY_COLUMNS = (
    "enterprise_id",
    "year",
    "month",
    "energy",
    "quantity_milli",
    "quantity_entered",
    "unit_entered",
    "data_quality",
)
ANNUAL_COLUMNS = (
    "enterprise_id",
    "year",
    "output_value_fen",
    "added_value_fen",
    "tax_fen",
    "product_output_milli",
    "product_unit",
)
PROCESS_COLUMNS = ("enterprise_id", "year", "source", "co2_g", "data_quality")


def enterprise_rows(chunk: Sequence[DemoEnterprise], first_id: int) -> list[tuple[int, str, str, str, str]]:
    """Rows of the enterprise table; enterprise ``index`` gets id ``first_id + index``."""
    return [(first_id + e.index, e.uscc, e.name, e.county_code, e.industry.code) for e in chunk]


def annual_rows(chunk: Sequence[DemoEnterprise], first_id: int) -> list[tuple[int, int, int, int, int, int, str]]:
    """Output value, added value, tax (fen) and product output of every enterprise-year."""
    rows = []
    for e in chunk:
        for k, year in enumerate(YEARS):
            output_fen = e.output_yuan[k] * 100
            rows.append(
                (
                    first_id + e.index,
                    year,
                    output_fen,
                    round(output_fen * e.added_ratio[k]),
                    round(output_fen * e.tax_ratio),
                    round(e.output_yuan[k] / e.price_yuan * 1000),
                    e.industry.product_unit,
                )
            )
    return rows


def process_rows(chunk: Sequence[DemoEnterprise], first_id: int) -> list[tuple[int, int, str, int, str]]:
    """Process (non-energy) CO2 in grams of the enterprises whose industry has it, per year."""
    rows = []
    for e in chunk:
        if not e.process_t_per_wan or e.industry.process_source is None:
            continue
        for k, year in enumerate(YEARS):
            tonnes = e.output_yuan[k] / 10_000 * e.process_t_per_wan * (1 + e.trend / 2) ** k
            quality = "audited" if e.verified or e.industry.group == "building" else "declared"
            rows.append((first_id + e.index, year, e.industry.process_source, round(tonnes * 1_000_000), quality))
    return rows


_MONTHS_FRAME = pl.DataFrame(
    {
        "month": list(MONTHS),
        "season_electricity": list(SEASON_ELECTRICITY),
        "season_fuel": list(SEASON_FUEL),
    },
    schema={"month": pl.Int64, "season_electricity": pl.Int64, "season_fuel": pl.Int64},
)


def _hash_unit(key: pl.Expr, seed: int) -> pl.Expr:
    """A uniform integer in [0, 1,000,000) from an integer key: a fixed multiply-xorshift hash,
    computed in 64-bit integers without overflow, so the same key gives the same value anywhere."""
    salt = random.Random(f"greenfin-demo/{seed}/noise").randrange(2**32)
    mask = 2**32
    h = (key * 2_654_435_761 + salt) % mask
    h = (h.xor(h // 65_536) * 73_244_475) % mask
    h = (h.xor(h // 65_536) * 73_244_475) % mask
    return h.xor(h // 65_536) % 1_000_000


def energy_frame(
    chunk: Sequence[DemoEnterprise], first_id: int, *, seed: int, kgce: dict[str, Decimal]
) -> pl.DataFrame:
    """Monthly energy records of ``chunk``: every energy the firm uses, 36 months each.

    ``kgce`` gives the standard-coal coefficient per canonical unit (kg, Nm3, kWh, MJ) used to
    turn the drawn tce into physical quantities. Columns are :data:`ENERGY_COLUMNS`, rows
    ordered by enterprise, year, month and energy.
    """
    series: dict[str, list[object]] = {"enterprise_id": [], "index": [], "slot": [], "k": [], "year": [], "units": []}
    series["verified"] = []
    for e in chunk:
        for k, year in enumerate(YEARS):
            tce = e.energy_tce(k)
            for energy, share in e.energies:
                series["enterprise_id"].append(first_id + e.index)
                series["index"].append(e.index)
                series["slot"].append(ENERGY_SLOT[energy])
                series["k"].append(k)
                series["year"].append(year)
                # canonical units a year; x 1000 kgce per tce
                series["units"].append(min(round(tce * share * 1000 / float(kgce[energy])), 12 * MAX_RECORD_UNITS // 2))
                series["verified"].append(e.verified)
    energies = pl.DataFrame(
        {
            "slot": list(range(len(ENERGIES))),
            "energy": list(ENERGIES),
            "unit_entered": [ENTERED_UNIT[e][0] for e in ENERGIES],
            "per_entered": [ENTERED_UNIT[e][1] for e in ENERGIES],
            "decimals": [ENTERED_UNIT[e][2] for e in ENERGIES],
            "metered": [e in METERED for e in ENERGIES],
        },
        schema_overrides={"slot": pl.Int64, "per_entered": pl.Int64, "decimals": pl.Int64},
    )
    frame = (
        pl.DataFrame(
            series,
            schema_overrides={
                "enterprise_id": pl.Int64,
                "index": pl.Int64,
                "slot": pl.Int64,
                "k": pl.Int64,
                "year": pl.Int64,
                "units": pl.Int64,
            },
        )
        .join(energies, on="slot", how="left")
        .join(_MONTHS_FRAME, how="cross")
    )
    key = ((pl.col("index") * 16 + pl.col("slot")) * 3 + pl.col("k")) * 12 + pl.col("month") - 1
    season = pl.when(pl.col("energy") == "electricity").then("season_electricity").otherwise("season_fuel")
    noise = 940_000 + _hash_unit(key, seed) * 120_000 // 1_000_000  # 0.94 … 1.06, in millionths
    # units (≤ 4.8e9) x season (≤ 1130) x noise (≤ 1.06e6) < 5.8e18 < 2^63: exact in Int64
    quantity = (pl.col("units") * season * noise // (12_000 * 1_000_000)).clip(1, MAX_RECORD_UNITS)
    whole = (pl.col("q") // pl.col("per_entered")).cast(pl.String)
    fraction = (pl.col("q") % pl.col("per_entered")).cast(pl.String)
    entered = (
        pl.when(pl.col("decimals") == 0)
        .then(whole)
        .when(pl.col("decimals") == 3)
        .then(whole + "." + fraction.str.zfill(3))
        .otherwise(whole + "." + fraction.str.zfill(4))
    )
    quality = (
        pl.when(pl.col("metered"))
        .then(pl.lit("metered"))
        .when(pl.col("verified") & (pl.col("year") < YEARS[-1]))
        .then(pl.lit("audited"))
        .otherwise(pl.lit("declared"))
    )
    return (
        frame.with_columns(q=quantity)
        .with_columns(quantity_milli=pl.col("q") * 1000, quantity_entered=entered, data_quality=quality)
        .sort("enterprise_id", "year", "month", "slot")
        .select(ENERGY_COLUMNS)
    )
