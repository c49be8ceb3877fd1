"""Use cases of the financing platform (衢融通) and the loan book."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy.orm import Session

from greenfin.auth import service as auth_service
from greenfin.auth.service import Principal, organisation_of, record, require_role
from greenfin.db import new_id, utcnow
from greenfin.errors import Conflict, Forbidden, InvalidInput, NotFound
from greenfin.market import repository, rules
from greenfin.market.models import Application, ApplicationEvent, Loan, Need, Policy, Product, Subsidy
from greenfin.market.schemas import (
    BENEFIT_COLUMNS,
    ApplicationCreate,
    ApplicationRead,
    Decision,
    Disbursement,
    EventRead,
    LoanCreate,
    LoanRead,
    MatchRead,
    NeedCreate,
    NeedMatchRead,
    NeedRead,
    NeedUpdate,
    PolicyCreate,
    ProductCreate,
    ProductRead,
    ProjectBenefitsIn,
    SubsidyCreate,
    SubsidyRead,
    SubsidyReview,
)
from greenfin.web.i18n import label_name, translate

BEIJING = ZoneInfo("Asia/Shanghai")
INSTITUTION_KINDS = ("bank", "guarantor", "insurer")


# --- platform data: LPR, default deadlines, green use catalogue -------------------------------


@dataclass(frozen=True)
class PlatformData:
    version: str
    lpr: tuple[tuple[date, int], ...]
    accept_days: int
    decide_days: int
    catalogue_version: str
    catalogue: dict[str, tuple[str, str]]


@lru_cache(maxsize=1)
def platform_data() -> PlatformData:
    """The platform's data file (``data/market-v1.toml``), validated."""
    raw = tomllib.loads((resources.files("greenfin.market") / "data" / "market-v1.toml").read_text("utf-8"))
    lpr = tuple(sorted((date.fromisoformat(e["from"]), int(e["one_year_bp"])) for e in raw["lpr"]))
    if not lpr or any(not e.get("source") for e in raw["lpr"]):
        raise RuntimeError("market-v1.toml: every LPR entry needs a source")
    items = {code: (names[0], names[1]) for code, names in raw["catalogue"]["items"].items()}
    return PlatformData(
        version=raw["version"],
        lpr=lpr,
        accept_days=int(raw["deadlines"]["accept_days"]),
        decide_days=int(raw["deadlines"]["decide_days"]),
        catalogue_version=str(raw["catalogue"]["version"]),
        catalogue=items,
    )


def lpr_bp(on: date | None = None) -> int:
    """The one-year LPR in force on a day (today when None), bp."""
    on = on or beijing_today()
    found = [bp for start, bp in platform_data().lpr if start <= on]
    return found[-1] if found else platform_data().lpr[0][1]


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


# --- the working-day calendar -------------------------------------------------------------------


def _calendar_version() -> str:
    from importlib.metadata import version

    return f"chinesecalendar-{version('chinesecalendar')}"


def is_workday(day: date) -> bool:
    """A Chinese working day: the statutory calendar where it is known, else Monday–Friday.

    chinesecalendar knows the years up to its release (the State Council publishes each
    year's holidays in the November before); for a later year it raises and we fall back to
    Monday–Friday — the deadline then records ``weekdays`` as its calendar (see
    :func:`calendar_for`), so the fallback is never silent.
    """
    import chinese_calendar  # type: ignore[import-untyped]

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def calendar_for(start: date, days: int) -> str:
    """The name of the calendar a deadline from ``start`` is counted with."""
    import chinese_calendar

    end = start + timedelta(days=days * 2 + 14)  # far enough to cover holidays on the way
    try:
        chinese_calendar.is_workday(end)
    except NotImplementedError:
        return "weekdays (calendar unknown for the year)"
    return _calendar_version()


def due_date(start: date, days: int, workday: Callable[[date], bool] = is_workday) -> date:
    return rules.add_working_days(start, days, workday)


# --- who is acting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BorrowerFacts:
    kind: str
    code: str
    ref: str
    name: str
    county_code: str | None = None
    industry_code: str | None = None
    industrial_label: str | None = None
    agricultural_label: str | None = None
    personal_grade: str | None = None


def _borrower(session: Session, principal: Principal, farm_ref: str | None = None) -> BorrowerFacts:
    """The borrower the principal acts for, with the facts products select on (read as the borrower)."""
    if principal.is_staff:
        raise Forbidden("only a borrower posts needs and applies; staff read them")
    require_role(principal, "enterprise", "resident")
    if principal.role == "resident":
        from greenfin.personal import service as personal

        code = principal.organisation_code or principal.actor
        account = personal.account_for(session, principal, "me")  # a resident borrows on their carbon account
        grade, _ = personal.account_grade(session, account)
        return BorrowerFacts("resident", code, account.ref, principal.actor, personal_grade=grade.code)
    from greenfin.agriculture import service as agriculture
    from greenfin.finance import service as finance
    from greenfin.industry import service as industry

    code = principal.organisation_code or ""
    if not code:
        raise Forbidden("you do not act for an enterprise or farm")
    if farm_ref is not None or principal.organisation_kind == "farm" or code.startswith("farm-"):
        farm = agriculture.find_farm(session, principal, farm_ref=farm_ref or code.removeprefix("farm-"))
        borrower = finance.Borrower("farm", farm.id, farm.organisation_code, farm.name)
        labels = {s.account_type: s.label_code for s, _ in finance.standings(session, borrower, principal)}
        return BorrowerFacts(
            "farm", farm.organisation_code, farm.id, farm.name, farm.county_code, None, None, labels.get("agricultural")
        )
    items, _ = industry.list_enterprises(session, principal, limit=1)
    entry = items[0] if items else None
    borrower = finance.Borrower("enterprise", code, code, entry.name if entry else code)
    labels = {s.account_type: s.label_code for s, _ in finance.standings(session, borrower, principal)}
    organisation = organisation_of(session, principal) if principal.organisation_id else None
    county = entry.county_code if entry else (organisation.region_code if organisation else None)
    return BorrowerFacts(
        "enterprise",
        code,
        code,
        entry.name if entry else (organisation.name if organisation else code),
        county,
        entry.industry_code if entry else None,
        labels.get("industrial"),
        labels.get("agricultural"),
    )


def _institution(session: Session, principal: Principal, *, family: str | None = None) -> tuple[str, str]:
    """(code, name) of the bank, guarantor or insurer the principal acts for.

    The ``bank`` role is every financial institution's role; the organisation's kind says
    which it is, and a product's ``family`` must be its kind's (a guarantor publishes
    guarantees, an insurer insurance, a bank green credit).
    """
    require_role(principal, "bank")
    if principal.organisation_id is None:
        raise Forbidden("products are published by a bank, guarantor or insurer; you act for none")
    organisation = organisation_of(session, principal)
    if organisation.kind not in INSTITUTION_KINDS:
        raise Forbidden("products are published by a bank, guarantor or insurer")
    if family is not None and rules.FAMILY_OF_KIND[organisation.kind] != family:
        allowed = rules.FAMILY_OF_KIND[organisation.kind]
        raise InvalidInput(
            f"family: a {organisation.kind} publishes {allowed} products, not {family}",
            errors=[{"field": "family", "reason": f"a {organisation.kind} publishes {allowed} products"}],
        )
    return organisation.code, organisation.name


APPLICATION_SCOPE = "application_data"  # the scope of auth's consent a bank reads an application under
CONSENT_DAYS = 365  # how long the consent given by applying lasts (the borrower may revoke it earlier)


