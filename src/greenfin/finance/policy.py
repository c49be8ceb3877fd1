"""Carbon-linked finance policy tables: which credit terms each carbon label earns.

A policy table is a versioned TOML file in ``finance/data/policies/`` published by a region
(``region = "330800"``, ``version = "v1"``). For each account type — industrial,
agricultural, personal — and each label or grade it gives one **cell**: an interest-rate
adjustment in basis points (negative = discount), a credit-line multiplier, a
guarantee-fee discount (bp) and optional cap (bp a year), fast-track approval, and the
named products the borrower becomes eligible for (or is excluded from). Region-wide limits
(a rate floor, the deepest stacked discount, the largest stacked multiplier) bound the
result. A bank may publish its own values for any field of any cell under
``[banks.<bank_code>.<account_type>.<label_code>]``.

    >>> policy = load_policy("330800")          # the newest version, "v1"
    >>> cell = policy.cells[("industrial", "dark_green")]
    >>> cell.rate_adjustment_bp, cell.credit_line_multiplier
    (-50, Decimal('1.3'))
    >>> dict(policy.banks["jiangshan_rcb"].overrides[("agricultural", "dark_green")].values)
    {'rate_adjustment_bp': -10, 'credit_line_multiplier': Decimal('1.3')}

Loading validates the whole file and refuses it with one :class:`InvalidInput` listing
every problem (unknown label code, multiplier ≤ 0, a bank override for a cell that does not
exist, a product nobody defined, a number without a source …).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, TypeGuard

from greenfin.carbon import labels
from greenfin.errors import InvalidInput, NotFound
from greenfin.region import service as region_service

ACCOUNT_TYPES: tuple[str, ...] = ("industrial", "agricultural", "personal")
"""The three carbon accounts, in the order their adjustments are applied."""

LABEL_CODES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"industrial": labels.LABELS, "agricultural": labels.AGRICULTURAL_LABELS, "personal": labels.GRADES}
)
"""Label (industrial, agricultural) or grade (personal) codes per account type, best first.

The personal grade codes are those of ``personal/data/grade_bands`` (dark_green, mid_green,
light_green); the labels use the industrial and agricultural account codes."""

LABEL_NAMES = labels.LABEL_NAMES
"""Chinese and English names of each code (greenfin.carbon.labels, the one home)."""

ACCOUNT_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "industrial": ("工业碳账户", "industrial carbon account"),
        "agricultural": ("农业碳账户", "agricultural carbon account"),
        "personal": ("个人碳账户", "personal carbon account"),
    }
)

CELL_FIELDS: tuple[str, ...] = (
    "rate_adjustment_bp",
    "credit_line_multiplier",
    "guarantee_fee_discount_bp",
    "guarantee_fee_cap_bp",
    "fast_track",
    "eligible_products",
    "excluded_products",
)
"""The terms a cell (or a bank override) can set."""

_VERSION = re.compile(r"^v(\d+)$")
_REGION = re.compile(r"^\d{6}$")
_BANK_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_DATA_PACKAGE = "greenfin.finance"


@dataclass(frozen=True)
class Product:
    """A named loan product a label can make a borrower eligible for."""

    code: str
    name_zh: str
    name_en: str
    source: str
    assumption: bool = False
    bank: str | None = None
    reference_rate_bp: int | None = None


@dataclass(frozen=True)
class Cell:
    """The region's terms for one account type and label."""

    account_type: str
    label_code: str
    rate_adjustment_bp: int
    credit_line_multiplier: Decimal
    guarantee_fee_discount_bp: int
    guarantee_fee_cap_bp: int | None
    fast_track: bool
    eligible_products: tuple[str, ...]
    excluded_products: tuple[str, ...]
    source: str
    assumption: bool


@dataclass(frozen=True)
class BankOverride:
    """A bank's own values for some fields of one cell."""

    bank_code: str
    account_type: str
    label_code: str
    values: Mapping[str, Any]
    source: str
    assumption: bool


@dataclass(frozen=True)
class Bank:
    """A bank that publishes overrides of the region's cells."""

    code: str
    name_zh: str
    name_en: str
    overrides: Mapping[tuple[str, str], BankOverride]


@dataclass(frozen=True)
class Limits:
    """Region-wide bounds on the stacked result, each with its source."""

    rate_floor_bp: int
    rate_floor_source: str
    max_total_discount_bp: int
    max_total_discount_source: str
    max_credit_line_multiplier: Decimal
    max_credit_line_multiplier_source: str


