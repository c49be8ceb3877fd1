"""Use cases of the statistics domain: green use categories, divisions and pilot banks.

Green use catalogues are public methodology: any signed-in principal reads them, and other
domains (the loan book) check a loan's catalogue version and code with
:func:`green_use_category`. Regulators (and admins) register every fact; a bank registers and closes its own
divisions. The region's counts on a day are public figures (the seed publishes them), read
by regulators and banks; a bank sees the registrations of its own organisation only.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, InvalidInput, NotFound
from greenfin.stats import repository
from greenfin.stats.methodology import load_catalogues
from greenfin.stats.models import GreenFinanceDivision, PilotBank
from greenfin.stats.rules import (
    Exposure,
    GreenUseCategory,
    financed_emissions,
    portfolio_totals,
    share,
    weighted_data_quality,
)
from greenfin.stats.schemas import (
    MAX_EXPOSURES,
    CategoryBrief,
    CategoryMappingRead,
    CategoryRead,
    CounterpartRead,
    DivisionCreate,
    DivisionRead,
    ExposureIn,
    PilotBankCreate,
    PilotBankRead,
    RegisteredFactsRead,
    coverage_out,
    item_out,
    score_out,
    totals_out,
)

Stored = TypeVar("Stored", GreenFinanceDivision, PilotBank)
METHOD = "PCAF Part A, 2nd edition (2022)"
MAX_BODY_BYTES = 256 * 1024 * 1024  # bytes (characters for text): about a million exposures of ~250 bytes


def _require_bank(session: Session, bank_code: str) -> None:
    organisation = auth.organisation_by_code(session, bank_code)
    if organisation is None:
        raise NotFound(f"no organisation has the code {bank_code}")
    if organisation.kind != "bank":
        raise InvalidInput(
            f"{bank_code} is a {organisation.kind}, not a bank",
            errors=[{"field": "bank_code", "reason": "not a bank"}],
        )


def _stored(session: Session, row: Stored) -> Stored:
    session.add(row)
    session.flush()
    return row


def register_division(session: Session, principal: Principal, *, division_in: DivisionCreate) -> GreenFinanceDivision:
    """Register a green-finance division of a bank (a regulator, or the bank itself)."""
    auth.require_role(principal, "regulator", "bank")
    auth.require_tenant(principal, division_in.bank_code)
    _require_bank(session, division_in.bank_code)
    if repository.division_by_name(session, division_in.bank_code, division_in.name) is not None:
        raise Conflict(f"{division_in.bank_code} has a division named {division_in.name} already")
    return _stored(session, GreenFinanceDivision(**division_in.model_dump()))


def close_division(
    session: Session, principal: Principal, *, division_id: str, closed_on: date
) -> GreenFinanceDivision:
    """Record the day a division closed (a regulator, or its bank)."""
    auth.require_role(principal, "regulator", "bank")
    division = repository.division_by_id(session, division_id)
    if division is None:
        raise NotFound(f"no green-finance division {division_id}")
    auth.require_tenant(principal, division.bank_code)
    if division.closed_on is not None:
        raise Conflict(f"the division closed on {division.closed_on.isoformat()} already")
    if closed_on <= division.established_on:
        raise InvalidInput(
            "a division closes after the day it was established",
            errors=[{"field": "closed_on", "reason": "not after established_on"}],
        )
    division.closed_on = closed_on
    session.flush()
    return division


def designate_pilot_bank(session: Session, principal: Principal, *, pilot_in: PilotBankCreate) -> PilotBank:
    """Record a bank's designation as a green-finance reform pilot bank (regulators only)."""
    auth.require_role(principal, "regulator")
    _require_bank(session, pilot_in.bank_code)
    if repository.pilot_designation(session, pilot_in.bank_code, pilot_in.designated_on) is not None:
        raise Conflict(f"{pilot_in.bank_code} was designated on {pilot_in.designated_on.isoformat()} already")
    return _stored(session, PilotBank(**pilot_in.model_dump()))


def registered_facts(session: Session, principal: Principal, *, as_of: date) -> RegisteredFactsRead:
    """The region's divisions and pilot banks on a day; a bank sees only its own registrations."""
    auth.require_role(principal, "regulator", "bank")
    divisions = repository.divisions_open_on(session, as_of)
    pilots = repository.pilot_banks_on(session, as_of)

    def mine(bank_code: str) -> bool:
        return principal.is_staff or bank_code == principal.organisation_code

    return RegisteredFactsRead(
        as_of=as_of,
        divisions=len(divisions),
        pilot_banks=len({p.bank_code for p in pilots}),
        division_items=[DivisionRead.model_validate(d) for d in divisions if mine(d.bank_code)],
        pilot_bank_items=[PilotBankRead.model_validate(p) for p in pilots if mine(p.bank_code)],
    )


# --- green use catalogues --------------------------------------------------------------------


def _brief(category: GreenUseCategory) -> CategoryBrief:
    return CategoryBrief(code=category.code, name=category.name, level=category.level, confidence=category.confidence)