def _consent(session: Session, principal: Principal, application: Application, *, grant: bool) -> str | None:
    """The one place the platform touches consent (auth's one consent model).

    ``grant``: the borrower applying grants the institution, in the same step, two consents:
    its carbon credit report (``credit_report``; a resident's green-credit grade,
    ``personal_grade``) and the application's data (``application_data``, referenced by
    the application); returns the latter's id. Otherwise: refuse an institution whose
    consent for this application is not live, and log the read it allows.
    """
    if grant:
        farm_ref = application.borrower_code.removeprefix("farm-") if application.borrower_kind == "farm" else None
        subject = _borrower(session, principal, farm_ref)
        expires_at = utcnow() + timedelta(days=CONSENT_DAYS)
        reference = f"application:{application.id}"
        report_scope = "personal_grade" if subject.kind == "resident" else "credit_report"
        subject_code = None if subject.kind == "resident" else subject.code
        for scope in (report_scope, APPLICATION_SCOPE):
            consent = auth_service.grant_consent(
                session,
                principal,
                subject_kind=subject.kind,
                subject_ref=subject.ref,
                subject_code=subject_code,
                organisation_code=application.bank_code,
                scope=scope,
                expires_at=expires_at,
                reference=reference,
            )
        return consent.id
    if principal.is_staff or principal.role != "bank":  # the role of every bank, guarantor and insurer
        return application.consent_id
    if application.consent_id is None:
        raise Forbidden("the borrower has not consented to your institution reading this application")
    # Applying granted two consents under one reference; revoking either closes the application.
    statuses = auth_service.linked_consent_statuses(session, consent_id=application.consent_id)
    if not statuses:
        raise Forbidden("the borrower has not consented to your institution reading this application")
    for status in statuses:
        if status != "active":
            raise Forbidden(
                f"the borrower's consent to your institution is {status}; the application's data is closed to you"
            )
    auth_service.use_consent(
        session, principal, consent_id=application.consent_id, purpose=APPLICATION_SCOPE, entity_id=application.id
    )
    return application.consent_id


# --- products -------------------------------------------------------------------------------------


def product_read(product: Product, lpr: int | None = None) -> ProductRead:
    """A product as the API shows it, with today's rate."""
    lpr = lpr if lpr is not None else lpr_bp()
    kinds = [
        k
        for k, flag in (
            ("enterprise", product.for_enterprise),
            ("farm", product.for_farm),
            ("resident", product.for_resident),
        )
        if flag
    ]
    return ProductRead(
        id=product.id,
        product_key=product.product_key,
        version=product.version,
        status=product.status,
        org_code=product.org_code,
        org_name=product.org_name,
        name=product.name,
        family=product.family,
        loan_method=product.loan_method,
        min_amount_fen=product.min_amount_fen,
        max_amount_fen=product.max_amount_fen,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        rate_spread_bp=product.rate_spread_bp,
        rate_bp=lpr + product.rate_spread_bp,
        lpr_bp=lpr,
        borrower_kinds=kinds,
        counties=product.counties,
        industries=product.industries,
        eligible_labels=product.carbon_labels,
        agricultural_labels=product.agricultural_labels,
        personal_grades=product.personal_grades,
        green_uses=product.green_uses,
        documents=product.documents,
        accept_days=product.accept_days,
        decide_days=product.decide_days,
        description=product.description,
        created_at=product.created_at,
        published_at=product.published_at,
        withdrawn_at=product.withdrawn_at,
    )


def _apply_product_fields(product: Product, product_in: ProductCreate) -> None:
    data = platform_data()
    for code in product_in.green_uses or []:
        if code not in data.catalogue:
            raise InvalidInput(f"green_uses: unknown green use category {code!r}", errors=[{"field": "green_uses"}])
    product.name = product_in.name
    product.family = product_in.family
    product.loan_method = product_in.loan_method
    product.min_amount_fen = product_in.min_amount_fen
    product.max_amount_fen = product_in.max_amount_fen
    product.min_term_months = product_in.min_term_months
    product.max_term_months = product_in.max_term_months
    product.rate_spread_bp = product_in.rate_spread_bp
    product.for_enterprise = "enterprise" in product_in.borrower_kinds
    product.for_farm = "farm" in product_in.borrower_kinds
    product.for_resident = "resident" in product_in.borrower_kinds
    product.counties = product_in.counties
    product.industries = product_in.industries
    product.carbon_labels = None if product_in.eligible_labels is None else list(product_in.eligible_labels)
    product.agricultural_labels = (
        None if product_in.agricultural_labels is None else list(product_in.agricultural_labels)
    )
    product.personal_grades = None if product_in.personal_grades is None else list(product_in.personal_grades)
    product.green_uses = product_in.green_uses
    product.documents = product_in.documents
    product.accept_days = product_in.accept_days or data.accept_days
    product.decide_days = product_in.decide_days or data.decide_days
    product.description = product_in.description


def create_product(session: Session, principal: Principal, *, product_in: ProductCreate) -> Product:
    """A bank, guarantor or insurer drafts a product (version 1)."""
    code, name = _institution(session, principal, family=product_in.family)
    product = Product(product_key=new_id(), version=1, status="draft", org_code=code, org_name=name)
    product.created_by = principal.actor
    _apply_product_fields(product, product_in)
    session.add(product)
    session.flush()
    return product


def _own_product(session: Session, principal: Principal, product_id: str) -> Product:
    code, _ = _institution(session, principal)
    product = repository.product(session, product_id)
    if product is None or product.org_code != code:
        raise NotFound(f"no product {product_id} of yours")
    return product


def own_product(session: Session, principal: Principal, *, product_id: str) -> Product:
    """One version of the institution's own product (NotFound for anyone else's)."""
    return _own_product(session, principal, product_id)


def update_product(session: Session, principal: Principal, *, product_id: str, product_in: ProductCreate) -> Product:
    """Edit a draft in place; editing a published version makes a new draft version (the old one stays)."""
    _institution(session, principal, family=product_in.family)
    product = _own_product(session, principal, product_id)
    if product.status == "draft":
        _apply_product_fields(product, product_in)
        session.flush()
        return product
    if product.status != "published":
        raise Conflict(f"a {product.status} product version cannot be edited")
    latest = max(v.version for v in repository.product_versions(session, product.product_key))
    draft = Product(
        product_key=product.product_key,
        version=latest + 1,
        status="draft",
        org_code=product.org_code,
        org_name=product.org_name,
        created_by=principal.actor,
    )
    _apply_product_fields(draft, product_in)
    session.add(draft)
    session.flush()
    return draft


def publish_product(session: Session, principal: Principal, *, product_id: str) -> Product:
    """Publish a draft version; the version published before it is superseded."""
    product = _own_product(session, principal, product_id)
    if product.status == "published":
        return product
    if product.status != "draft":
        raise Conflict(f"a {product.status} product cannot be published")
    for other in repository.product_versions(session, product.product_key):
        if other.status == "published":
            other.status = "superseded"
    product.status = "published"
    product.published_at = utcnow()
    session.flush()
    _index_institution(session, product.org_code)
    return product


def withdraw_product(session: Session, principal: Principal, *, product_id: str) -> Product:
    """Take a product off the shelf (applications already made go on)."""
    product = _own_product(session, principal, product_id)
    if product.status not in ("draft", "published"):
        raise Conflict(f"a {product.status} product cannot be withdrawn")
    was_published = product.status == "published"
    product.status = "withdrawn"
    product.withdrawn_at = utcnow()
    session.flush()
    if was_published:
        _index_institution(session, product.org_code)
    return product


