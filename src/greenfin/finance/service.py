"""Use cases of carbon-linked finance: terms, consents, signed carbon credit reports, what-if.

The terms come from :func:`greenfin.finance.rules.terms_for` (pure, teammate-owned) applied
to the borrower's **current** labels: the industrial label from the industry service, the
agricultural label from the agriculture service. Nothing here grades or prices anything on
its own.

Access (decided where the published rules are silent):

* a bank reads a borrower's data — terms, reports — only under a live consent of that
  borrower to that bank (not revoked, not expired); otherwise 403, with the reason;
* once the consent is checked, the platform reads the borrower's accounts **as the
  borrower** (a principal scoped to the borrower's organisation only), never with staff
  rights;
* a report stays readable by the bank that requested it only while the consent lives;
  the borrower and staff can always read it;
* every read of a report (issue, JSON, PDF, page) is an audit event
  ``finance_report_read`` on ``<kind>:<ref>``, which the borrower lists;
* a personal green-credit grade counts only when the bank names the person
  (``resident_ref``) and the borrower is that person — a farm held by its holder, matched
  by the keyed hash of the ID number — and it is read through
  :func:`greenfin.personal.service.grade_for_bank`, i.e. under the person's own grade
  consent to that bank; named without that consent, the terms are refused (403), never
  silently priced without the grade;
* the CLI operator acts *for* an organisation (:func:`acting_for_borrower`,
  :func:`acting_for_bank`): a principal scoped to it alone, audited as ``cli``, so the
  command is refused whatever that organisation would be refused through the API.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from greenfin.agriculture import service as agriculture
from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth_service
from greenfin.auth.schemas import ConsentRecord
from greenfin.auth.service import SYSTEM, Principal, record, require_role, require_tenant
from greenfin.clock import BEIJING
from greenfin.db import new_id, utcnow
from greenfin.errors import Conflict, Forbidden, GreenfinError, InvalidInput, NotFound
from greenfin.finance import repository, signing
from greenfin.finance.models import Report, SigningKey
from greenfin.finance.policy import LABEL_NAMES, LONG_TERM_MONTHS, Policy, load_lpr, load_policy
from greenfin.finance.rules import BaseOffer, BorrowerStanding, Terms, terms_for
from greenfin.finance.schemas import (
    AdjustmentRead,
    BaseOfferIn,
    BorrowerRef,
    ConsentCreate,
    ConsentRead,
    EnergyChangeRead,
    EnterpriseWhatIf,
    EnterpriseWhatIfRead,
    FarmWhatIfIn,
    FarmWhatIfTermsRead,
    ReportReadEvent,
    ReportRequest,
    ReportSummary,
    SignedReport,
    SigningKeyRead,
    StandingRead,
    TermsRead,
    TermsRequest,
    WhatIfSide,
    reference_offer,
)
from greenfin.settings import Settings

REPORT_SCHEMA = "greenfin.carbon-credit-report/3"
"""/3 adds ``next_label_en`` beside ``next_label_zh``; /2 adds English names (industry, county,
farm type, region) to the identity; /2 and /1 reports
stay stored and verifiable as they were signed, and their pages name things from the codes."""
READ_EVENT = "finance_report_read"
REPORT_YEARS = 3
G_PER_T = Decimal(1_000_000)


@dataclass(frozen=True)
class Borrower:
    """Who a report or consent is about."""

    kind: str
    ref: str  # USCC of an enterprise, id of a farm
    code: str  # the organisation code acting for it
    name: str

    @property
    def entity_id(self) -> str:
        return f"{self.kind}:{self.ref}"


def _as_borrower(borrower: Borrower, actor: str) -> Principal:
    """A principal that can read this borrower's accounts and nothing else."""
    return Principal(actor=actor, role="enterprise", organisation_kind="enterprise", organisation_code=borrower.code)


def resolve_borrower(session: Session, *, kind: str, ref: str) -> Borrower:
    """The borrower named by kind and reference (farm id or USCC; enterprise USCC)."""
    if kind == "farm":
        # Identity lookup only: the farm's data is read later as the farm itself.
        farm = agriculture.find_farm(session, SYSTEM, farm_ref=ref)
        return Borrower("farm", farm.id, farm.organisation_code, farm.name)
    if kind == "enterprise":
        from greenfin.industry import service as industry

        organisation = auth_repository.organisation_by_code(session, ref)
        name = organisation.name if organisation else (industry.enterprise_name(session, ref) or ref)
        return Borrower("enterprise", ref, ref, name)
    raise InvalidInput(f"unknown borrower kind {kind!r}; expected enterprise or farm")


def acting_for_borrower(session: Session, *, kind: str, ref: str, actor: str = "cli") -> tuple[Borrower, Principal]:
    """The operator acting for a borrower that exists: a principal scoped to its organisation only."""
    borrower = resolve_borrower(session, kind=kind, ref=ref)
    organisation = auth_repository.organisation_by_code(session, borrower.code)
    if borrower.kind == "enterprise" and (organisation is None or organisation.kind != "enterprise"):
        from greenfin.industry import service as industry

        industry.label_history(session, SYSTEM, uscc=borrower.ref)  # NotFound if not on the register
    principal = Principal(
        actor=actor,
        role="enterprise",
        organisation_id=organisation.id if organisation else None,
        organisation_kind="enterprise",
        organisation_code=borrower.code,
    )
    return borrower, principal


def acting_for_bank(session: Session, *, bank_code: str, actor: str = "cli") -> Principal:
    """The operator acting for a bank: a principal with the bank's role and organisation only."""
    bank = auth_repository.organisation_by_code(session, bank_code)
    if bank is None or bank.kind != "bank":
        raise NotFound(f"no bank with code {bank_code}")
    return Principal(
        actor=actor, role="bank", organisation_id=bank.id, organisation_kind="bank", organisation_code=bank.code
    )


