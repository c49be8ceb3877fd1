"""Statistics API: green-loan statistics, green use catalogues, divisions and pilot banks, financed emissions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from greenfin.errors import InvalidInput, NotFound
from greenfin.http import PrincipalDep, SessionDep, raw_json_body
from greenfin.stats import disclosure, service
from greenfin.stats.schemas import (
    DIMENSIONS,
    CategoryBrief,
    CategoryMappingRead,
    CategoryRead,
    Dimension,
    DisclosureRead,
    DisclosureTextIn,
    DisclosureTextRead,
    DivisionClose,
    DivisionCreate,
    DivisionRead,
    ExposureList,
    GreenLoanStatisticsRead,
    PilotBankCreate,
    PilotBankRead,
    RegisteredFactsRead,
    json_text,
)

router = APIRouter(prefix="/stats", tags=["stats"])

Version = Annotated[str, Path(pattern=r"^[a-z]+-[0-9]{4}$", description="Catalogue version, e.g. gic-2019.")]


@router.get("/catalogues/{version}/categories", response_model=list[CategoryBrief])
def top_level_categories(version: Version, principal: PrincipalDep) -> list[CategoryBrief]:
    """The top level of a green use catalogue version."""
    return service.green_use_top_level(version=version)


@router.get("/catalogues/{version}/categories/{code}", response_model=CategoryRead)
def category(version: Version, code: str, principal: PrincipalDep) -> CategoryRead:
    """A green use category with its ancestors and children."""
    return service.green_use_category(version=version, code=code)


@router.get("/catalogues/{version}/categories/{code}/counterparts", response_model=CategoryMappingRead)
def counterparts(
    version: Version,
    code: str,
    principal: PrincipalDep,
    target: Annotated[str, Query(pattern=r"^[a-z]+-[0-9]{4}$", description="The other catalogue version.")],
) -> CategoryMappingRead:
    """The category's counterparts in another catalogue version, with how their scopes relate."""
    return service.map_green_use_category(code=code, source=version, target=target)


@router.post("/divisions", response_model=DivisionRead, status_code=201)
def register_division(division_in: DivisionCreate, principal: PrincipalDep, session: SessionDep) -> DivisionRead:
    """Register a bank's green-finance division (a regulator, or the bank itself)."""
    return DivisionRead.model_validate(service.register_division(session, principal, division_in=division_in))


@router.post("/divisions/{division_id}/close", response_model=DivisionRead)
def close_division(
    division_id: str, close_in: DivisionClose, principal: PrincipalDep, session: SessionDep
) -> DivisionRead:
    """Record the day a division closed."""
    division = service.close_division(session, principal, division_id=division_id, closed_on=close_in.closed_on)
    return DivisionRead.model_validate(division)


@router.post("/pilot-banks", response_model=PilotBankRead, status_code=201)
def designate_pilot_bank(pilot_in: PilotBankCreate, principal: PrincipalDep, session: SessionDep) -> PilotBankRead:
    """Record a bank's designation as a green-finance reform pilot bank (regulators)."""
    return PilotBankRead.model_validate(service.designate_pilot_bank(session, principal, pilot_in=pilot_in))


@router.get("/registered-facts", response_model=RegisteredFactsRead)
def registered_facts(
    principal: PrincipalDep, session: SessionDep, as_of: Annotated[date, Query(description="The day counted.")]
) -> RegisteredFactsRead:
    """Green-finance divisions and pilot banks on a day: the region's counts and the visible registrations."""
    return service.registered_facts(session, principal, as_of=as_of)


@router.post(
    "/financed-emissions",
    openapi_extra=raw_json_body(ExposureList),
    responses={200: {"description": "Items, totals and the weighted data-quality score (numbers as JSON numbers)"}},
)
async def financed_emissions(request: Request, principal: PrincipalDep) -> Response:
    """PCAF financed emissions of a JSON list of exposures: the `greenfin stats financed-emissions` contract.

    The route reads its body itself so that numbers are exact decimals, and writes its
    answer itself so that they come back as JSON numbers (rounded as documented).
    """
    report = service.financed_emissions_report(principal, text=await request.body())
    return Response(json_text(report), media_type="application/json")


Day = Annotated[date, Query(description="A month-end, YYYY-MM-DD.")]
By = Annotated[
    list[Dimension],
    Query(max_length=len(DIMENSIONS), description="Dimensions to group by, each on its own."),
]
Catalogue = Annotated[
    str | None, Query(pattern=r"^[a-z]+-[0-9]{4}$", max_length=20, description="Catalogue version, e.g. gic-2019.")
]
BankCode = Annotated[str | None, Query(max_length=40, description="One bank's organisation code (regulators).")]
Level = Annotated[int, Query(ge=1, le=4, description="Category level counted (1 = top).")]


@router.get("/green-loans", response_model=GreenLoanStatisticsRead)
def green_loans(
    principal: PrincipalDep,
    session: SessionDep,
    as_of: Day,
    base: Annotated[date | None, Query(description="A base date to compare with.")] = None,
    by: By = [],  # noqa: B006 - FastAPI copies query defaults
    catalogue_version: Catalogue = None,
    category_level: Level = 1,
    bank_code: BankCode = None,
) -> GreenLoanStatisticsRead:
    """Green-loan statistics of a month-end: balances, share, growth, points above all loans, by dimension."""
    return service.green_loan_statistics(
        session,
        principal,
        as_of=as_of,
        base=base,
        by=by,
        catalogue_version=catalogue_version,
        category_level=category_level,
        bank_code=bank_code,
    )