def get_product(session: Session, principal: Principal, *, product_id: str) -> Product:
    """A published product (anyone logged in), or any version of one's own (its institution, staff)."""
    product = repository.product(session, product_id)
    if product is None or (
        product.status != "published" and not principal.is_staff and principal.organisation_code != product.org_code
    ):
        raise NotFound(f"no product {product_id}")
    return product


def list_products(
    session: Session,
    principal: Principal,
    *,
    mine: bool = False,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    **filters: Any,
) -> tuple[Sequence[Product], int]:
    """The credit supermarket: published products, filtered and sorted (``repository.products``: family,
    loan_method, amount_fen, term_months, text, sort, descending); ``mine``: every version of the
    institution's own."""
    if mine:
        code, _ = _institution(session, principal)
        return repository.products(session, org_code=code, status=None, kind=kind, limit=limit, offset=offset)
    if kind is not None and kind not in rules.BORROWER_KINDS:
        raise InvalidInput(f"kind: unknown borrower kind {kind!r}")
    if filters.get("family") not in (None, *rules.FAMILIES):
        raise InvalidInput("family: unknown product family")
    if filters.get("loan_method") not in (None, *rules.LOAN_METHODS):
        raise InvalidInput("loan_method: unknown loan method")
    return repository.products(
        session, org_code=None, status="published", kind=kind, limit=limit, offset=offset, **filters
    )


# --- needs -------------------------------------------------------------------------------------------


def _check_green_use(code: str | None) -> str | None:
    if code is None:
        return None
    data = platform_data()
    if code not in data.catalogue:
        raise InvalidInput(f"green_use: unknown green use category {code!r}", errors=[{"field": "green_use"}])
    return data.catalogue_version


def create_need(session: Session, principal: Principal, *, need_in: NeedCreate) -> Need:
    """A borrower posts a financing need; its county, industry and labels are copied from its accounts."""
    borrower = _borrower(session, principal, need_in.farm_ref)
    catalogue = _check_green_use(need_in.green_use)
    need = Need(
        status="open",
        borrower_kind=borrower.kind,
        borrower_code=borrower.code,
        borrower_name=borrower.name,
        county_code=borrower.county_code,
        industry_code=borrower.industry_code,
        industrial_label=borrower.industrial_label,
        agricultural_label=borrower.agricultural_label,
        personal_grade=borrower.personal_grade,
        amount_fen=need_in.amount_fen,
        term_months=need_in.term_months,
        purpose=need_in.purpose,
        green_use=need_in.green_use,
        green_catalogue=catalogue,
        collateral=need_in.collateral,
        collateral_note=need_in.collateral_note,
        created_by=principal.actor,
    )
    session.add(need)
    session.flush()
    _index_need(session, need)
    return need


def _own_need(session: Session, principal: Principal, need_id: str) -> Need:
    need = repository.need(session, need_id)
    if need is None or (not principal.is_staff and principal.organisation_code != need.borrower_code):
        if need is not None and principal.role == "resident" and principal.actor == need.borrower_code:
            return need
        raise NotFound(f"no need {need_id} of yours")
    return need


def update_need(session: Session, principal: Principal, *, need_id: str, need_in: NeedUpdate) -> Need:
    """The borrower edits an open need."""
    if principal.is_staff:
        raise Forbidden("only the borrower edits its need")
    need = _own_need(session, principal, need_id)
    if need.status != "open":
        raise Conflict(f"a {need.status} need cannot be edited")
    changes = need_in.model_dump(exclude_unset=True)
    if "green_use" in changes:
        need.green_catalogue = _check_green_use(changes["green_use"])
    for key, value in changes.items():
        if value is not None or key == "green_use":
            setattr(need, key, value)
    need.updated_at = utcnow()
    session.flush()
    _index_need(session, need)
    return need


def withdraw_need(session: Session, principal: Principal, *, need_id: str) -> Need:
    """The borrower withdraws an open need."""
    if principal.is_staff:
        raise Forbidden("only the borrower withdraws its need")
    need = _own_need(session, principal, need_id)
    if need.status != "open":
        raise Conflict(f"the need is {need.status} already")
    need.status = "withdrawn"
    need.updated_at = utcnow()
    session.flush()
    repository.unindex_need(session, need.id)
    return need


def need_read(need: Need, *, reveal: bool) -> NeedRead:
    """A need as the API shows it; the borrower's identity only when ``reveal`` (owner, staff, consent)."""
    read = NeedRead.model_validate(need)
    if not reveal:
        read.borrower_code = None
        read.borrower_name = None
    return read


def get_need(session: Session, principal: Principal, *, need_id: str) -> NeedRead:
    """A need: the borrower and staff see all of it; a bank only with the borrower's consent through an application."""
    need = repository.need(session, need_id)
    if need is None:
        raise NotFound(f"no need {need_id}")
    if principal.is_staff or principal.organisation_code == need.borrower_code or principal.actor == need.borrower_code:
        return need_read(need, reveal=True)
    if principal.role == "bank" and principal.organisation_code:
        rows, _ = repository.applications(
            session,
            bank_code=principal.organisation_code,
            borrower_code=need.borrower_code,
            state=None,
            overdue=None,
            limit=1000,
            offset=0,
        )
        for row in rows:
            if row.need_id == need.id:
                _consent(session, principal, row, grant=False)
                return need_read(need, reveal=True)
        raise Forbidden("the borrower has not applied to your bank with this need; its data is closed to you")
    raise NotFound(f"no need {need_id}")


def list_needs(
    session: Session, principal: Principal, *, status: str | None = None, limit: int = 100
) -> list[NeedRead]:
    """The borrower's own needs (staff: all)."""
    if principal.is_staff:
        return [need_read(n, reveal=True) for n in repository.needs_of(session, None, status=status, limit=limit)]
    require_role(principal, "enterprise", "resident")
    code = principal.organisation_code or principal.actor
    return [need_read(n, reveal=True) for n in repository.needs_of(session, code, status=status, limit=limit)]


# --- matching -------------------------------------------------------------------------------------------


def _need_facts(need: Need) -> rules.NeedFacts:
    return rules.NeedFacts(
        borrower_kind=need.borrower_kind,
        amount_fen=need.amount_fen,
        term_months=need.term_months,
        county_code=need.county_code,
        industry_code=need.industry_code,
        industrial_label=need.industrial_label,
        agricultural_label=need.agricultural_label,
        personal_grade=need.personal_grade,
        green_use=need.green_use,
        collateral=need.collateral,
    )


