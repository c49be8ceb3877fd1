"""Use cases of the statistics domain: green use categories, divisions and pilot banks.

Green use catalogues are public methodology: any signed-in principal reads them, and other
domains (the loan book) check a loan's catalogue version and code with
:func:`green_use_category`. Regulators (and admins) register every fact; a bank registers and closes its own
divisions. The region's counts on a day are public figures (the seed publishes them), read
by regulators and banks; a bank sees the registrations of its own organisation only.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, InvalidInput, NotFound
from greenfin.stats import repository
from greenfin.stats.methodology import load_catalogues
from greenfin.stats.models import GreenFinanceDivision, PilotBank
from greenfin.stats.rules import GreenUseCategory
from greenfin.stats.schemas import (
    CategoryBrief,
    CategoryMappingRead,
    CategoryRead,
    CounterpartRead,
    DivisionCreate,
    DivisionRead,
    PilotBankCreate,
    PilotBankRead,
    RegisteredFactsRead,
)


def _require_bank(session: Session, bank_code: str) -> None:
    organisation = auth.organisation_by_code(session, bank_code)
    if organisation is None:
        raise NotFound(f"no organisation has the code {bank_code}")
    if organisation.kind != "bank":
        raise InvalidInput(
            f"{bank_code} is a {organisation.kind}, not a bank",
            errors=[{"field": "bank_code", "reason": "not a bank"}],
        )


def register_division(session: Session, principal: Principal, *, division_in: DivisionCreate) -> GreenFinanceDivision:
    """Register a green-finance division of a bank (a regulator, or the bank itself)."""
    auth.require_role(principal, "regulator", "bank")
    auth.require_tenant(principal, division_in.bank_code)
    _require_bank(session, division_in.bank_code)
    if repository.division_by_name(session, division_in.bank_code, division_in.name) is not None:
        raise Conflict(f"{division_in.bank_code} has a division named {division_in.name} already")
    division = GreenFinanceDivision(**division_in.model_dump())
    session.add(division)
    session.flush()
    return division


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
    designation = PilotBank(**pilot_in.model_dump())
    session.add(designation)
    session.flush()
    return designation


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
