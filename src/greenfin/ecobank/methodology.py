"""The Two Mountains Bank's methodology files: valuation methods and loan-to-value caps.

Two versioned TOML families live in ``ecobank/data/``: ``methods/v<N>.toml`` (the four
methods with their sources, the GEP unit prices and per-亩 default quantities) and
``ltv/v<N>.toml`` (the loan-to-value cap per kind of pledged right). The shape of each file
is a Pydantic model: loading validates it whole and refuses it with one
:class:`~greenfin.errors.InvalidInput` naming every problem; every number is a Decimal
with a ``source`` and a ``confidence`` (H, M or L). ::

    >>> load_methods().version, load_methods().gep.prices["carbon_fixation"].value
    ('v1', Decimal('97.49'))
    >>> load_ltv().caps["forest_right"].ratio
    Decimal('0.6')

Stored valuations record the methods version, so history stays reproducible when a
regulator publishes a new one.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin.ecobank.rules import ASSET_KINDS, LtvCap, ServicePrice
from greenfin.errors import InvalidInput, NotFound

METHODS: tuple[str, ...] = ("income", "market", "cost", "gep")
PLEDGEABLE_RIGHTS: tuple[str, ...] = (*ASSET_KINDS, "ecological_compensation_right")
"""Kinds a loan-to-value cap may name: the registry's kinds and the income rights pledged on them."""

Confidence = Literal["H", "M", "L"]
Text = Annotated[str, Field(min_length=1)]
_VERSION = re.compile(r"^v(\d+)$")
_PACKAGE = "greenfin.ecobank"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Number(_Frozen):
    """One sourced number."""

    value: Decimal = Field(ge=0)
    unit: Text
    source: Text
    confidence: Confidence


class Method(_Frozen):
    name_zh: Text
    name_en: Text
    formula: Text
    source: Text
    confidence: Confidence
    kinds: tuple[str, ...]
    max_combined_correction: Number | None = None

    @model_validator(mode="after")
    def _known_kinds(self) -> Method:
        unknown = sorted(set(self.kinds) - set(ASSET_KINDS))
        if unknown:
            raise ValueError(f"unknown asset kind {unknown[0]!r}")
        return self


class Price(Number):
    name_zh: Text
    name_en: Text
    method: Text


class Gep(_Frozen):
    prices: dict[str, Price]
    defaults: dict[str, dict[str, Number]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults_name_priced_services(self) -> Gep:
        for kind, services in self.defaults.items():
            if kind not in ASSET_KINDS:
                raise ValueError(f"defaults for unknown asset kind {kind!r}")
            unknown = sorted(set(services) - set(self.prices))
            if unknown:
                raise ValueError(f"defaults.{kind}.{unknown[0]}: no price for this service")
        return self

    def service_prices(self) -> dict[str, ServicePrice]:
        """The prices as the rules take them."""
        return {
            key: ServicePrice(service=key, price=price.value, unit=price.unit, confidence=price.confidence)
            for key, price in self.prices.items()
        }

    def default_rates(self, kind: str) -> dict[str, tuple[Decimal, str]]:
        """Per-亩 yearly default quantities of ``kind`` as the rules take them."""
        return {key: (number.value, number.confidence) for key, number in self.defaults.get(kind, {}).items()}


class Methods(_Frozen):
    """A version of the valuation methods."""

    version: str = Field(pattern=_VERSION.pattern)
    published: str
    title_zh: Text
    title_en: Text
    methods: dict[str, Method]
    gep: Gep

    @model_validator(mode="after")
    def _every_method(self) -> Methods:
        missing = [name for name in METHODS if name not in self.methods]
        if missing:
            raise ValueError(f"method {missing[0]!r} is missing")
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}")
        return self


class Cap(_Frozen):
    basis: Literal["appraised_value", "yearly_income"]
    ratio: Decimal = Field(gt=0)
    source: Text
    confidence: Confidence


class LtvPolicy(_Frozen):
    """A version of the loan-to-value caps."""

    version: str = Field(pattern=_VERSION.pattern)
    published: str
    region: str = Field(pattern=r"^\d{6}$")
    caps: dict[str, Cap]

    @model_validator(mode="after")
    def _caps(self) -> LtvPolicy:
        unknown = sorted(set(self.caps) - set(PLEDGEABLE_RIGHTS))
        if unknown:
            raise ValueError(f"cap for unknown kind {unknown[0]!r}")
        missing = [kind for kind in ASSET_KINDS if kind not in self.caps]
        if missing:
            raise ValueError(f"no cap for kind {missing[0]!r}")
        for kind, cap in self.caps.items():
            if cap.basis == "appraised_value" and cap.ratio > 1:
                raise ValueError(f"caps.{kind}: a share of the appraised value must not exceed 1")
        return self

    def cap(self, kind: str) -> LtvCap:
        """The cap of ``kind`` as the rules take it."""
        if kind not in self.caps:
            raise NotFound(f"no loan-to-value cap for {kind!r} in policy {self.version}")
        cap = self.caps[kind]
        return LtvCap(kind=kind, basis=cap.basis, ratio=cap.ratio, confidence=cap.confidence)


def _versions(family: str) -> list[str]:
    folder = resources.files(_PACKAGE) / "data" / family
    found = [item.name[:-5] for item in folder.iterdir() if item.name.endswith(".toml")]
    return sorted((v for v in found if _VERSION.match(v)), key=lambda v: int(v[1:]))


def _pick(family: str, version: str | None, what: str) -> str:
    versions = _versions(family)
    if not versions:
        raise NotFound(f"no {what} is installed")
    if version is None:
        return versions[-1]
    if version not in versions:
        raise NotFound(f"unknown {what} version {version!r}; available: {', '.join(versions)}")
    return version


def _read(family: str, version: str) -> dict[str, object]:
    path = resources.files(_PACKAGE) / "data" / family / f"{version}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"ecobank/data/{family}/{version}.toml is not valid TOML: {exc}") from exc


def _refuse(origin: str, exc: ValidationError) -> InvalidInput:
    errors = [{"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]} for err in exc.errors()]
    return InvalidInput(f"{origin} is not a valid methodology file ({len(errors)} problems)", errors=errors)


def parse_methods(data: dict[str, object], *, origin: str = "<memory>") -> Methods:
    """Validate a parsed methods document."""
    try:
        return Methods.model_validate(data)
    except ValidationError as exc:
        raise _refuse(origin, exc) from exc


def parse_ltv(data: dict[str, object], *, origin: str = "<memory>") -> LtvPolicy:
    """Validate a parsed loan-to-value document."""
    try:
        return LtvPolicy.model_validate(data)
    except ValidationError as exc:
        raise _refuse(origin, exc) from exc


def load_methods(version: str | None = None) -> Methods:
    """The valuation methods of ``version`` (the newest when None)."""
    return _load_methods(_pick("methods", version, "valuation methods"))


def load_ltv(version: str | None = None) -> LtvPolicy:
    """The loan-to-value caps of ``version`` (the newest when None)."""
    return _load_ltv(_pick("ltv", version, "loan-to-value policy"))


@lru_cache(maxsize=8)
def _load_methods(version: str) -> Methods:
    return parse_methods(_read("methods", version), origin=f"ecobank/data/methods/{version}.toml")


@lru_cache(maxsize=8)
def _load_ltv(version: str) -> LtvPolicy:
    return parse_ltv(_read("ltv", version), origin=f"ecobank/data/ltv/{version}.toml")