def _t(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _product_facts(row: Any) -> rules.ProductFacts:
    kinds = tuple(
        k
        for k, flag in (("enterprise", row.for_enterprise), ("farm", row.for_farm), ("resident", row.for_resident))
        if flag
    )
    return rules.ProductFacts(
        product_id=row.id,
        org_code=row.org_code,
        loan_method=row.loan_method,
        min_amount_fen=row.min_amount_fen,
        max_amount_fen=row.max_amount_fen,
        min_term_months=row.min_term_months,
        max_term_months=row.max_term_months,
        borrower_kinds=kinds,
        counties=_t(row.counties),
        industries=_t(row.industries),
        carbon_labels=_t(row.carbon_labels),
        agricultural_labels=_t(row.agricultural_labels),
        personal_grades=_t(row.personal_grades),
        green_uses=_t(row.green_uses),
    )


def _standings_of(need: Need) -> tuple[tuple[str, str], ...]:
    found = []
    if need.industrial_label:
        found.append(("industrial", need.industrial_label))
    if need.agricultural_label:
        found.append(("agricultural", need.agricultural_label))
    if need.personal_grade:
        found.append(("personal", need.personal_grade))
    return tuple(found)


def _carbon_rate(need: Need, base_rate_bp: int, bank_code: str) -> int:
    """The rate after the carbon terms of the finance policy table (finance's own rules, traced there)."""
    from greenfin.finance.policy import load_policy

    standings = _standings_of(need)
    if not standings:
        return base_rate_bp
    policy = load_policy()
    # Only banks with overrides in the table get terms of their own; the rest share the region's.
    bank_key = bank_code if bank_code in policy.banks else None
    return _rate_after(standings, bank_key, base_rate_bp, policy.policy_id)


@lru_cache(maxsize=65_536)
def _rate_after(
    standings: tuple[tuple[str, str], ...], bank_code: str | None, base_rate_bp: int, policy_id: str
) -> int:
    """Finance's terms for these labels at this base rate (the rate depends on nothing else of the offer)."""
    from greenfin.finance import service as finance
    from greenfin.finance.policy import load_policy
    from greenfin.finance.rules import BorrowerStanding
    from greenfin.finance.schemas import BaseOfferIn

    policy = load_policy()
    assert policy.policy_id == policy_id
    terms = finance.terms_read(
        finance.Borrower("enterprise", "-", "-", "-"),
        [(BorrowerStanding(kind, code), None) for kind, code in standings],
        BaseOfferIn(rate_bp=max(base_rate_bp, 0), amount_fen=100_000_00, term_months=12),
        bank_code=bank_code,
        policy=policy,
    )
    return terms.rate_bp


def reason_text(reason: rules.Reason, lang: str) -> str:
    """A reason in words: labels, kinds and catalogue codes by name."""
    params = dict(reason.params)
    if "label" in params:
        params["label"] = label_name(params["label"], lang)
    if "kind" in params:
        params["kind"] = translate(f"market.kind.{params['kind']}", lang)
    if "grade" in params:
        params["grade"] = translate(f"personal.grade.{params['grade']}", lang)
    if "code" in params and params["code"] in platform_data().catalogue:
        zh, en = platform_data().catalogue[params["code"]]
        params["code"] = (
            f"{zh if lang != 'en' else en}（{params['code']}）" if lang != "en" else f"{en} ({params['code']})"
        )
    if "max" in params and reason.key.endswith("amount_fit"):
        params.pop("max")
    return translate(reason.key, lang, **params)


@dataclass(frozen=True)
class ShelfItem:
    """A published product as matching holds it in memory."""

    id: str
    org_code: str
    org_name: str
    name: str
    rate_spread_bp: int
    facts: rules.ProductFacts


_SHELVES: dict[str, tuple[tuple[Any, ...], list[ShelfItem]]] = {}


def _shelf(session: Session) -> list[ShelfItem]:
    """Every published product, read once per process and again only when the published set changes.

    The stamp (count and latest publication of the published products) changes with every
    publication, withdrawal and new version; one indexed aggregate per request checks it.
    """
    key = str(session.get_bind().engine.url)
    stamp = repository.published_stamp(session)
    cached = _SHELVES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    items = [
        ShelfItem(row.id, row.org_code, row.org_name, row.name, row.rate_spread_bp, _product_facts(row))
        for row in repository.published_products(session)
    ]
    _SHELVES[key] = (stamp, items)
    return items


RECORD_SECONDS = 60.0
_RECORDS: dict[str, tuple[float, dict[str, tuple[int, int]]]] = {}


def _answer_records(session: Session) -> dict[str, tuple[int, int]]:
    """Every institution's answer record (on time, answered), recounted at most once a minute per process.

    A record moves slowly (one answer among hundreds); a minute's lag in a ranking input is
    worth one query less on every match.
    """
    import time

    key = str(session.get_bind().engine.url)
    cached = _RECORDS.get(key)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    records = repository.answer_records(session, None)
    _RECORDS[key] = (now + RECORD_SECONDS, records)
    return records


def _index_need(session: Session, need: Need) -> None:
    """Record which institutions can serve an open need (none once it is not open)."""
    if need.status != "open":
        repository.unindex_need(session, need.id)
        return
    facts = _need_facts(need)
    codes = [item.org_code for item in _shelf(session) if not rules.exclusions(facts, item.facts)]
    repository.index_need(session, need, codes)


def _index_institution(session: Session, org_code: str) -> int:
    """Rebuild which open needs an institution's published products can serve."""
    products = [item.facts for item in _shelf(session) if item.org_code == org_code]
    return repository.index_institution(session, org_code, products)


def reindex(session: Session, principal: Principal) -> int:
    """Rebuild the whole match index (after bulk loads: the demo, a restore); rows written."""
    require_role(principal, "regulator")
    session.flush()
    return sum(_index_institution(session, code) for code in sorted({item.org_code for item in _shelf(session)}))


def _matches_of(
    need: Need, rows: Sequence[Any], records: dict[str, tuple[int, int]], lpr: int
) -> list[tuple[rules.Match, Any]]:
    """The eligible products among ``rows`` for a need, ranked, with the rows."""
    facts = _need_facts(need)
    by_id = {r.id: r for r in rows}
    found: list[rules.Match | None] = []
    for row in rows:
        product = row.facts
        if rules.exclusions(facts, product):
            continue
        base = lpr + row.rate_spread_bp
        on_time, answered = records.get(row.org_code, (0, 0))
        found.append(
            rules.match_one(
                facts,
                product,
                base_rate_bp=base,
                rate_bp=_carbon_rate(need, base, row.org_code),
                lpr_bp=lpr,
                on_time=on_time,
                answered=answered,
            )
        )
    return [(m, by_id[m.product_id]) for m in rules.rank(found)]


def matches(session: Session, principal: Principal, *, need_id: str, lang: str = "zh") -> list[MatchRead]:
    """The products that can serve a need, best first, each with its reasons (the borrower and staff)."""
    need = repository.need(session, need_id)
    if need is None or not (
        principal.is_staff or principal.organisation_code == need.borrower_code or principal.actor == need.borrower_code
    ):
        raise NotFound(f"no need {need_id} of yours")
    amount, term, kind = need.amount_fen, need.term_months, need.borrower_kind
    rows = [
        item
        for item in _shelf(session)
        if item.facts.min_amount_fen <= amount <= item.facts.max_amount_fen
        and item.facts.min_term_months <= term <= item.facts.max_term_months
        and kind in item.facts.borrower_kinds
    ]
    return [
        MatchRead(
            product_id=m.product_id,
            product_name=row.name,
            bank_code=row.org_code,
            bank_name=row.org_name,
            score=m.score,
            rate_bp=m.rate_bp,
            reasons=[reason_text(r, lang) for r in m.reasons],
        )
        for m, row in _matches_of(need, rows, _answer_records(session), lpr_bp())
    ]


def needs_for_bank(session: Session, principal: Principal, *, limit: int = 20, offset: int = 0) -> list[NeedMatchRead]:
    """Open needs the institution's published products can serve, newest first, without the borrowers' identity."""
    code, _ = _institution(session, principal)
    products = [item for item in _shelf(session) if item.org_code == code]
    needs = repository.needs_served(session, code, limit=limit, offset=offset)
    out: list[NeedMatchRead] = []
    records = _answer_records(session)
    lpr = lpr_bp()
    for need in needs:
        found = _matches_of(need, products, records, lpr)
        if found:
            out.append(
                NeedMatchRead(
                    need=need_read(need, reveal=False),
                    products=[m.product_id for m, _ in found],
                    score=found[0][0].score,
                )
            )
    return out


# --- applications ---------------------------------------------------------------------------------------


def _event(
    session: Session, principal: Principal, application: Application, action: str, before: str | None, **kw: Any
) -> None:
    session.add(
        ApplicationEvent(
            id=new_id(),
            application_id=application.id,
            at=utcnow(),
            actor=principal.actor,
            action=action,
            from_state=before,
            to_state=application.state,
            reason_code=kw.get("reason_code"),
            note=kw.get("note", ""),
        )
    )


def apply(session: Session, principal: Principal, *, application_in: ApplicationCreate) -> Application:
    """The borrower applies for a product from its need and, in the same step, consents to that bank."""
    need = repository.need(session, application_in.need_id)
    if (
        need is None
        or principal.is_staff
        or (principal.organisation_code != need.borrower_code and principal.actor != need.borrower_code)
    ):
        raise NotFound(f"no need {application_in.need_id} of yours")
    require_role(principal, "enterprise", "resident")
    if need.status != "open":
        raise Conflict(f"the need is {need.status}; only an open need can be applied with")
    product = repository.product(session, application_in.product_id)
    if product is None or product.status != "published":
        raise NotFound(f"no published product {application_in.product_id}")
    excluded = rules.exclusions(_need_facts(need), _product_facts(product))
    if excluded:
        reasons = [reason_text(r, "zh") for r in excluded]
        raise InvalidInput(
            "the need does not meet the product's rules: " + "；".join(reasons),
            errors=[{"field": "product_id", "reason": r} for r in reasons],
        )
    if repository.live_application(session, need.id, product.id) is not None:
        raise Conflict("you have applied for this product with this need already")
    lpr = lpr_bp()
    base = lpr + product.rate_spread_bp
    today = beijing_today()
    application = Application(
        id=new_id(),
        need_id=need.id,
        product_id=product.id,
        bank_code=product.org_code,
        borrower_kind=need.borrower_kind,
        borrower_code=need.borrower_code,
        state="submitted",
        amount_fen=need.amount_fen,
        term_months=need.term_months,
        quoted_rate_bp=_carbon_rate(need, base, product.org_code),
        lpr_bp=lpr,
        submitted_at=utcnow(),
        due_on=due_date(today, product.accept_days),
        calendar=calendar_for(today, product.accept_days),
        updated_at=utcnow(),
    )
    application.consent_id = _consent(session, principal, application, grant=True)
    session.add(application)
    _event(session, principal, application, "submit", None)
    session.flush()
    return application


def _visible_application(
    session: Session, principal: Principal, application_id: str, *, lock: bool = False
) -> Application:
    """An application its borrower, its bank (under a live consent) or staff may see; 404 to anyone else."""
    application = repository.application(session, application_id, lock=lock)
    if application is None:
        raise NotFound(f"no application {application_id}")
    if principal.is_staff:
        return application
    if principal.role == "bank" and principal.organisation_code == application.bank_code:
        _consent(session, principal, application, grant=False)
        return application
    if (principal.role in ("enterprise", "resident") and principal.organisation_code == application.borrower_code) or (
        principal.role == "resident" and principal.actor == application.borrower_code
    ):
        return application
    raise NotFound(f"no application {application_id}")


def _move(session: Session, principal: Principal, application: Application, action: str, **kw: Any) -> None:
    before = application.state
    application.state = rules.next_state(before, action)
    application.updated_at = utcnow()
    _event(session, principal, application, action, before, **kw)


def decide(session: Session, principal: Principal, *, application_id: str, decision: Decision) -> Application:
    """The bank accepts (受理), approves or declines (with a reason) an application of its own."""
    require_role(principal, "bank")
    if principal.is_staff:
        raise Forbidden("decisions are the bank's; staff read them")
    application = _visible_application(session, principal, application_id, lock=True)
    now = utcnow()
    today = beijing_today()
    if decision.decision == "accept":
        _move(session, principal, application, "accept", note=decision.note)
        product = repository.product(session, application.product_id)
        days = product.decide_days if product else platform_data().decide_days
        application.accepted_at = now
        application.due_on = due_date(today, days)
        application.calendar = calendar_for(today, days)
    elif decision.decision == "approve":
        _move(session, principal, application, "approve", note=decision.note)
        application.decided_at = now
        application.due_on = None
        application.approved_amount_fen = decision.amount_fen or application.amount_fen
        application.approved_rate_bp = decision.rate_bp if decision.rate_bp is not None else application.quoted_rate_bp
        application.approved_term_months = decision.term_months or application.term_months
    else:
        _move(session, principal, application, "decline", reason_code=decision.reason, note=decision.note)
        application.decided_at = now
        application.due_on = None
        application.decline_reason = decision.reason
        application.decline_note = decision.note
    session.flush()
    return application


def contract(session: Session, principal: Principal, *, application_id: str) -> Application:
    """The bank records the signed loan contract."""
    require_role(principal, "bank")
    application = _visible_application(session, principal, application_id, lock=True)
    if principal.is_staff:
        raise Forbidden("contracts are the bank's; staff read them")
    _move(session, principal, application, "contract")
    application.contracted_at = utcnow()
    session.flush()
    return application


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    target_year, target_month = start.year + year, month + 1
    import calendar

    day = min(start.day, calendar.monthrange(target_year, target_month)[1])
    return date(target_year, target_month, day)


def disburse(session: Session, principal: Principal, *, application_id: str, disbursement: Disbursement) -> Loan:
    """The bank disburses an approved (or contracted) application: it becomes a loan of the loan book."""
    require_role(principal, "bank")
    if principal.is_staff:
        raise Forbidden("disbursement is the bank's; staff read it")
    application = _visible_application(session, principal, application_id, lock=True)
    _move(session, principal, application, "disburse")
    application.disbursed_at = utcnow()
    need = repository.need(session, application.need_id)
    assert need is not None
    need.status = "closed"
    repository.unindex_need(session, need.id)
    start = disbursement.start_date or beijing_today()
    term = application.approved_term_months or application.term_months
    loan = Loan(
        id=new_id(),
        bank_code=application.bank_code,
        loan_no=disbursement.loan_no or f"QRT{application.id[:16].upper()}",
        borrower_kind=application.borrower_kind,
        borrower_code=application.borrower_code,
        borrower_name=need.borrower_name,
        application_id=application.id,
        source="platform",
        amount_fen=application.approved_amount_fen or application.amount_fen,
        rate_bp=application.approved_rate_bp
        if application.approved_rate_bp is not None
        else application.quoted_rate_bp,
        term_months=term,
        start_date=start,
        maturity_date=_add_months(start, term),
        green_use=need.green_use,
        green_catalogue=need.green_catalogue,
        purpose=need.purpose,
        collateral=need.collateral,
        project_investment_fen=disbursement.project_investment_fen,
        annual_co2_reduction_g=disbursement.annual_co2_reduction_g,
        county_code=need.county_code,
        industry_code=need.industry_code,
    )
    if repository.loan_by_number(session, loan.bank_code, loan.loan_no) is not None:
        raise Conflict(f"loan number {loan.loan_no} is in your loan book already")
    session.add(loan)
    session.flush()
    return loan


def withdraw_application(session: Session, principal: Principal, *, application_id: str) -> Application:
    """The borrower withdraws an application that is not decided for good."""
    application = _visible_application(session, principal, application_id, lock=True)
    if principal.is_staff or principal.role == "bank":
        raise Forbidden("only the borrower withdraws its application")
    _move(session, principal, application, "withdraw")
    application.due_on = None
    session.flush()
    return application


def application_reads(
    session: Session, principal: Principal, applications: Sequence[Application], *, events: bool = True
) -> list[ApplicationRead]:
    """Applications as their reader sees them — names before codes (product, institution, borrower), the
    loan, and with ``events`` the timelines — in a handful of queries for a whole page. To a bank whose
    consent to an application is no longer live, the borrower's identity and purpose stay closed."""
    needs, products, loans = repository.application_facts(session, applications)
    institutions = auth_service.organisation_names(session, {a.bank_code for a in applications})
    timelines = repository.events_of(session, [a.id for a in applications]) if events else {}
    live: dict[str, bool] = {}
    if principal.role == "bank" and not principal.is_staff:
        ids = [a.consent_id for a in applications if a.consent_id]
        live = auth_service.linked_consents_live(session, consent_ids=ids)
    reads = []
    for application in applications:
        read = ApplicationRead.model_validate(application)
        borrower_name, purpose = needs.get(application.need_id, (None, None))
        read.product_name = products.get(application.product_id)
        read.institution_name = institutions.get(application.bank_code)
        read.borrower_name, read.purpose = borrower_name, purpose
        read.loan_id = loans.get(application.id)
        if principal.role == "bank" and not principal.is_staff and not live.get(application.consent_id or ""):
            read.borrower_code = read.borrower_name = read.purpose = None
            read.data_closed = True
        read.events = [EventRead.model_validate(e) for e in timelines.get(application.id, [])]
        reads.append(read)
    return reads


def application_read(session: Session, principal: Principal, application: Application) -> ApplicationRead:
    """One application as its reader sees it, with its timeline."""
    return application_reads(session, principal, [application])[0]


def get_application(session: Session, principal: Principal, *, application_id: str) -> ApplicationRead:
    return application_read(session, principal, _visible_application(session, principal, application_id))


def _reader_scope(principal: Principal, refusal: str) -> tuple[str | None, str | None]:
    """(bank code, borrower code) a list is narrowed to for its reader: staff neither (all), a bank its own
    institution's, a borrower its own; anyone else is refused with ``refusal``."""
    if principal.is_staff:
        return None, None
    if principal.role == "bank":
        return principal.organisation_code or "-", None
    if principal.role in ("enterprise", "resident"):
        return None, principal.organisation_code or principal.actor
    raise Forbidden(refusal)


def list_applications(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str = "submitted",
    descending: bool = True,
    events: bool = False,
) -> tuple[list[ApplicationRead], int]:
    """The borrower's applications, the bank's own applications, or (staff) all: one page in the order of
    ``sort`` (submitted, amount, due, state), with names (:func:`application_reads`)."""
    if state is not None and state not in rules.STATES:
        raise InvalidInput(f"state: unknown state {state!r}")
    if sort not in repository.APPLICATION_SORTS:
        raise InvalidInput(f"sort: one of {', '.join(repository.APPLICATION_SORTS)}")
    bank_code, borrower_code = _reader_scope(
        principal, "applications are seen by their borrower, their bank and the regulator"
    )
    rows, total = repository.applications(
        session,
        bank_code=bank_code,
        borrower_code=borrower_code,
        state=state,
        overdue=overdue,
        limit=limit,
        offset=offset,
        sort=sort,
        descending=descending,
    )
    return application_reads(session, principal, rows, events=events), total


def escalate(session: Session, principal: Principal, *, today: date | None = None) -> int:
    """Flag every application whose bank missed its deadline (shown to the borrower and the regulator)."""
    require_role(principal, "regulator")
    today = today or beijing_today()
    overdue = repository.overdue_candidates(session, today)
    for application in overdue:
        application.overdue_since = application.due_on
        _event(session, principal, application, "escalate", application.state, note=f"due {application.due_on}")
    session.flush()
    return len(overdue)


# --- the loan book ----------------------------------------------------------------------------------------


def report_loan(session: Session, principal: Principal, *, loan_in: LoanCreate) -> Loan:
    """A bank reports a loan made outside the platform."""
    require_role(principal, "bank")
    if principal.is_staff or not principal.organisation_code:
        raise Forbidden("loans are reported by the bank that made them")
    if repository.loan_by_number(session, principal.organisation_code, loan_in.loan_no) is not None:
        raise Conflict(f"loan number {loan_in.loan_no} is in your loan book already")
    loan = Loan(
        id=new_id(),
        bank_code=principal.organisation_code,
        source="reported",
        application_id=None,
        green_catalogue=_check_green_use(loan_in.green_use),
        maturity_date=_add_months(loan_in.start_date, loan_in.term_months),
        **loan_in.model_dump(),
    )
    session.add(loan)
    session.flush()
    return loan


def list_loans(
    session: Session,
    principal: Principal,
    *,
    borrower: str | None = None,
    limit: int = 50,
    offset: int = 0,
    **filters: Any,
) -> tuple[list[LoanRead], int]:
    """Loans of the book: a bank its own, a borrower its own, staff all; optionally one borrower's, and
    filtered and sorted as ``repository.loans`` (source, green, text, sort, descending)."""
    if filters.get("source") not in (None, "platform", "reported"):
        raise InvalidInput("source: platform or reported")
    if filters.get("sort", "start") not in repository.LOAN_SORTS:
        raise InvalidInput(f"sort: one of {', '.join(repository.LOAN_SORTS)}")
    bank_code, own = _reader_scope(principal, "the loan book is seen by banks, borrowers and the regulator")
    if own is not None:
        if borrower is not None and borrower != own:
            raise Forbidden("you may only see loans of the organisation you act for")
        borrower = own
    rows, total = repository.loans(
        session, bank_code=bank_code, borrower_code=borrower, limit=limit, offset=offset, **filters
    )
    return [LoanRead.model_validate(r) for r in rows], total


def latest_balances(
    session: Session, principal: Principal, loans: Sequence[LoanRead]
) -> tuple[date | None, dict[tuple[str, str], tuple[int, str]]]:
    """The latest month-end the reader's book holds balances for, and these loans' balance and five-class
    quality on it ((bank, loan number) → (balance, quality))."""
    dates = book_dates(session, principal)
    if not dates or not loans:
        return (max(dates) if dates else None), {}
    as_of = max(dates)
    return as_of, repository.balances_on(session, [loan.id for loan in loans], as_of)


def own_loan(session: Session, principal: Principal, *, loan_id: str) -> LoanRead:
    """A loan of the bank's own book (NotFound for another bank's, as for a loan that does not exist)."""
    require_role(principal, "bank")
    loan = repository.loan(session, loan_id)
    if loan is None or principal.is_staff or loan.bank_code != principal.organisation_code:
        raise NotFound(f"no loan {loan_id} in your bank's book")
    return LoanRead.model_validate(loan)


def set_loan_project(
    session: Session, principal: Principal, *, loan_id: str, project_in: ProjectBenefitsIn
) -> LoanRead:
    """The lending bank records a green loan's project and its yearly environmental benefits (audited;
    recording again replaces them, the audit log keeps what was there). The loan may be at most the
    project's total investment: a loan's share of the benefits is loan ÷ investment (PBoC)."""
    require_role(principal, "bank")
    loan = repository.loan(session, loan_id)
    if loan is None or principal.is_staff or loan.bank_code != principal.organisation_code:
        raise NotFound(f"no loan {loan_id} in your bank's book")
    if loan.green_use is None:
        raise InvalidInput(
            "green_use: environmental benefits are recorded for green loans; this loan carries no green use code",
            errors=[{"field": "green_use"}],
        )
    if loan.amount_fen > project_in.project_investment_fen:
        raise InvalidInput(
            f"project_investment_fen: the loan ({loan.amount_fen} fen) is larger than the project's total investment; "
            "a loan's share of its project is at most the whole",
            errors=[{"field": "project_investment_fen"}],
        )
    loan.project_name = project_in.project_name
    loan.project_investment_fen = project_in.project_investment_fen
    loan.benefits_basis = project_in.basis
    for name, column in BENEFIT_COLUMNS.items():
        setattr(loan, column, int(getattr(project_in, name) * GRAMS_PER_TONNE))
    session.flush()
    return LoanRead.model_validate(loan)


GRAMS_PER_TONNE = 1_000_000


def loans_amount_fen(session: Session, loan_ids: Sequence[str]) -> int:
    """The amounts lent by these loans, summed (the caller has scoped the ids: e.g. the loans the
    ecological bank's pledges secure, for its dashboard)."""
    return repository.loans_amount_fen(session, loan_ids)


# --- policies and interest subsidies ------------------------------------------------------------------------


def create_policy(session: Session, principal: Principal, *, policy_in: PolicyCreate) -> Policy:
    """The government side publishes an interest-subsidy policy with a budget."""
    require_role(principal, "regulator")
    if policy_in.valid_to < policy_in.valid_from:
        raise InvalidInput("valid_to: must not be before valid_from", errors=[{"field": "valid_to"}])
    policy = Policy(
        id=new_id(),
        issuer_code=principal.organisation_code or "platform",
        committed_fen=0,
        paid_fen=0,
        **policy_in.model_dump(),
    )
    session.add(policy)
    session.flush()
    return policy


def list_policies(session: Session, principal: Principal) -> Sequence[Policy]:
    return repository.policies(session)


def apply_subsidy(session: Session, principal: Principal, *, subsidy_in: SubsidyCreate) -> Subsidy:
    """A borrower applies for an interest subsidy on a loan of its own under a policy."""
    require_role(principal, "enterprise", "resident")
    if principal.is_staff:
        raise Forbidden("only the borrower applies for a subsidy")
    policy = repository.policy(session, subsidy_in.policy_id)
    if policy is None:
        raise NotFound(f"no policy {subsidy_in.policy_id}")
    loan = repository.loan(session, subsidy_in.loan_id)
    own = principal.organisation_code or principal.actor
    if loan is None or loan.borrower_code != own:
        raise NotFound(f"no loan {subsidy_in.loan_id} of yours")
    if not policy.valid_from <= loan.start_date <= policy.valid_to:
        raise InvalidInput(
            "loan_id: the loan did not start while the policy was in force", errors=[{"field": "loan_id"}]
        )
    if policy.green_only and loan.green_use is None:
        raise InvalidInput("loan_id: the policy subsidises green loans only", errors=[{"field": "loan_id"}])
    if policy.min_label is not None:
        label = _borrower(session, principal).industrial_label
        if not rules.label_at_least(label, policy.min_label):
            raise InvalidInput(
                f"loan_id: the policy needs a carbon label of {label_name(policy.min_label, 'zh')} or better",
                errors=[{"field": "loan_id"}],
            )
    subsidy = Subsidy(
        id=new_id(),
        policy_id=policy.id,
        loan_id=loan.id,
        borrower_code=own,
        amount_fen=rules.subsidy_fen(loan.amount_fen, policy.subsidy_rate_bp, loan.term_months),
        status="applied",
        paid_fen=0,
    )
    session.add(subsidy)
    try:
        session.flush()
    except Exception as exc:  # the unique (policy, loan)
        raise Conflict("a subsidy for this loan under this policy was applied for already") from exc
    return subsidy


def review_subsidy(session: Session, principal: Principal, *, subsidy_id: str, review: SubsidyReview) -> Subsidy:
    """A reviewer approves (within the budget), refuses or records the payout of a subsidy."""
    require_role(principal, "regulator")
    subsidy = repository.subsidy(session, subsidy_id)
    if subsidy is None:
        raise NotFound(f"no subsidy {subsidy_id}")
    if review.decision == "approve":
        if subsidy.status != "applied":
            raise Conflict(f"the subsidy is {subsidy.status} already")
        if not repository.commit_budget(session, subsidy.policy_id, subsidy.amount_fen):
            raise Conflict("the policy's budget cannot cover this subsidy; it is not approved")
        subsidy.status = "approved"
    elif review.decision == "refuse":
        if subsidy.status != "applied":
            raise Conflict(f"the subsidy is {subsidy.status} already")
        subsidy.status = "refused"
    else:
        if subsidy.status != "approved":
            raise Conflict("only an approved subsidy is paid")
        subsidy.status = "paid"
        subsidy.paid_fen = subsidy.amount_fen
        subsidy.paid_at = utcnow()
        repository.add_paid(session, subsidy.policy_id, subsidy.amount_fen)
    subsidy.reviewed_by = principal.actor
    subsidy.reviewed_at = utcnow()
    subsidy.note = review.note
    session.flush()
    return subsidy


SUBSIDY_STATES = ("applied", "approved", "refused", "paid")


def list_subsidies(
    session: Session,
    principal: Principal,
    *,
    statuses: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SubsidyRead], int]:
    """Subsidy applications with their policy, loan, bank and borrower by name: the regulator (who reviews
    them) all, a bank those on its own loans, a borrower its own; newest first."""
    unknown = [s for s in statuses or () if s not in SUBSIDY_STATES]
    if unknown:
        raise InvalidInput(f"status: one of {', '.join(SUBSIDY_STATES)}")
    bank_code, borrower_code = _reader_scope(
        principal, "subsidies are seen by their borrower, the lending bank and the regulator"
    )
    rows, total = repository.subsidies(
        session, borrower_code=borrower_code, bank_code=bank_code, statuses=statuses, limit=limit, offset=offset
    )
    banks = auth_service.organisation_names(session, {loan.bank_code for _, loan, _ in rows})
    reads = []
    for subsidy, loan, policy in rows:
        read = SubsidyRead.model_validate(subsidy)
        read.policy_title, read.bank_code, read.bank_name = policy.title, loan.bank_code, banks.get(loan.bank_code)
        read.loan_no, read.loan_amount_fen, read.borrower_name = loan.loan_no, loan.amount_fen, loan.borrower_name
        reads.append(read)
    return reads, total