@dataclass(frozen=True)
class Policy:
    """A validated, immutable policy table of one region and version."""

    region: str
    region_name_zh: str
    region_name_en: str
    version: str
    effective_from: str
    title_zh: str
    title_en: str
    limits: Limits
    products: Mapping[str, Product]
    cells: Mapping[tuple[str, str], Cell]
    banks: Mapping[str, Bank]

    @property
    def policy_id(self) -> str:
        """``region/version``, the prefix of every rule id this table gives."""
        return f"{self.region}/{self.version}"


def available_policies() -> list[tuple[str, str]]:
    """(region, version) of every policy table shipped with greenfin."""
    return sorted(_all_documents(), key=lambda rv: (rv[0], int(rv[1][1:])))


def load_policy(region: str | None = None, version: str | None = None) -> Policy:
    """Load and validate a region's policy table (its newest version when ``version`` is None).

    ``region`` None: the table the configured region applies (its region file's ``finance.policy_region``).
    """
    if region is None:
        region = region_service.current_region().finance.policy_region
    documents = _all_documents()
    versions = sorted((v for r, v in documents if r == region), key=lambda v: int(v[1:]))
    if not versions:
        raise NotFound(f"No carbon-finance policy table is published for region {region!r}.")
    if version is None:
        version = versions[-1]
    if version not in versions:
        raise NotFound(f"Region {region} has no policy version {version!r}; available: {', '.join(versions)}.")
    return _load(region, version)


@lru_cache(maxsize=16)
def _load(region: str, version: str) -> Policy:
    origin, data = _all_documents()[(region, version)]
    return parse_policy(data, origin=origin)


@lru_cache(maxsize=1)
def _all_documents() -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    folder = resources.files(_DATA_PACKAGE) / "data" / "policies"
    found: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        origin = f"finance/data/policies/{entry.name}"
        data = tomllib.loads(entry.read_text(encoding="utf-8"), parse_float=Decimal)
        key = (str(data.get("region", "")), str(data.get("version", "")))
        if not _REGION.match(key[0]) or not _VERSION.match(key[1]):
            raise InvalidInput(
                f"{origin}: region must be a 6-digit division code and version like 'v1'.",
                errors=[{"field": "region/version", "reason": "missing or malformed"}],
            )
        if key in found:
            raise InvalidInput(
                f"{origin}: region {key[0]} version {key[1]} is also published by {found[key][0]}.",
                errors=[{"field": "version", "reason": "duplicate region and version"}],
            )
        found[key] = (origin, data)
    return found