# --- consent --------------------------------------------------------------------------------


SCOPE = "credit_report"  # the scope of auth's consent that finance reads under


def consent_read(consent: ConsentRecord) -> ConsentRead:
    """A consent as the finance API shows it, with its status now."""
    return ConsentRead(
        id=consent.id,
        borrower_kind=consent.subject_kind,  # finance lists enterprise and farm only
        borrower_ref=consent.subject_ref,
        bank_code=consent.organisation_code,
        scope=consent.scope,
        granted_by=consent.granted_by,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
        revoked_at=consent.revoked_at,
        status=consent.status,
    )


def _on_industry_register(session: Session, uscc: str) -> bool:
    from greenfin.industry import service as industry

    try:
        industry.label_history(session, SYSTEM, uscc=uscc)
    except NotFound:
        return False
    return True


def own_borrowers(session: Session, principal: Principal) -> list[Borrower]:
    """The enterprise and the farms the principal acts for, the enterprise first.

    A farm held under a USCC acts through the ``enterprise`` organisation with that USCC; a
    farm held by a person through the organisation ``farm-<id>``. An organisation that holds
    farms counts as an enterprise borrower too only if it is on the industrial register.
    """
    if principal.is_staff or principal.role != "enterprise" or not principal.organisation_code:
        return []
    code = principal.organisation_code
    farms = [
        Borrower("farm", f.id, f.organisation_code, f.name)
        for f in agriculture.farms_of_organisation(session, organisation_code=code)
    ]
    if not farms or _on_industry_register(session, code):
        return [resolve_borrower(session, kind="enterprise", ref=code), *farms]
    return farms


def _own_borrower(session: Session, principal: Principal, farm_ref: str | None) -> Borrower:
    """The borrower the principal acts for: its farm (if named), else its enterprise or its only farm."""
    require_role(principal, "enterprise")
    if farm_ref is not None:
        farm = agriculture.find_farm(session, principal, farm_ref=farm_ref)
        return Borrower("farm", farm.id, farm.organisation_code, farm.name)
    found = own_borrowers(session, principal)
    if not found:
        raise Forbidden("you do not act for an enterprise or farm")
    return found[0]


def _refuse_staff(principal: Principal, act: str) -> None:
    """Consent is the borrower's own act: staff never grant or revoke it for a borrower."""
    if principal.is_staff:
        raise Forbidden(
            f"only the borrower may {act} its consent; staff cannot act on a borrower's behalf "
            "(an operator uses `greenfin finance consent … --as-borrower`, audited as the CLI)"
        )


def grant_consent(session: Session, principal: Principal, *, consent_in: ConsentCreate) -> ConsentRecord:
    """The borrower grants a bank access to its carbon data, for a scope, until a time."""
    _refuse_staff(principal, "grant")
    borrower = _own_borrower(session, principal, consent_in.farm_ref)
    require_tenant(principal, borrower.code)
    bank = auth_repository.organisation_by_code(session, consent_in.bank_code)
    if bank is None or bank.kind != "bank":
        raise NotFound(f"no bank with code {consent_in.bank_code}")
    if consent_in.expires_at.tzinfo is None:
        raise InvalidInput("expires_at: give a timezone (e.g. 2026-12-31T23:59:59+08:00)")
    if consent_in.expires_at <= utcnow():
        raise InvalidInput("expires_at: must be in the future")
    return auth_service.grant_consent(
        session,
        principal,
        subject_kind=borrower.kind,
        subject_ref=borrower.ref,
        subject_code=borrower.code,
        organisation_code=bank.code,
        scope=consent_in.scope,
        expires_at=consent_in.expires_at,
    )


def get_consent(session: Session, principal: Principal, *, consent_id: str) -> ConsentRecord:
    """One consent, if the principal is its borrower, its bank or staff."""
    consent = auth_service.get_consent(session, consent_id=consent_id)
    if consent.scope != SCOPE:
        raise NotFound(f"no consent {consent_id}")
    if not (principal.is_staff or principal.organisation_code in (consent.subject_code, consent.organisation_code)):
        raise Forbidden("you may only see consents of the organisation you act for")
    return consent


def revoke_consent(session: Session, principal: Principal, *, consent_id: str) -> ConsentRecord:
    """The borrower ends a consent now (it is kept, marked revoked)."""
    _refuse_staff(principal, "revoke")
    consent = auth_service.get_consent(session, consent_id=consent_id)
    if consent.scope != SCOPE:
        raise NotFound(f"no consent {consent_id}")
    if principal.organisation_code != consent.subject_code:
        raise Forbidden("you may only revoke consents of the organisation you act for")
    return auth_service.revoke_consent(
        session, principal, consent_id=consent_id, subject_kind=consent.subject_kind, subject_ref=consent.subject_ref
    )


def list_consents(
    session: Session, principal: Principal, *, bank_code: str | None = None, borrower_ref: str | None = None
) -> list[ConsentRead]:
    """The consents the borrower granted, the consents a bank holds, or (staff) all; optionally filtered."""
    if principal.is_staff and principal.organisation_code is None:
        rows = auth_service.list_consents(session, scope=SCOPE, organisation_code=bank_code, subject_ref=borrower_ref)
    elif principal.organisation_code is None:
        raise Forbidden("you do not act for an organisation")
    elif principal.role == "bank":
        if bank_code is not None and bank_code != principal.organisation_code:
            return []
        rows = auth_service.list_consents(
            session, scope=SCOPE, organisation_code=principal.organisation_code, subject_ref=borrower_ref
        )
    else:
        rows = auth_service.list_consents(
            session,
            scope=SCOPE,
            subject_code=principal.organisation_code,
            organisation_code=bank_code,
            subject_ref=borrower_ref,
        )
    return [consent_read(row) for row in rows]