# --- the regulator's dashboard ------------------------------------------------------------------------------


def dashboard(session: Session, principal: Principal) -> dict[str, Any]:
    """Applications, success rate, days to decision, on-time rate and rate against the LPR (overall and by
    institution), open applications past their deadline, and subsidies against budgets."""
    require_role(principal, "regulator")
    rows = repository.dashboard_by_bank(session)
    names = auth_service.organisation_names(session, {row[0] for row in rows})
    banks = []
    totals = {"applications": 0, "decided": 0, "approved": 0, "on_time": 0, "spread": 0}
    for code, applications, decided, approved, on_time, spread in rows:
        decided, approved, on_time, spread = int(decided or 0), int(approved or 0), int(on_time or 0), int(spread or 0)
        banks.append(
            {
                "bank_code": code,
                "bank_name": names.get(code, code),
                "applications": applications,
                "decided": decided,
                "approved": approved,
                "on_time_milli": 1000 * on_time // decided if decided else None,
                "avg_spread_bp": spread // approved if approved else None,
            }
        )
        totals["applications"] += applications
        totals["decided"] += decided
        totals["approved"] += approved
        totals["on_time"] += on_time
        totals["spread"] += spread
    days = [(d - s).total_seconds() / 86400 for s, d in repository.decided_times(session)]
    policies = [
        {
            "id": p.id,
            "title": p.title,
            "budget_fen": p.budget_fen,
            "committed_fen": p.committed_fen,
            "paid_fen": p.paid_fen,
        }
        for p in repository.policies(session)
    ]
    _, overdue = repository.applications(
        session, bank_code=None, borrower_code=None, state=None, overdue=True, limit=0, offset=0
    )
    decided, approved = totals["decided"], totals["approved"]
    return {
        "totals": totals,
        "success_milli": 1000 * approved // decided if decided else None,
        "on_time_milli": 1000 * totals["on_time"] // decided if decided else None,
        "avg_spread_bp": totals["spread"] // approved if approved else None,
        "avg_days_to_decision_tenths": round(10 * sum(days) / len(days)) if days else None,
        "overdue": overdue,
        "banks": banks,
        "policies": policies,
        "lpr_bp": lpr_bp(),
    }