def parse_policy(data: Mapping[str, Any], *, origin: str = "<memory>") -> Policy:
    """Validate a parsed policy document and build the immutable Policy."""
    errors: list[dict[str, Any]] = []

    def err(field: str, reason: str) -> None:
        errors.append({"field": field, "reason": reason})

    region = _text(data, "region", err)
    if region and not _REGION.match(region):
        err("region", "must be a 6-digit administrative division code")
    version = _text(data, "version", err)
    if version and not _VERSION.match(version):
        err("version", "must look like 'v1', 'v2', …")

    limits = _limits(data.get("limits"), err)

    products: dict[str, Product] = {}
    raw_products = data.get("products")
    if not isinstance(raw_products, Mapping):
        raw_products = {}
    for code, raw in raw_products.items():
        where = f"products.{code}"
        if not isinstance(raw, Mapping):
            err(where, "must be a table")
            continue
        assumption = _assumption(raw, where, err)
        rate = raw.get("reference_rate_bp")
        if rate is not None and not _is_int(rate):
            err(f"{where}.reference_rate_bp", "must be a whole number of basis points")
            rate = None
        bank = raw.get("bank")
        products[code] = Product(
            code=code,
            name_zh=_text(raw, "name_zh", err, where),
            name_en=_text(raw, "name_en", err, where),
            source=_text(raw, "source", err, where),
            assumption=assumption,
            bank=bank if isinstance(bank, str) else None,
            reference_rate_bp=rate,
        )

    cells: dict[tuple[str, str], Cell] = {}
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, Mapping):
        err("cells", "missing table [cells]")
        raw_cells = {}
    for account_type in raw_cells:
        if account_type not in ACCOUNT_TYPES:
            err(f"cells.{account_type}", f"unknown account type; expected one of {', '.join(ACCOUNT_TYPES)}")
    for account_type in ACCOUNT_TYPES:
        raw_labels = raw_cells.get(account_type)
        if not isinstance(raw_labels, Mapping):
            err(f"cells.{account_type}", "missing: every account type needs a cell per label")
            continue
        for label_code in raw_labels:
            if label_code not in LABEL_CODES[account_type]:
                err(
                    f"cells.{account_type}.{label_code}",
                    f"unknown label code; expected one of {', '.join(LABEL_CODES[account_type])}",
                )
        for label_code in LABEL_CODES[account_type]:
            where = f"cells.{account_type}.{label_code}"
            raw = raw_labels.get(label_code)
            if not isinstance(raw, Mapping):
                err(where, "missing cell")
                continue
            values = _cell_values(raw, where, products, err, partial=False)
            source = _text(raw, "source", err, where)
            assumption = _assumption(raw, where, err)
            if values is not None:
                cells[(account_type, label_code)] = Cell(
                    account_type=account_type,
                    label_code=label_code,
                    source=source,
                    assumption=assumption,
                    **values,
                )

    banks: dict[str, Bank] = {}
    raw_banks = data.get("banks")
    if not isinstance(raw_banks, Mapping):
        raw_banks = {}
    for bank_code, raw_bank in raw_banks.items():
        where = f"banks.{bank_code}"
        if not _BANK_CODE.match(bank_code):
            err(where, "bank code must be lower-case letters, digits, '_' or '-'")
        if not isinstance(raw_bank, Mapping):
            err(where, "must be a table")
            continue
        overrides: dict[tuple[str, str], BankOverride] = {}
        for account_type, raw_labels in raw_bank.items():
            if account_type in ("name_zh", "name_en"):
                continue
            if account_type not in ACCOUNT_TYPES or not isinstance(raw_labels, Mapping):
                err(f"{where}.{account_type}", "override for an unknown account type")
                continue
            for label_code, raw in raw_labels.items():
                owhere = f"{where}.{account_type}.{label_code}"
                if label_code not in LABEL_CODES[account_type] or not isinstance(raw, Mapping):
                    err(owhere, "override for a cell that does not exist (unknown label code)")
                    continue
                values = _cell_values(raw, owhere, products, err, partial=True)
                if values is not None and not values:
                    err(owhere, "an override must change at least one field")
                source = _text(raw, "source", err, owhere)
                assumption = _assumption(raw, owhere, err)
                if values:
                    overrides[(account_type, label_code)] = BankOverride(
                        bank_code=bank_code,
                        account_type=account_type,
                        label_code=label_code,
                        values=MappingProxyType(values),
                        source=source,
                        assumption=assumption,
                    )
        banks[bank_code] = Bank(
            code=bank_code,
            name_zh=_text(raw_bank, "name_zh", err, where),
            name_en=_text(raw_bank, "name_en", err, where),
            overrides=MappingProxyType(overrides),
        )

    if errors or limits is None:
        first = errors[0] if errors else {"field": "limits", "reason": "invalid"}
        raise InvalidInput(
            f"Policy table {origin} is invalid ({len(errors)} problem(s)); first: {first['field']}: {first['reason']}.",
            errors=errors,
        )
    return Policy(
        region=region,
        region_name_zh=str(data.get("region_name_zh", "")),
        region_name_en=str(data.get("region_name_en", "")),
        version=version,
        effective_from=str(data.get("effective_from", "")),
        title_zh=str(data.get("title_zh", "")),
        title_en=str(data.get("title_en", "")),
        limits=limits,
        products=MappingProxyType(products),
        cells=MappingProxyType(cells),
        banks=MappingProxyType(banks),
    )