def green_use_top_level(*, version: str) -> list[CategoryBrief]:
    """The top-level categories of a catalogue version, in catalogue order."""
    return [_brief(c) for c in load_catalogues().catalogue(version).children(None)]


def green_use_category(*, version: str, code: str) -> CategoryRead:
    """A category with its ancestors and children; InvalidInput if the version lacks the code."""
    catalogue = load_catalogues().catalogue(version)
    found = catalogue.get(code)
    return CategoryRead(
        **_brief(found).model_dump(),
        catalogue=version,
        title=catalogue.title,
        ancestors=[_brief(c) for c in catalogue.ancestors(code)],
        children=[_brief(c) for c in catalogue.children(code)],
    )


def map_green_use_category(*, code: str, source: str, target: str) -> CategoryMappingRead:
    """The counterparts of a category in another catalogue version."""
    mapped = load_catalogues().map_code(code, source=source, target=target)
    return CategoryMappingRead(
        code=code,
        source=source,
        target=target,
        counterparts=[
            CounterpartRead(
                **_brief(m.category).model_dump(),
                relation=m.relation,
                via=list(m.via),
                mapping_confidence=m.confidence,
            )
            for m in mapped
        ],
    )


# --- financed emissions ---------------------------------------------------------------------

_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least"),
    "greater_than": ("gt", "must be more than"),
    "less_than_equal": ("le", "must be at most"),
}
_OBJECT = "expected an object with id, asset_class, outstanding, denominator, scope1_t and scope2_t"


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> Decimal:
    raise _NotANumber(name)


def _read_json(text: str | bytes) -> Any:
    """JSON text read with exact decimals; NaN, Infinity and malformed JSON are InvalidInput."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NotANumber as exc:
        raise InvalidInput(f"input contains {exc}, which is not a number; give finite JSON numbers") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _problem(row: int, error: Any) -> dict[str, Any]:
    column = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if not column:
        reason = _OBJECT
    elif kind == "missing":
        reason = "is missing"
    elif kind == "extra_forbidden":
        reason = "is not an accepted key"
    elif kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = str(error.get("ctx", {})[key]).removeprefix("Decimal('").removesuffix("')")  # pydantic gives a repr
        reason = f"{words} {bound}"
    else:
        reason = "is invalid: " + str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return {"row": row, "column": column, "reason": reason}


def _exposures(data: Any) -> list[Exposure]:
    if not isinstance(data, list):
        raise InvalidInput("input must be a JSON list of exposures")
    if len(data) > MAX_EXPOSURES:
        raise InvalidInput(f"input has {len(data)} exposures; at most {MAX_EXPOSURES} are accepted at once")
    exposures: list[Exposure] = []
    problems: list[dict[str, Any]] = []
    seen: set[str | int] = set()
    for row, raw in enumerate(data):
        try:
            item = ExposureIn.model_validate(raw)
        except ValidationError as exc:
            first = {str(e["loc"][0]) if e["loc"] else "": e for e in reversed(exc.errors())}  # one per key
            problems.extend(_problem(row, e) for e in reversed(first.values()))
            continue
        if item.denominator is None and item.asset_class != "motor_vehicle":
            problems.append(
                {"row": row, "column": "denominator", "reason": "is null; only a motor_vehicle loan may omit it"}
            )
        elif item.id in seen:
            problems.append({"row": row, "column": "id", "reason": f"{item.id!r} appears more than once"})
        else:
            seen.add(item.id)
            exposures.append(
                Exposure(
                    item.id,
                    item.asset_class,
                    item.outstanding,
                    item.denominator,
                    item.scope1_t,
                    item.scope2_t,
                    item.scope3_t,
                    item.removals_t,
                    item.data_quality,
                    item.credits_retired_t,
                    item.credits_generated_t,
                )
            )
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the exposures", errors=problems)
    return exposures


def financed_emissions_report(principal: Principal, *, text: str | bytes) -> dict[str, Any]:
    """PCAF financed emissions of a JSON list of exposures (banks, regulators): items, totals, data quality."""
    auth.require_role(principal, "bank", "regulator")
    if len(text) > MAX_BODY_BYTES:
        raise InvalidInput(f"input is larger than {MAX_BODY_BYTES} bytes; send the exposures in parts")
    items = [financed_emissions(e) for e in _exposures(_read_json(text))]
    scored = [(i.outstanding, i.data_quality) for i in items if i.data_quality is not None]
    total_outstanding = sum((i.outstanding for i in items), Decimal(0))
    scored_outstanding = sum((outstanding for outstanding, _ in scored), Decimal(0))
    coverage = share(scored_outstanding, total_outstanding) if total_outstanding > 0 else None
    return {
        "method": METHOD,
        "items": [item_out(i) for i in items],
        "totals": totals_out(portfolio_totals(items)),
        "weighted_data_quality": score_out(weighted_data_quality(scored)),
        "data_quality_coverage": coverage_out(coverage),
    }