def consent_history(session: Session, principal: Principal) -> tuple[list[ConsentRecord], dict[str, str]]:
    """Every consent of the borrowers the principal acts for, with reads; and their names by ``kind:ref``."""
    require_role(principal, "enterprise")
    borrowers = own_borrowers(session, principal)
    records = [
        r for b in borrowers for r in auth_service.consent_history(session, subject_kind=b.kind, subject_ref=b.ref)
    ]
    records.sort(key=lambda r: r.granted_at, reverse=True)
    return records, {b.entity_id: b.name for b in borrowers}


def require_consent(
    session: Session, principal: Principal, borrower: Borrower, *, purpose: str, entity_id: str | None = None
) -> ConsentRecord | None:
    """Refuse a bank without a live consent of the borrower (the read is logged); staff and the borrower pass."""
    if principal.is_staff or principal.organisation_code == borrower.code:
        return None
    require_role(principal, "bank")
    return auth_service.require_consent(
        session,
        principal,
        subject_kind=borrower.kind,
        subject_ref=borrower.ref,
        scope=SCOPE,
        purpose=purpose,
        entity_id=entity_id,
        refusal=NO_CONSENT,
        grantee="bank",
    )


# --- standings and terms ---------------------------------------------------------------------


def _industrial_label(session: Session, reader: Principal, uscc: str) -> Any | None:
    from greenfin.industry import service as industry

    try:
        history = industry.label_history(session, reader, uscc=uscc)
    except NotFound:
        return None
    return history[0] if history else None


def standings(session: Session, borrower: Borrower, reader: Principal) -> list[tuple[BorrowerStanding, int | None]]:
    """The borrower's current labels as standings, with the year each is for."""
    found: list[tuple[BorrowerStanding, int | None]] = []
    farm_ref: str | None = borrower.ref if borrower.kind == "farm" else None
    if borrower.kind == "enterprise":
        label = _industrial_label(session, reader, borrower.ref)
        if label is not None:
            found.append((BorrowerStanding("industrial", label.label, holder=borrower.ref), label.year))
        farm = agriculture.farm_by_uscc(session, uscc=borrower.ref)
        farm_ref = farm.id if farm is not None else None
    if farm_ref is not None:
        latest = agriculture.latest_assessment(session, reader, farm_ref=farm_ref)
        if latest is not None:
            found.append((BorrowerStanding("agricultural", latest.label, holder=borrower.ref), latest.year))
    return found


def _standing_read(standing: BorrowerStanding, year: int | None) -> StandingRead:
    zh, en = LABEL_NAMES[standing.label_code]
    return StandingRead(
        account_type=standing.account_type,
        label_code=standing.label_code,
        name_zh=zh,
        name_en=en,
        year=year,
        holder=standing.holder,
    )


def _policy(session: Session) -> Policy:
    return load_policy()


def terms_read(
    borrower: Borrower,
    found: list[tuple[BorrowerStanding, int | None]],
    offer: BaseOfferIn,
    *,
    bank_code: str | None,
    policy: Policy,
) -> TermsRead:
    """The traced terms of these standings on this offer."""
    result: Terms = terms_for(
        [s for s, _ in found],
        BaseOffer(
            rate_bp=offer.rate_bp,
            amount_fen=offer.amount_fen,
            term_months=offer.term_months,
            guarantee_fee_bp=offer.guarantee_fee_bp,
        ),
        policy,
        bank_code=bank_code,
    )
    return TermsRead(
        borrower=BorrowerRef(kind=borrower.kind, ref=borrower.ref),
        standings=[_standing_read(s, year) for s, year in found],
        base_offer=offer,
        rate_bp=result.rate_bp,
        amount_fen=result.amount_fen,
        term_months=result.term_months,
        guarantee_fee_bp=result.guarantee_fee_bp,
        fast_track=result.fast_track,
        eligible_products=list(result.eligible_products),
        adjustments=[
            AdjustmentRead(
                rule_id=a.rule_id,
                field=a.field,
                before=list(a.before) if isinstance(a.before, tuple) else a.before,
                after=list(a.after) if isinstance(a.after, tuple) else a.after,
                reason_zh=a.reason_zh,
                reason_en=a.reason_en,
                source=a.source,
            )
            for a in result.adjustments
        ],
        policy_id=result.policy_id,
        bank_code=result.bank_code,
    )


def personal_standing(
    session: Session, principal: Principal, borrower: Borrower, *, resident_ref: str
) -> tuple[BorrowerStanding, int | None]:
    """The personal green-credit grade of the person who is the borrower, read under their grade consent."""
    from greenfin.personal import service as personal

    if borrower.kind != "farm":
        raise InvalidInput("resident_ref: a personal grade counts only for a borrower who is a person (a farm holder)")
    farm = agriculture.find_farm(session, SYSTEM, farm_ref=borrower.ref)
    if farm.holder_id_hash is None:
        raise InvalidInput("resident_ref: this farm is registered by USCC, not held by a person")
    # Consent first (403 for a bank without the person's live grade consent), then the match.
    account, grade, _ = personal.grade_for_bank(session, principal, ref=resident_ref)
    if account.id_hash != farm.holder_id_hash:
        raise InvalidInput("resident_ref: this personal carbon account is not the farm holder's")
    return BorrowerStanding("personal", grade.code, holder=account.ref), None


NO_CONSENT = "the borrower has not granted your bank access to its carbon data"