def _limits(raw: Any, err: Any) -> Limits | None:
    if not isinstance(raw, Mapping):
        err("limits", "missing table [limits]")
        return None
    ok = True
    for key in ("rate_floor_bp", "max_total_discount_bp"):
        value = raw.get(key)
        if not _is_int(value) or value < 0:
            err(f"limits.{key}", "must be a whole, non-negative number of basis points")
            ok = False
    multiplier = raw.get("max_credit_line_multiplier")
    if not _is_number(multiplier) or Decimal(multiplier) <= 0:
        err("limits.max_credit_line_multiplier", "must be a number greater than 0")
        ok = False
    sources = {
        key: _text(raw, f"{key}_source", err, "limits")
        for key in ("rate_floor", "max_total_discount", "max_credit_line_multiplier")
    }
    if not ok or not all(sources.values()) or not _is_number(multiplier):
        return None
    return Limits(
        rate_floor_bp=raw["rate_floor_bp"],
        rate_floor_source=sources["rate_floor"],
        max_total_discount_bp=raw["max_total_discount_bp"],
        max_total_discount_source=sources["max_total_discount"],
        max_credit_line_multiplier=Decimal(multiplier),
        max_credit_line_multiplier_source=sources["max_credit_line_multiplier"],
    )


def _cell_values(
    raw: Mapping[str, Any],
    where: str,
    products: Mapping[str, Product],
    err: Any,
    *,
    partial: bool,
) -> dict[str, Any] | None:
    """The typed term fields of a cell (all required) or of an override (any subset)."""
    values: dict[str, Any] = {}
    ok = True
    allowed = {*CELL_FIELDS, "source", "assumption"}
    for key in raw:
        if key not in allowed:
            err(f"{where}.{key}", f"unknown field; expected one of {', '.join(CELL_FIELDS)}")
            ok = False
    optional = {"guarantee_fee_cap_bp", "excluded_products"}
    for key in CELL_FIELDS:
        if key not in raw:
            if not partial and key not in optional:
                err(f"{where}.{key}", "required field is missing")
                ok = False
            continue
        value = raw[key]
        field = f"{where}.{key}"
        if key == "rate_adjustment_bp":
            if not _is_int(value):
                err(field, "must be a whole number of basis points")
                ok = False
                continue
        elif key in ("guarantee_fee_discount_bp", "guarantee_fee_cap_bp"):
            if not _is_int(value) or value < 0:
                err(field, "must be a whole, non-negative number of basis points")
                ok = False
                continue
        elif key == "credit_line_multiplier":
            if not _is_number(value) or Decimal(value) <= 0:
                err(field, "must be a number greater than 0")
                ok = False
                continue
            value = Decimal(value)
        elif key == "fast_track":
            if not isinstance(value, bool):
                err(field, "must be true or false")
                ok = False
                continue
        else:  # product lists
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                err(field, "must be a list of product codes")
                ok = False
                continue
            unknown = [p for p in value if p not in products]
            if unknown:
                err(field, f"unknown product code(s): {', '.join(unknown)}")
                ok = False
                continue
            value = tuple(value)
        values[key] = value
    if not partial and ok:
        values.setdefault("guarantee_fee_cap_bp", None)
        values.setdefault("excluded_products", ())
    return values if ok else None


def _assumption(raw: Mapping[str, Any], where: str, err: Any) -> bool:
    value = raw.get("assumption", False)
    if not isinstance(value, bool):
        err(f"{where}.assumption", "must be true or false")
        return False
    source = raw.get("source")
    if value and isinstance(source, str) and "assumption" not in source.lower():
        err(f"{where}.source", "an assumed value must say 'assumption' and why in its source")
    return value is True


def _text(raw: Mapping[str, Any], key: str, err: Any, where: str = "") -> str:
    value = raw.get(key)
    field = f"{where}.{key}" if where else key
    if not isinstance(value, str) or not value.strip():
        err(field, "required text is missing")
        return ""
    return value


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | Decimal]:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    return Decimal(value).is_finite()


# --- what-if substitution method ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Technology:
    """What a kWh of electricity becomes as useful heat (an electric boiler's efficiency, a heat pump's COP)."""

    code: str
    name_zh: str
    name_en: str
    efficiency: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class WhatIfMethod:
    """The data behind a what-if energy substitution (``data/what-if/vN.toml``)."""

    version: str
    mj_per_kgce: Decimal
    efficiency: Mapping[str, Decimal]
    default_efficiency: Decimal
    technologies: Mapping[str, Technology]

    def efficiency_of(self, energy: str) -> Decimal:
        """Thermal efficiency of the equipment burning ``energy``."""
        return self.efficiency.get(energy, self.default_efficiency)

    def technology(self, code: str) -> Technology:
        """A target technology for electricity, or InvalidInput naming the known ones."""
        if code not in self.technologies:
            raise InvalidInput(f"unknown technology {code!r}; known: {', '.join(sorted(self.technologies))}")
        return self.technologies[code]