@router.get("/green-loans/series", response_model=list[GreenLoanStatisticsRead])
def green_loan_series(
    principal: PrincipalDep,
    session: SessionDep,
    start: Day,
    end: Day,
    base: Annotated[date | None, Query(description="A base date to compare with.")] = None,
    by: By = [],  # noqa: B006 - FastAPI copies query defaults
    catalogue_version: Catalogue = None,
    category_level: Level = 1,
    bank_code: BankCode = None,
) -> list[GreenLoanStatisticsRead]:
    """The statistics of every quarter-end of a period, oldest first."""
    return service.quarterly_series(
        session,
        principal,
        start=start,
        end=end,
        base=base,
        by=by,
        catalogue_version=catalogue_version,
        category_level=category_level,
        bank_code=bank_code,
    )


@router.get(
    "/financed-emissions/book",
    responses={200: {"description": "Financed emissions of the loan book (numbers as JSON numbers, tonnes exact)"}},
)
def book_financed_emissions(
    principal: PrincipalDep,
    session: SessionDep,
    as_of: Day,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="The carbon accounts' year.")] = None,
    bank_code: BankCode = None,
) -> Response:
    """PCAF financed emissions of the loan book on a month-end: a bank its own, a regulator the region or one bank."""
    report = service.financed_emissions_of_book(session, principal, as_of=as_of, year=year, bank_code=bank_code)
    report["as_of"] = as_of.isoformat()
    return Response(json_text(report), media_type="application/json")


@router.get(
    "/benefits",
    responses={200: {"description": "Environmental benefits of the green loans (tonnes a year, exact numbers)"}},
)
def benefits(
    principal: PrincipalDep,
    session: SessionDep,
    as_of: Day,
    bank_code: BankCode = None,
    basis: Annotated[
        Literal["balance", "amount"], Query(description="The loan amount the project share is taken on.")
    ] = "balance",
    items: Annotated[bool, Query(description="One line per loan (a bank's own book; at most 10,000 lines).")] = False,
) -> Response:
    """Yearly environmental benefits of the green loans on a month-end, attributed by loan ÷ the project's total
    investment (PBoC), in total and by bank, category and county: a bank its own, a regulator the region."""
    report = service.benefits_totals(session, principal, as_of=as_of, bank_code=bank_code, basis=basis, items=items)
    if items and len(report.get("items", [])) > 10_000:
        raise InvalidInput("items: more than 10,000 loans; ask for one bank's book", errors=[{"field": "items"}])
    report["as_of"] = as_of.isoformat()
    return Response(json_text(report), media_type="application/json")


# --- the environmental-information disclosure (JR/T 0227—2021) -------------------------------------------

SectionKey = Annotated[str, Path(pattern="^[a-z_]{1,40}$", description="A section key of the disclosure guide.")]
Year = Annotated[int, Path(ge=2000, le=2100)]
BankPath = Annotated[str, Path(max_length=40, description="The bank's organisation code.")]
Language = Annotated[Literal["zh", "en"], Query(description="The language of the section titles and figures.")]


@router.get("/disclosures/{bank_code}/{year}", response_model=DisclosureRead)
def read_disclosure(
    bank_code: BankPath, year: Year, principal: PrincipalDep, session: SessionDep, lang: Language = "zh"
) -> DisclosureRead:
    """A bank's annual environmental-information disclosure: every JR/T 0227 section with the bank's latest
    text and the figures greenfin fills from the loan book (as text in ``lang``). The bank reads its own,
    a regulator every bank's."""
    report = disclosure.report(session, principal, bank_code=bank_code, year=year, lang=lang)
    return DisclosureRead.of(report)


@router.put("/disclosures/{bank_code}/{year}/sections/{section}", response_model=DisclosureTextRead)
def write_disclosure_section(
    bank_code: BankPath,
    year: Year,
    section: SectionKey,
    text_in: DisclosureTextIn,
    principal: PrincipalDep,
    session: SessionDep,
) -> DisclosureTextRead:
    """The bank writes a new version of one of its sections (versions are kept; each write is audited)."""
    written = disclosure.write_section(
        session, principal, bank_code=bank_code, year=year, section=section, text=text_in.text
    )
    return DisclosureTextRead.model_validate(written, from_attributes=True)


@router.get("/disclosures/{bank_code}/{year}/sections/{section}/versions", response_model=list[DisclosureTextRead])
def disclosure_versions(
    bank_code: BankPath, year: Year, section: SectionKey, principal: PrincipalDep, session: SessionDep
) -> list[DisclosureTextRead]:
    """Every version of one section, newest first."""
    report = disclosure.report(session, principal, bank_code=bank_code, year=year)
    found = next((s for s in report.sections if s.key == section), None)
    if found is None:
        raise NotFound(f"no section {section!r}")
    return [DisclosureTextRead.model_validate(v, from_attributes=True) for v in found.versions]


@router.get(
    "/evaluation",
    responses={200: {"description": "The PBoC evaluation's quantitative indicators per bank (ratios as fractions)"}},
)
def evaluation(principal: PrincipalDep, session: SessionDep, as_of: Day) -> Response:
    """The four quantitative indicators of the PBoC green-finance evaluation per bank on a quarter-end, with the
    quantities behind them: a regulator every bank, a bank itself."""
    report = service.evaluation_indicators(session, principal, as_of=as_of)
    report["as_of"] = as_of.isoformat()
    return Response(json_text(report), media_type="application/json")