def _borrower_for(session: Session, principal: Principal, *, kind: str, ref: str, what: str) -> Borrower:
    """The borrower a request names, refused alike whether it exists or not.

    A bank gets the same 403 (no consent) for an unknown farm or enterprise as for one that has
    not consented, so a refusal never reveals who is on the register; an enterprise or farm
    naming another borrower gets the tenancy sentence, not a role error.
    """
    try:
        borrower = resolve_borrower(session, kind=kind, ref=ref)
    except NotFound as exc:
        if principal.role == "bank":
            raise Forbidden(NO_CONSENT) from exc
        if principal.role == "enterprise":
            raise Forbidden(f"you may only request {what} of the enterprise or farm you act for") from exc
        raise
    if principal.role == "enterprise" and principal.organisation_code != borrower.code:
        raise Forbidden(f"you may only request {what} of the enterprise or farm you act for")
    return borrower


def credit_terms(session: Session, principal: Principal, *, request: TermsRequest) -> TermsRead:
    """For this borrower and this base offer: which terms apply, and why (each change traced)."""
    borrower = _borrower_for(session, principal, kind=request.borrower.kind, ref=request.borrower.ref, what="terms")
    require_consent(session, principal, borrower, purpose="credit_terms")
    bank_code = principal.organisation_code if principal.role == "bank" else request.bank_code
    reader = _as_borrower(borrower, principal.actor)
    found = standings(session, borrower, reader)
    if request.resident_ref is not None:
        found.append(personal_standing(session, principal, borrower, resident_ref=request.resident_ref))
    return terms_read(borrower, found, request.base_offer, bank_code=bank_code, policy=_policy(session))


# --- reports ---------------------------------------------------------------------------------


def _s(value: Any) -> str | None:
    """A figure as exact text for the signed document (None stays None)."""
    return None if value is None else str(value)


def _enterprise_section(session: Session, reader: Principal, uscc: str, year: int | None) -> dict[str, Any]:
    from greenfin.industry import service as industry

    history = industry.label_history(session, reader, uscc=uscc)
    newest = year or (history[0].year if history else None)
    if newest is None:
        raise NotFound(f"enterprise {uscc} has no carbon label yet; no report can be issued")
    years: list[dict[str, Any]] = []
    identity: dict[str, Any] | None = None
    for y in range(newest, newest - REPORT_YEARS, -1):
        try:
            account = industry.get_account(session, reader, uscc=uscc, year=y)
        except NotFound:
            continue
        if account.label is None and account.figures is None and not account.total_co2_t:
            continue  # no data reported for that year
        if identity is None:
            e = account.enterprise
            identity = {
                "uscc": e.uscc,
                "name": e.name,
                "county_code": e.county.code,
                "county_name_zh": e.county.name_zh,
                "county_name_en": e.county.name_en,
                "industry_code": e.industry.code,
                "industry_name_zh": e.industry.name_zh,
                "industry_name_en": e.industry.name_en,
            }
        label = account.label
        explanation = label.explanation if label else None
        years.append(
            {
                "year": y,
                "energy_co2_t": _s(account.energy_co2_t),
                "process_co2_t": _s(account.process_co2_t),
                "total_co2_t": _s(account.total_co2_t),
                "energy_tce": _s(account.energy_tce),
                "intensity": {
                    "output_t_per_wan": _s(account.intensities.output_t_per_wan),
                    "added_value_t_per_wan": _s(account.intensities.added_value_t_per_wan),
                    "tax_t_per_wan": _s(account.intensities.tax_t_per_wan),
                    "product_t_per_unit": _s(account.intensities.product_t_per_unit),
                    "product_unit": account.intensities.product_unit,
                },
                "data_quality_pct": {k: _s(v) for k, v in sorted(account.data_quality.items())},
                "label": None
                if label is None
                else {
                    "code": label.label,
                    "name_zh": label.name_zh,
                    "name_en": label.name_en,
                    "methodology_version": label.methodology_version,
                    "factor_set_version": label.factor_set_version,
                    "reason_zh": explanation.reason_zh if explanation else "",
                    "reason_en": explanation.reason_en if explanation else "",
                    "next_label_zh": explanation.next_label.text_zh if explanation and explanation.next_label else None,
                    "next_label_en": explanation.next_label.text_en if explanation and explanation.next_label else None,
                },
                "sources": [
                    {
                        "kind": source.kind,
                        "rows": source.rows,
                        "data_quality": source.provenance.data_quality,
                        "import_id": source.provenance.import_id,
                        "imported_by": source.provenance.imported_by,
                        "organisation_code": source.provenance.organisation_code,
                        "imported_at": _iso(source.provenance.imported_at),
                    }
                    for source in account.sources
                ],
                "conflicts": [
                    {
                        "kind": c.kind,
                        "item_name_zh": c.item_name_zh,
                        "item_name_en": c.item_name_en,
                        "month": c.month,
                        "held": c.held,
                        "held_quality": c.held_provenance.data_quality,
                        "held_by": c.held_provenance.organisation_code or c.held_provenance.imported_by,
                        "held_at": _iso(c.held_provenance.imported_at),
                        "current": c.current,
                        "current_quality": c.current_provenance.data_quality if c.current_provenance else None,
                    }
                    for c in account.conflicts
                ],
                "peers": None
                if explanation is None
                else {
                    "basis": explanation.basis,
                    "peer_group": explanation.peer_group,
                    "peer_count": explanation.peer_count,
                    "benchmark_t_per_wan": _s(explanation.benchmark_t_per_wan),
                    "benchmark_source": explanation.benchmark_source,
                    "k_ratio": _s(explanation.k_ratio),
                    "yoy_change_pct": _s(explanation.yoy_change_pct),
                    "region_contribution_pct": _s(explanation.region_contribution_pct),
                },
            }
        )
    if identity is None:
        raise NotFound(f"enterprise {uscc} has no account for {newest}")
    reductions = []
    for newer, older in itertools.pairwise(years):
        if newer["year"] == older["year"] + 1:
            change = Decimal(newer["total_co2_t"]) - Decimal(older["total_co2_t"])
            reductions.append({"year": newer["year"], "total_co2_change_t": str(change)})
    return {"identity": identity, "years": years, "reductions": reductions}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _farm_section(session: Session, reader: Principal, farm_id: str, year: int | None) -> dict[str, Any]:
    from greenfin.region.service import county_name

    account = agriculture.get_account(session, reader, farm_ref=farm_id)
    farm = account.farm
    county = county_name(farm.county_code)
    assessments = [a for a in account.assessments if year is None or a.year <= year][:REPORT_YEARS]
    if not assessments:
        raise NotFound(f"farm {farm_id} has no assessment yet; no report can be issued")
    years = []
    for a in assessments:
        position = agriculture.peer_position(session, reader, farm_ref=farm_id, year=a.year)
        years.append(
            {
                "year": a.year,
                "methodology_version": a.methodology_version,
                "reduction_co2e_kg": _s(a.co2e_kg),
                "reduction_intensity": _s(a.intensity),
                "intensity_unit": a.unit,
                "denominator": _s(a.denominator),
                "denominator_unit": a.denominator_unit,
                "data_quality": a.data_quality,
                "label": {
                    "code": a.label,
                    "name_zh": a.label_name_zh,
                    "name_en": a.label_name_en,
                    "reason_zh": a.explanation_zh,
                    "reason_en": a.explanation_en,
                    "bands": [
                        {"code": b.code, "min_intensity": _s(b.min_intensity), "name_zh": b.name_zh} for b in a.bands
                    ],
                    "source": a.label_source,
                    "assumption": a.label_assumption,
                },
                "by_practice": [{"practice": r.practice, "co2e_kg": _s(r.co2e_kg)} for r in a.reductions],
                "conflicts": [
                    {
                        "kind": "baseline" if c.baseline else "records",
                        "held_quality": c.data_quality,
                        "held_by": c.submitted_by,
                        "held_at": _iso(c.submitted_at),
                        "current_quality": c.held_against,
                    }
                    for c in account.conflicts
                    if c.year == a.year
                ],
                "peers": None if position is None else {"rank": position[0], "of": position[1]},
            }
        )
    return {
        "identity": {
            "farm_id": farm.id,
            "name": farm.name,
            "farm_type": farm.farm_type,
            "farm_type_name_zh": farm.farm_type_name_zh,
            "farm_type_name_en": farm.farm_type_name_en,
            "uscc": farm.uscc,
            "holder_id_masked": farm.holder_id_masked,
            "county_code": farm.county_code,
            "county_name_zh": county.name_zh,
            "county_name_en": county.name_en,
            "township": farm.township,
            "area_mu": _s(farm.area_mu),
            "herd_heads": farm.herd_heads,
        },
        "years": years,
        "reductions": [{"year": y["year"], "reduction_co2e_kg": y["reduction_co2e_kg"]} for y in years],
    }


