"""The region file's shape (Pydantic v2): a city, its county-level divisions, its rate references."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _division(code: str) -> str:
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise ValueError(f"{code!r} is not a 6-digit GB/T 2260 division code")
    return code


Division = Annotated[str, AfterValidator(_division)]


class County(BaseModel):
    """A county-level division (区, 县, 县级市) of the region."""

    model_config = _FROZEN

    code: Division = Field(description="GB/T 2260 code, 6 digits")
    name_zh: str = Field(min_length=2)
    name_en: str = Field(min_length=2)
    short_name: str = Field(min_length=2, description="the place name firms registered there carry (江山, 德清)")
    since: int | None = Field(default=None, description="year the code came into use (information only)")
    townships: tuple[str, ...] = Field(default=(), description="a few of its towns (乡镇), for addresses")


class RateReference(BaseModel):
    """Which published rate banks of the region price from (a key such as ``lpr_1y``) and where it is published."""

    model_config = _FROZEN

    reference: str = Field(pattern=r"^[a-z0-9_]+$")
    source: str = Field(min_length=10)


class FinancePolicy(BaseModel):
    """Which carbon-finance policy table the region applies (a region code of ``finance/data/policies``)."""

    model_config = _FROZEN

    policy_region: Division
    source: str = Field(min_length=10)


class Region(BaseModel):
    """A city-level region greenfin runs for (one region file)."""

    model_config = _FROZEN

    format: str = Field(pattern=r"^greenfin-region/1$")
    version: str = Field(pattern=r"^v[0-9]+$")
    code: Division
    name_zh: str = Field(min_length=2)
    name_en: str = Field(min_length=2)
    short_name: str = Field(min_length=2)
    province_zh: str = Field(min_length=2)
    source: str = Field(min_length=10)
    bank_rate: RateReference
    finance: FinancePolicy
    counties: tuple[County, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _counties_belong(self) -> Region:
        if self.code[4:] != "00":
            raise ValueError(f"region {self.code} is not a city-level code (ends in 00)")
        codes = [county.code for county in self.counties]
        if len(set(codes)) != len(codes):
            raise ValueError(f"region {self.code} lists a county twice")
        strangers = [c for c in codes if c[:4] != self.code[:4] or c == self.code]
        if strangers:
            raise ValueError(f"counties {', '.join(strangers)} do not belong to region {self.code}")
        return self

    @property
    def county_codes(self) -> tuple[str, ...]:
        """The county codes in the file's order."""
        return tuple(county.code for county in self.counties)

    def county(self, code: str) -> County | None:
        """The county with ``code``, or None when it is not in the region."""
        return next((county for county in self.counties if county.code == code), None)