@lru_cache(maxsize=4)
def load_what_if_method(version: str = "v1") -> WhatIfMethod:
    """The what-if substitution method of ``version``."""
    path = resources.files(_DATA_PACKAGE) / "data" / "what-if" / f"{version}.toml"
    if not path.is_file():
        raise NotFound(f"no what-if method {version!r}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    efficiency = {key: Decimal(cell["value"]) for key, cell in data["efficiency"].items() if key != "default"}
    technologies = {
        code: Technology(code, t["name_zh"], t["name_en"], Decimal(t["efficiency"]), t["source"])
        for code, t in data["technologies"].items()
    }
    values = [*efficiency.values(), *(t.efficiency for t in technologies.values())]
    if any(value <= 0 for value in values):
        raise InvalidInput(f"what-if method {version}: every efficiency must be positive")
    return WhatIfMethod(
        version=data["version"],
        mj_per_kgce=Decimal(data["mj_per_kgce"]),
        efficiency=MappingProxyType(efficiency),
        default_efficiency=Decimal(data["efficiency"]["default"]["value"]),
        technologies=MappingProxyType(technologies),
    )


COAL_ENERGIES: tuple[str, ...] = (
    "raw_coal",
    "anthracite",
    "bituminous_coal",
    "lignite",
    "washed_coal",
    "other_washed_coal",
    "briquette",
)
"""Energies a "coal to electricity" what-if moves (coal products such as coke are left alone)."""


# --- the loan prime rate (LPR) ------------------------------------------------------------------

LONG_TERM_MONTHS = 60
"""A loan longer than this is priced from the 5-year LPR, one of at most this from the 1-year LPR."""


@dataclass(frozen=True)
class LprQuote:
    """One LPR announcement: the day it was published (and took effect) and both tenors, in bp."""

    published: date
    one_year_bp: int
    five_year_bp: int
    source: str


@dataclass(frozen=True)
class LprTable:
    """Every LPR change greenfin knows of, oldest first, and the defaults of a reference offer."""

    version: str
    source: str
    quotes: tuple[LprQuote, ...]
    default_spread_bp: int
    default_guarantee_fee_bp: int
    default_amount_fen: int
    default_term_months: int

    def on(self, day: date) -> LprQuote:
        """The LPR in force on ``day`` (the newest announcement published on or before it)."""
        found = [q for q in self.quotes if q.published <= day]
        if not found:
            raise NotFound(f"no LPR announcement on or before {day.isoformat()}")
        return found[-1]

    def rate_bp(self, day: date, term_months: int) -> tuple[int, LprQuote]:
        """The LPR a loan of ``term_months`` months is priced from on ``day``, with its announcement."""
        quote = self.on(day)
        return (quote.five_year_bp if term_months > LONG_TERM_MONTHS else quote.one_year_bp), quote


@lru_cache(maxsize=1)
def load_lpr() -> LprTable:
    """The LPR table of ``finance/data/lpr/lpr.toml``; a row without its source is refused."""
    origin = "finance/data/lpr/lpr.toml"
    text = (resources.files(_DATA_PACKAGE) / "data" / "lpr" / "lpr.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[dict[str, str]] = []
    quotes: list[LprQuote] = []
    for i, raw in enumerate(data.get("quotes", [])):
        if not raw.get("source") or not isinstance(raw.get("published"), date):
            problems.append({"field": f"quotes[{i}]", "reason": "needs a published date and a source"})
            continue
        quotes.append(LprQuote(raw["published"], int(raw["one_year_bp"]), int(raw["five_year_bp"]), raw["source"]))
    for key in ("default_spread", "default_guarantee_fee", "default_amount", "default_term"):
        if not data.get(f"{key}_source"):
            problems.append({"field": f"{key}_source", "reason": "every number needs its source"})
    if problems or not quotes:
        raise InvalidInput(f"{origin}: the LPR table is incomplete", errors=problems or [{"field": "quotes"}])
    return LprTable(
        version=str(data["version"]),
        source=str(data["source"]),
        quotes=tuple(sorted(quotes, key=lambda q: q.published)),
        default_spread_bp=int(data["default_spread_bp"]),
        default_guarantee_fee_bp=int(data["default_guarantee_fee_bp"]),
        default_amount_fen=int(data["default_amount_fen"]),
        default_term_months=int(data["default_term_months"]),
    )