def issue_report(session: Session, principal: Principal, *, request: ReportRequest, settings: Settings) -> SignedReport:
    """A bank requests a signed carbon credit report of a consenting borrower; stored and audited."""
    borrower = _borrower_for(
        session, principal, kind=request.borrower.kind, ref=request.borrower.ref, what="carbon credit reports"
    )
    if principal.role == "enterprise":
        raise Forbidden("carbon credit reports are issued to banks, under your consent; grant one to your bank")
    require_role(principal, "bank")
    report_id = new_id()
    consent = require_consent(session, principal, borrower, purpose="credit_report", entity_id=report_id)
    if consent is None:
        raise Forbidden("carbon credit reports are issued to banks, under the borrower's consent")
    bank_code = consent.organisation_code
    reader = _as_borrower(borrower, f"{principal.actor} (consent {consent.id})")
    if borrower.kind == "enterprise":
        section = _enterprise_section(session, reader, borrower.ref, request.year)
    else:
        section = _farm_section(session, reader, borrower.ref, request.year)
    policy = _policy(session)
    offer = request.base_offer or reference_offer(amount_fen=request.amount_fen, term_months=request.term_months)
    terms = terms_read(borrower, standings(session, borrower, reader), offer, bank_code=bank_code, policy=policy)
    key = _signing_key(session, settings)  # registered before the issue time: within its validity
    issued_at = utcnow()
    document = {
        "schema": REPORT_SCHEMA,
        "report_id": report_id,
        "issued_at": issued_at.isoformat(),
        "issuer": {
            "platform": "greenfin",
            "region": policy.region,
            "region_name_zh": policy.region_name_zh,
            "region_name_en": policy.region_name_en,
        },
        "bank": {"code": bank_code, "name": consent.organisation_name},
        "consent": {
            "id": consent.id,
            "scope": consent.scope,
            "granted_at": consent.granted_at.isoformat(),
            "expires_at": consent.expires_at.isoformat(),
        },
        "borrower": {"kind": borrower.kind, "ref": borrower.ref, **section["identity"]},
        "years": section["years"],
        "reductions": section["reductions"],
        "terms": _plain(terms.model_dump(mode="json")),
        "reference_rate": _reference_rate(offer, issued_at),
    }
    envelope = signing.sign(document, key)
    session.add(
        Report(
            id=report_id,
            borrower_kind=borrower.kind,
            borrower_ref=borrower.ref,
            borrower_code=borrower.code,
            bank_code=bank_code,
            consent_id=consent.id,
            issued_at=issued_at,
            issued_by=principal.actor,
            key_id=envelope["signature"]["key_id"],
            sha256=envelope["signature"]["sha256"],
            document=envelope,
        )
    )
    record(
        session,
        principal,
        action="issue",
        entity_type="finance_report",
        entity_id=report_id,
        after={"borrower": borrower.entity_id, "bank_code": bank_code, "consent_id": consent.id},
    )
    _record_read(session, principal, borrower.entity_id, report_id, bank_code, "issue")
    session.flush()
    return SignedReport.model_validate(envelope)