def record_bulk(session: Session, principal: Principal, *, action: str, entity_id: str, after: dict[str, Any]) -> None:
    """One audit event for a bulk write."""
    record(session, principal, action=action, entity_type="market_loan_balance", entity_id=entity_id, after=after)


# --- set-based reads of the loan book (the statistics domain's source) --------------------------------------

BOOK_DIMENSIONS = ("bank", *(name for name in repository.SUMMARY_DIMENSIONS if name != "total"))


def _book_scope(principal: Principal, bank_code: str | None) -> str | None:
    """The bank whose book a principal may read: staff any (None = the region), a bank only its own."""
    require_role(principal, "regulator", "bank")
    if principal.is_staff:
        return bank_code
    own = principal.organisation_code
    if not own or (bank_code is not None and bank_code != own):
        raise Forbidden("a bank sees only its own loan book")
    return own


def book_loans_on(
    session: Session, principal: Principal, *, as_of: date, bank_code: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Every loan with a balance on a day, and its borrowers' balances over the region's whole book.

    Loans are a frame of ``repository.BOOK_LOAN_COLUMNS`` (bank, loan number, borrower kind and
    code, industry, green use, balance fen). For one bank's book the second frame is
    (borrower_code, borrower_fen: balance over every bank) of that bank's borrowers — the
    denominator of attribution, always the whole region's; for the region's book it is None
    (the loans hold every borrower's balance). Scoped as :func:`book_summary`.
    """
    scope = _book_scope(principal, bank_code)
    loans = repository.book_loans_on(session, as_of=as_of, bank_code=scope)
    if scope is None:
        return loans, None
    return loans, repository.borrower_balances_on(session, as_of=as_of, lender=scope)


def load_book(session: Session, principal: Principal, *, loans: Sequence[dict[str, Any]], balances: Any) -> int:
    """Bulk-load a loan book (admins: the demo, benchmarks): loan rows, then a Polars frame of balances.

    ``balances`` has the columns bank_code, loan_no, as_of, balance_fen, quality, import_id;
    rows already stored are skipped. One audit event for the batch; the balances written.
    """
    from greenfin.market.balances import write_rows

    require_role(principal, "admin")
    if loans:
        repository.add_loans(session, loans)
    written = write_rows(session, balances)
    repository.refresh_book_summary(
        session, bank_codes=balances["bank_code"].unique().to_list(), dates=balances["as_of"].unique().to_list()
    )
    record(
        session,
        principal,
        action="load_book",
        entity_type="market_loan_balance",
        entity_id=new_id(),
        after={"loans": len(loans), "balances": written},
    )
    return written


def book_summary(
    session: Session,
    principal: Principal,
    *,
    dates: Sequence[date],
    dimensions: Sequence[str] = (),
    bank_code: str | None = None,
) -> list[tuple[Any, ...]]:
    """Green and all-loan balances (fen) on ``dates`` per value of each of ``dimensions``: rows
    (as_of, dimension, catalogue, key, green fen, all fen), with the ``total`` rows always.

    ``dimensions`` name :data:`BOOK_DIMENSIONS` (bank, county, borrower_kind, industry — the
    GB/T 4754 division —, quality, category: the loan's catalogue and green-use code); a key
    the loan does not carry is None. A loan is green when it carries a green use code. Read off
    the summary kept in step with every balance write (``market_book_summary``). Regulators
    read the region (or one bank), a bank only its own book.
    """
    unknown = [name for name in dimensions if name not in BOOK_DIMENSIONS]
    if unknown:
        raise InvalidInput(f"unknown loan-book dimension {unknown[0]!r}; known: {', '.join(BOOK_DIMENSIONS)}")
    scope = _book_scope(principal, bank_code)
    rows = repository.book_summary(session, dates=dates, dimensions=dimensions, bank_code=scope)
    return [
        (day, dimension, catalogue or None, key or None, int(green or 0), int(every or 0))
        for day, dimension, catalogue, key, green, every in rows
    ]


def book_dates(session: Session, principal: Principal, *, bank_code: str | None = None) -> list[date]:
    """The month-ends with balances in the book a principal may read (scoped as :func:`book_summary`)."""
    return repository.book_dates(session, bank_code=_book_scope(principal, bank_code))


def book_summary_by_bank(
    session: Session, principal: Principal, *, dates: Sequence[date], dimension: str = "total"
) -> list[tuple[Any, ...]]:
    """One dimension's balances per bank (rows: as_of, bank, key or None, green fen, all fen): staff
    every bank's, a bank its own."""
    if dimension not in repository.SUMMARY_DIMENSIONS:
        raise InvalidInput(f"unknown loan-book dimension {dimension!r}")
    scope = _book_scope(principal, None)
    rows = repository.book_summary_by_bank(session, dates=dates, dimension=dimension, bank_code=scope)
    return [(day, bank, key or None, int(green), int(every)) for day, bank, key, green, every in rows]


def region_green_fen(session: Session, principal: Principal, *, as_of: date) -> int:
    """The region's green-loan balance on a month-end: the denominator of a bank's share of the region
    (an aggregate of every bank, given to banks as well as regulators)."""
    require_role(principal, "regulator", "bank")
    rows = repository.book_summary(session, dates=[as_of], dimensions=(), bank_code=None)
    return sum(int(green or 0) for _, dimension, _, _, green, _ in rows if dimension == "total")


GREEN_LOAN_COLUMNS = (
    "bank_code",
    "loan_no",
    "borrower_kind",
    "borrower_code",
    "county_code",
    "industry_code",
    "green_catalogue",
    "green_use",
    "amount_fen",
    "balance_fen",
    "project_investment_fen",
    "annual_co2_reduction_g",
    "standard_coal_saved_g",
    "cod_reduction_g",
    "ammonia_nitrogen_reduction_g",
    "so2_reduction_g",
    "nox_reduction_g",
    "water_saved_g",
)


def green_loans_on(
    session: Session, principal: Principal, *, as_of: date, bank_code: str | None = None
) -> list[tuple[Any, ...]]:
    """Every green loan with a balance on a day, with its project's total investment and yearly benefits
    in grams (for environmental benefits): rows in the order of :data:`GREEN_LOAN_COLUMNS`.
    Scoped as :func:`book_summary`."""
    scope = _book_scope(principal, bank_code)
    return repository.green_loans_on(session, as_of=as_of, bank_code=scope)