def _reference_rate(offer: BaseOfferIn, issued_at: datetime) -> dict[str, Any]:
    """The LPR in force when the report was issued, that the offer's rate is read against."""
    lpr = load_lpr()
    lpr_bp, quote = lpr.rate_bp(issued_at.astimezone(BEIJING).date(), offer.term_months)
    return {
        "tenor": "5y" if offer.term_months > LONG_TERM_MONTHS else "1y",
        "lpr_bp": lpr_bp,
        "published": quote.published.isoformat(),
        "spread_bp": offer.rate_bp - lpr_bp,
        "source": quote.source,
        "table_version": lpr.version,
    }


def _plain(value: Any) -> Any:
    """JSON with every float turned into exact decimal text (a signed document holds no floats)."""
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record_read(session: Session, principal: Principal, entity_id: str, report_id: str, bank: str, form: str) -> None:
    record(
        session,
        principal,
        action="read",
        entity_type=READ_EVENT,
        entity_id=entity_id,
        after={"report_id": report_id, "bank_code": bank, "form": form},
    )


def read_report(session: Session, principal: Principal, *, report_id: str, form: str = "json") -> Report:
    """A stored report, if the principal may read it now; every read is audited."""
    report = repository.report_by_id(session, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    borrower = Borrower(report.borrower_kind, report.borrower_ref, report.borrower_code, "")
    if principal.role == "bank":
        if principal.organisation_code != report.bank_code:
            raise Forbidden("this report was issued to another bank")
        require_consent(session, principal, borrower, purpose=f"read_report_{form}", entity_id=report.id)
    elif not (principal.is_staff or principal.organisation_code == report.borrower_code):
        raise Forbidden("you may only read reports about the organisation you act for")
    _record_read(session, principal, borrower.entity_id, report.id, report.bank_code, form)
    session.flush()
    return report


def list_reports(session: Session, principal: Principal) -> list[ReportSummary]:
    """Reports a bank requested, or reports issued about the borrower."""
    if principal.organisation_code is None and not principal.is_staff:
        raise Forbidden("you do not act for an organisation")
    if principal.is_staff:
        rows = repository.reports(session)
    elif principal.role == "bank":
        rows = repository.reports(session, bank_code=principal.organisation_code)
    else:
        rows = repository.reports(session, borrower_code=principal.organisation_code)
    return [
        ReportSummary(
            id=r.id,
            borrower_kind=r.borrower_kind,
            borrower_ref=r.borrower_ref,
            borrower_name=str(r.document.get("report", {}).get("borrower", {}).get("name", "")),
            bank_code=r.bank_code,
            issued_at=r.issued_at,
            key_id=r.key_id,
        )
        for r in rows
    ]


def report_reads(
    session: Session, principal: Principal, *, farm_ref: str | None = None, limit: int = 200
) -> list[ReportReadEvent]:
    """Who read reports about the borrower the principal acts for (or a farm it names)."""
    if farm_ref is not None:
        farm = agriculture.find_farm(session, principal, farm_ref=farm_ref)
        entity_id = f"farm:{farm.id}"
    else:
        entity_id = _own_borrower(session, principal, None).entity_id
    rows, _ = auth_repository.audit_events(
        session, entity_type=READ_EVENT, entity_id=entity_id, organisation_id=None, offset=0, limit=limit
    )
    return [
        ReportReadEvent(
            at=row.at,
            actor=row.actor,
            actor_role=row.actor_role,
            bank_code=(row.after or {}).get("bank_code"),
            report_id=(row.after or {}).get("report_id"),
            form=(row.after or {}).get("form"),
        )
        for row in rows
    ]


def _signing_key(session: Session, settings: Settings) -> Ed25519PrivateKey:
    """The platform's signing key, registered in the key list (a retired key is refused)."""
    key = signing.platform_key(settings.signing_key_file, settings.environment)
    register_key(session, key.public_key())
    return key


def register_key(session: Session, public: Ed25519PublicKey) -> SigningKey:
    """The key list's entry of ``public``; a new key retires the one in use (rotation)."""
    kid = signing.key_id(public)
    row = repository.signing_key(session, kid)
    if row is not None:
        if row.valid_to is not None:
            raise Conflict(
                f"signing key {kid} was retired at {row.valid_to.isoformat()} and never signs again; "
                "configure the current key (GREENFIN_SIGNING_KEY_FILE)"
            )
        return row
    now = utcnow()
    repository.retire_signing_keys(session, now)
    row = SigningKey(
        key_id=kid, algorithm=signing.ALGORITHM, public_key=signing.public_key_info(public).public_key, valid_from=now
    )
    session.add(row)
    session.flush()
    return row


def signing_key(session: Session, settings: Settings) -> signing.PublicKeyInfo:
    """The public key the platform signs reports with now."""
    return signing.public_key_info(_signing_key(session, settings).public_key())


def signing_keys(session: Session, settings: Settings) -> list[SigningKeyRead]:
    """The published key list: every key that signed reports, with its validity (public)."""
    _signing_key(session, settings)
    result = []
    for row in repository.signing_keys(session):
        info = signing.public_key_info(signing.load_public_key(row.public_key))
        result.append(
            SigningKeyRead(
                algorithm=row.algorithm,
                key_id=row.key_id,
                public_key=row.public_key,
                public_key_pem=info.public_key_pem,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
        )
    return result


# --- what-if ---------------------------------------------------------------------------------


def farm_what_if(session: Session, principal: Principal, *, what_if_in: FarmWhatIfIn) -> FarmWhatIfTermsRead:
    """A farm adds practices (e.g. a biogas digester): new reduction, label and terms (not stored)."""
    from greenfin.agriculture.schemas import FarmWhatIf

    result = agriculture.what_if(
        session,
        principal,
        farm_ref=what_if_in.farm_ref,
        what_if_in=FarmWhatIf(year=what_if_in.year, add=what_if_in.add),
    )
    farm = agriculture.find_farm(session, principal, farm_ref=result.farm_id)
    borrower = Borrower("farm", farm.id, farm.organisation_code, farm.name)
    policy = _policy(session)
    bank = None
    before = (
        terms_read(
            borrower,
            [(BorrowerStanding("agricultural", result.before.label, holder=farm.id), result.year)],
            what_if_in.base_offer,
            bank_code=bank,
            policy=policy,
        )
        if result.before
        else None
    )
    after = terms_read(
        borrower,
        [(BorrowerStanding("agricultural", result.after.label, holder=farm.id), result.year)],
        what_if_in.base_offer,
        bank_code=bank,
        policy=policy,
    )
    return FarmWhatIfTermsRead(
        farm_id=result.farm_id,
        year=result.year,
        before=result.before,
        after=result.after,
        change_kg=result.change_kg,
        terms_before=before,
        terms_after=after,
    )


def _grams(tonnes: Decimal | None) -> int | None:
    return None if tonnes is None else int((tonnes * G_PER_T).to_integral_value(ROUND_HALF_EVEN))


def enterprise_what_if(session: Session, principal: Principal, *, what_if_in: EnterpriseWhatIf) -> EnterpriseWhatIfRead:
    """An enterprise changes its energy mix or volumes: new emissions, label and terms (not stored).

    Emissions are recomputed with the carbon rules (``greenfin.carbon.rules.calculate``) on the
    year's energy by type, and the label with the industry rules (``grade``/``explain``) against
    the stored peer benchmark and previous-year intensity of the year's label. The change is
    applied as a difference to the stored figures, so no change gives exactly the stored label.
    """
    from greenfin.carbon.factors import load_factor_set
    from greenfin.carbon.rules import CalculationItem, LineResult, calculate
    from greenfin.carbon.units import unit_by_symbol
    from greenfin.finance.policy import load_what_if_method
    from greenfin.finance.rules import substitute_useful_energy
    from greenfin.industry import rules as industry_rules
    from greenfin.industry import service as industry
    from greenfin.industry.methodology import load_methodology as industry_methodology

    require_tenant(principal, what_if_in.uscc)
    require_role(principal, "enterprise")
    history = industry.label_history(session, principal, uscc=what_if_in.uscc)
    if not history:
        raise NotFound(f"enterprise {what_if_in.uscc} has no carbon label yet")
    year = what_if_in.year or history[0].year
    account = industry.get_account(session, principal, uscc=what_if_in.uscc, year=year)
    label = account.label
    if label is None:
        raise NotFound(f"enterprise {what_if_in.uscc} has no label for {year}")
    factor_set = load_factor_set(label.factor_set_version)
    region = account.enterprise.county.code
    assumptions: list[str] = []
    assumptions_zh: list[str] = []

    # Quantities by energy in the canonical unit (kg, Nm3, kWh, MJ).
    before: dict[str, Decimal] = {}
    for line in account.by_energy:
        spec = factor_set.energy(line.energy)
        canonical = line.quantity * unit_by_symbol(line.unit).per_canonical
        before[spec.key] = before.get(spec.key, Decimal(0)) + canonical
    after = dict(before)

    method = load_what_if_method()

    def kgce_per_canonical(energy: str) -> Decimal:
        return factor_set.energy(energy).standard_coal.value

    for change in what_if_in.changes:
        if change.kind == "scale":
            key = factor_set.energy(change.energy).key
            after[key] = after.get(key, Decimal(0)) * (1 + change.change_pct / 100)
        elif change.kind == "shift":
            src, dst = factor_set.energy(change.from_energy).key, factor_set.energy(change.to_energy).key
            moved = after.get(src, Decimal(0)) * change.share_pct / 100
            after[src] = after.get(src, Decimal(0)) - moved
            if dst == "electricity":
                technology = method.technology(change.technology)
                to_efficiency, how = technology.efficiency, f"{technology.name_en} ({technology.efficiency})"
                how_zh = f"{technology.name_zh}（{technology.efficiency}）"
            else:
                to_efficiency, how = method.efficiency_of(dst), f"{dst} equipment ({method.efficiency_of(dst)})"
                how_zh = f"{factor_set.energy(dst).name_zh}设备（{method.efficiency_of(dst)}）"
            after[dst] = after.get(dst, Decimal(0)) + substitute_useful_energy(
                moved,
                from_kgce_per_unit=kgce_per_canonical(src),
                from_efficiency=method.efficiency_of(src),
                to_kgce_per_unit=kgce_per_canonical(dst),
                to_efficiency=to_efficiency,
            )
            assumptions.append(
                f"{change.share_pct}% of {src} moved to {dst} at equal useful energy: "
                f"{src} equipment efficiency {method.efficiency_of(src)}, {how} (what-if method {method.version})"
            )
            src_zh, dst_zh = factor_set.energy(src).name_zh, factor_set.energy(dst).name_zh
            assumptions_zh.append(
                f"{change.share_pct}% 的{src_zh}按等有效能量替换为{dst_zh}：{src_zh}设备效率 "
                f"{method.efficiency_of(src)}，{how_zh}（情景测算方法 {method.version}）"
            )
        else:  # solar
            grid = factor_set.energy("electricity").key
            used = min(after.get(grid, Decimal(0)), change.kwh * unit_by_symbol("kWh").per_canonical)
            after[grid] = after.get(grid, Decimal(0)) - used
            if used < change.kwh * unit_by_symbol("kWh").per_canonical:
                assumptions.append("PV above the year's grid electricity is not counted (no export credit)")
                assumptions_zh.append("光伏发电超过当年电网购电量的部分不计入（不计上网抵扣）")
    after = {k: max(v, Decimal(0)) for k, v in after.items()}

    def compute(quantities: dict[str, Decimal]) -> dict[str, LineResult]:
        keys = sorted(quantities)
        items = [CalculationItem(k, quantities[k], factor_set.energy(k).canonical_unit) for k in keys]
        results = calculate(items, year=year, region=region, factor_set=factor_set)
        lines: dict[str, LineResult] = {}
        for key, result in zip(keys, results, strict=True):
            if not isinstance(result, LineResult):
                raise InvalidInput(f"{key}: {result.error}")
            lines[key] = result
        return lines

    lines_before, lines_after = compute(before), compute(after)
    delta_t = sum((r.tco2 for r in lines_after.values()), Decimal(0)) - sum(
        (r.tco2 for r in lines_before.values()), Decimal(0)
    )
    delta_g = _grams(delta_t) or 0
    energy_g = _grams(account.energy_co2_t) or 0
    total_g = _grams(account.total_co2_t) or 0
    methodology = industry_methodology(label.methodology_version)
    explanation = label.explanation
    stored_intensity = _grams(explanation.intensity_t_per_wan)
    basis_fen = _basis_fen(account, explanation.basis)
    # Which CO2 figure the stored intensity rests on (total or energy-only): the one that reproduces it.
    co2_basis = total_g
    if (
        basis_fen
        and stored_intensity is not None
        and industry_rules.intensity_g_per_wan(total_g, basis_fen) != stored_intensity
        and industry_rules.intensity_g_per_wan(energy_g, basis_fen) == stored_intensity
    ):
        co2_basis = energy_g
    new_intensity = industry_rules.intensity_g_per_wan(co2_basis + delta_g, basis_fen) if basis_fen else None
    figures = industry_rules.Figures(
        intensity_g=new_intensity,
        previous_g=_grams(explanation.previous_intensity_t_per_wan),
        benchmark_g=_grams(explanation.benchmark_t_per_wan),
        benchmark_source=explanation.benchmark_source,
        peer_group=explanation.peer_group,
        peer_count=explanation.peer_count,
    )
    new_label = industry_rules.grade(figures, methodology)
    new_explanation = industry_rules.explain(figures, methodology, new_label)

    borrower = Borrower("enterprise", what_if_in.uscc, what_if_in.uscc, account.enterprise.name)
    policy = _policy(session)
    others = [s for s in standings(session, borrower, principal) if s[0].account_type != "industrial"]
    terms_before = terms_read(
        borrower,
        [(BorrowerStanding("industrial", label.label, holder=borrower.ref), year), *others],
        what_if_in.base_offer,
        bank_code=None,
        policy=policy,
    )
    terms_after = terms_read(
        borrower,
        [(BorrowerStanding("industrial", new_label, holder=borrower.ref), year), *others],
        what_if_in.base_offer,
        bank_code=None,
        policy=policy,
    )
    zh, en = LABEL_NAMES[new_label]
    energies = []
    for key in sorted(set(before) | set(after)):
        b, a = lines_before[key], lines_after[key]
        spec = factor_set.energy(key)
        energies.append(
            EnergyChangeRead(
                energy=key,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                before_quantity=b.canonical_quantity.quantize(Decimal("0.001")),
                after_quantity=a.canonical_quantity.quantize(Decimal("0.001")),
                unit=b.canonical_unit,
                before_tco2=b.tco2.quantize(Decimal("0.000001")),
                after_tco2=a.tco2.quantize(Decimal("0.000001")),
            )
        )
    return EnterpriseWhatIfRead(
        uscc=what_if_in.uscc,
        year=year,
        basis=explanation.basis,
        benchmark_t_per_wan=explanation.benchmark_t_per_wan,
        energies=energies,
        before=WhatIfSide(
            total_co2_t=account.total_co2_t,
            intensity_t_per_wan=explanation.intensity_t_per_wan,
            label=label.label,
            label_name_zh=label.name_zh,
            label_name_en=label.name_en,
            reason_zh=explanation.reason_zh,
            reason_en=explanation.reason_en,
            terms=terms_before,
        ),
        after=WhatIfSide(
            total_co2_t=Decimal(total_g + delta_g) / G_PER_T,
            intensity_t_per_wan=None if new_intensity is None else Decimal(new_intensity) / G_PER_T,
            label=new_label,
            label_name_zh=zh,
            label_name_en=en,
            reason_zh=new_explanation.reason_zh,
            reason_en=new_explanation.reason_en,
            terms=terms_after,
        ),
        assumptions=assumptions,
        assumptions_zh=assumptions_zh,
    )


def _basis_fen(account: Any, basis: str) -> int | None:
    figures = account.figures
    if figures is None:
        return None
    value = {
        "added_value": figures.added_value_yuan,
        "output_value": figures.output_value_yuan,
        "tax": figures.tax_yuan,
    }.get(basis)
    return None if value is None else int((value * 100).to_integral_value(ROUND_HALF_EVEN))


__all__ = [
    "Borrower",
    "GreenfinError",
    "acting_for_bank",
    "acting_for_borrower",
    "credit_terms",
    "enterprise_what_if",
    "farm_what_if",
    "get_consent",
    "grant_consent",
    "issue_report",
    "list_consents",
    "list_reports",
    "own_borrowers",
    "personal_standing",
    "read_report",
    "register_key",
    "report_reads",
    "revoke_consent",
    "signing_key",
    "signing_keys",
]
