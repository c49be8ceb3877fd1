"""Two Mountains Bank use cases: value by a method, register assets, store documents and valuations.

Who may do what: staff (admin, regulator) and the staff of a county's ecological bank (an
organisation registered as an :class:`~greenfin.ecobank.models.Operator`) register and value
that county's assets; an owner — a village collective acting as its organisation, or a
farmer logged in as a resident with a personal account — sees its own assets. Anyone
logged in may use the calculator (:func:`calculate`), which stores nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.clock import beijing_today
from greenfin.db import utcnow
from greenfin.ecobank import repository as repo
from greenfin.ecobank import rules
from greenfin.ecobank.methodology import Methods, load_ltv, load_methods
from greenfin.ecobank.models import (
    Asset,
    Certificate,
    Deposit,
    Document,
    Operator,
    Payment,
    Pledge,
    Project,
    ProjectShare,
    Valuation,
)
from greenfin.ecobank.repository import AssetFilter
from greenfin.ecobank.schemas import (
    DOCUMENT_KINDS,
    METHOD_INPUTS,
    AssetCreate,
    AssetListItem,
    AssetRead,
    ComparableIn,
    CostIn,
    DepositCreate,
    DepositRead,
    DistributionCreate,
    DocumentRead,
    GepIn,
    IncomeIn,
    LtvRead,
    MarketIn,
    OperatorCreate,
    PaymentCreate,
    PaymentRead,
    PledgeCreate,
    PledgeEnd,
    PledgeRead,
    ProjectCreate,
    ProjectRead,
    ReversalCreate,
    ShareCreate,
    ShareRead,
    SummaryCell,
    SummaryFigures,
    SummaryGroup,
    SummaryPayment,
    SummaryPledge,
    SummaryRead,
    ValuationCreate,
    ValuationRead,
    ValuationResult,
)
from greenfin.errors import Conflict, Forbidden, InvalidInput, NotFound
from greenfin.region import service as region

M = TypeVar("M", bound=BaseModel)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MONEY_METHODS = ("income", "market", "cost")


# --- identity: the one place that reaches the keyed hash of personal identifiers ----------------


def _farmer_identity(id_number: str, name: str, secret_key: str) -> tuple[str, str]:
    """A farmer's keyed ID hash and masked display (keyed identity lives in auth)."""
    normalised = identity.normalise_id_number(id_number)
    masked = f"{identity.mask_name(name)} {identity.mask_id_number(normalised)}"
    return identity.id_hash(normalised, secret_key), masked


def _own_id_hash(session: Session, principal: Principal) -> str | None:
    """The keyed ID hash of a resident acting for themself (through their personal account), else None."""
    if principal.role != "resident" or principal.user_id is None:
        return None
    from greenfin.personal import service as personal

    try:
        return personal.account_for(session, principal, "me").id_hash
    except NotFound:
        return None


# --- the calculator --------------------------------------------------------------------------


def _input_problem(exc: ValidationError) -> InvalidInput:
    errors = [
        {"field": ".".join(str(part) for part in err["loc"]) or "input", "reason": err["msg"]} for err in exc.errors()
    ]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"{first['field']}: {first['reason']}{more}", errors=errors)


def parse_model(model: type[M], payload: Any) -> M:
    """``payload`` validated as ``model`` (InvalidInput names every bad field)."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("the input must be one JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise _input_problem(exc) from exc


def parse_inputs(method: str, payload: Any) -> IncomeIn | MarketIn | CostIn | GepIn:
    """The method's input object, validated."""
    model = METHOD_INPUTS.get(method)
    if model is None:
        raise InvalidInput(f"unknown method {method!r}; known: {', '.join(METHOD_INPUTS)}")
    return parse_model(model, payload)  # type: ignore[return-value]


def _comparable(item: ComparableIn, index: int) -> rules.Comparable:
    corrections = {}
    for factor in rules.MARKET_FACTORS:
        raw = getattr(item, factor)
        if raw is not None:
            corrections[factor] = rules.parse_ratio(raw, f"comparables[{index}].{factor}")
    return rules.Comparable(item.price_per_mu, corrections, item.weight, item.reference)


def _result(
    methods: Methods,
    method: str,
    value: Decimal,
    details: Mapping[str, Any],
    *,
    confidence: str | None = None,
    formula: str | None = None,
) -> ValuationResult:
    spec = methods.methods[method]
    return ValuationResult(
        method=method,
        method_version=methods.version,
        formula=formula or spec.formula,
        value=value,
        value_fen=rules.yuan_to_fen(value),
        per_year=method == "gep",
        confidence=confidence or spec.confidence,
        details=dict(details),
    )


def calculate(method: str, payload: Any, *, methods_version: str | None = None) -> ValuationResult:
    """Value by ``method`` from its input object; nothing is stored."""
    methods = load_methods(methods_version)
    item = parse_inputs(method, payload)
    if isinstance(item, IncomeIn):
        income = rules.income_value(rules.IncomeInput(**item.model_dump()))
        figures = {"annual_net_income": income.annual_net_income, "annuity_factor": income.annuity_factor}
        return _result(methods, method, income.value, figures, formula=income.formula)
    if isinstance(item, MarketIn):
        bound = methods.methods["market"].max_combined_correction
        comparables = [_comparable(c, i) for i, c in enumerate(item.comparables)]
        market = rules.market_value(comparables, area_mu=item.area_mu, max_correction=bound.value if bound else None)
        details = {
            "price_per_mu": market.price_per_mu,
            "corrected_prices_per_mu": list(market.corrected),
            "max_combined_correction": bound.value if bound else None,
        }
        return _result(methods, method, market.value, details)
    if isinstance(item, CostIn):
        cost = rules.cost_value(rules.CostInput(**item.model_dump()))
        return _result(methods, method, cost.value, {"condition_factor": cost.condition_factor})
    gep = rules.gep_value(
        prices=methods.gep.service_prices(),
        quantities=item.quantities,
        default_rates=methods.gep.default_rates(item.kind),
        area_mu=item.area_mu,
    )
    services = [
        {
            "service": row.service,
            "quantity": row.quantity,
            "price_unit": row.unit,
            "price": row.price,
            "value": row.value,
            "quantity_source": row.quantity_source,
            "confidence": row.confidence,
        }
        for row in gep.services
    ]
    return _result(methods, method, gep.value_per_year, {"services": services}, confidence=gep.confidence)


def methods_summary() -> dict[str, Any]:
    """The current methods and loan-to-value caps with their sources (for the API and pages)."""
    methods, ltv = load_methods(), load_ltv()
    return {
        "methods_version": methods.version,
        "methods": {key: spec.model_dump(mode="json") for key, spec in methods.methods.items()},
        "gep_prices": {key: price.model_dump(mode="json") for key, price in methods.gep.prices.items()},
        "gep_defaults": methods.model_dump(mode="json")["gep"]["defaults"],
        "ltv_version": ltv.version,
        "ltv_caps": {key: cap.model_dump(mode="json") for key, cap in ltv.caps.items()},
    }


# --- who may do what ----------------------------------------------------------------------------


def _operator_of(session: Session, principal: Principal) -> Operator | None:
    if principal.organisation_code is None:
        return None
    return repo.operator_by_code(session, principal.organisation_code)


def _require_writer(session: Session, principal: Principal, county_code: str) -> None:
    """Staff, or the ecological bank of ``county_code``."""
    if principal.is_staff:
        return
    operator = _operator_of(session, principal)
    if operator is None:
        raise Forbidden("only staff and an ecological bank's staff register and value ecological assets")
    if operator.county_code != county_code:
        raise Forbidden(f"your ecological bank serves county {operator.county_code}, not {county_code}")


def _scope(session: Session, principal: Principal) -> AssetFilter:
    """The assets a principal may list: staff all, an ecological bank its county, a lending bank those
    it holds (or held) a pledge on, an owner its own."""
    if principal.is_staff:
        return AssetFilter()
    operator = _operator_of(session, principal)
    if operator is not None:
        return AssetFilter(county_code=operator.county_code)
    if principal.role == "bank" and principal.organisation_code:
        return AssetFilter(pledged_to=principal.organisation_code)
    own_hash = _own_id_hash(session, principal)
    if principal.organisation_code is None and own_hash is None:
        raise Forbidden("only staff, an ecological bank and owners see ecological assets")
    return AssetFilter(owner_code=principal.organisation_code or "", owner_id_hash=own_hash or "")


def _visible(session: Session, principal: Principal, asset: Asset) -> bool:
    """Staff, the asset's ecological bank, its owner — and a bank holding (or having held) a pledge on it."""
    scope = _scope(session, principal)
    if scope.pledged_to is not None:
        return bool(repo.pledges(session, asset_id=asset.id, bank_code=scope.pledged_to))
    if scope.owner_code is None and scope.owner_id_hash is None:
        return scope.county_code in (None, asset.county_code)
    return bool(
        (asset.owner_code and asset.owner_code == scope.owner_code)
        or (asset.owner_id_hash and asset.owner_id_hash == scope.owner_id_hash)
    )


def operator_names(session: Session) -> dict[str, str]:
    """The ecological banks' names by organisation code."""
    return {operator.organisation_code: operator.name for operator in repo.operators(session)}


def register_operator(session: Session, principal: Principal, *, operator_in: OperatorCreate) -> Operator:
    """Name an organisation as a county's ecological bank (admin)."""
    auth.require_role(principal, "admin")
    if repo.operator_by_code(session, operator_in.organisation_code) is not None:
        raise Conflict(f"{operator_in.organisation_code} is an ecological bank already")
    operator = Operator(**operator_in.model_dump())
    session.add(operator)
    session.flush()
    return operator


# --- the registry -----------------------------------------------------------------------------


def remaining_years(right_end: date | None, *, today: date | None = None) -> int | None:
    """Whole years left until ``right_end`` (0 once it has passed; None without an end)."""
    if right_end is None:
        return None
    today = today or beijing_today()
    years = right_end.year - today.year - ((right_end.month, right_end.day) < (today.month, today.day))
    return max(years, 0)


def register_asset(session: Session, principal: Principal, *, asset_in: AssetCreate, secret_key: str) -> Asset:
    """Put an ecological asset on the registry; a certificate number held by another asset is refused."""
    _require_writer(session, principal, asset_in.county_code)
    taken = repo.taken_certificates(session, asset_in.certificates)
    if taken:
        raise Conflict(f"certificate {taken[0]} is registered already")
    owner = asset_in.owner
    if owner.kind == "farmer":
        assert owner.id_number is not None and owner.name is not None
        id_hash, display = _farmer_identity(owner.id_number, owner.name, secret_key)
        owner_code = None
    else:
        id_hash, display, owner_code = None, owner.collective_name or "", owner.collective_code
    asset = Asset(
        kind=asset_in.kind,
        name=asset_in.name,
        crop=asset_in.crop,
        owner_kind=owner.kind,
        owner_code=owner_code,
        owner_id_hash=id_hash,
        owner_display=display,
        county_code=asset_in.county_code,
        township_code=asset_in.township_code,
        village_code=asset_in.village_code,
        area_milli_mu=int(asset_in.area_mu * 1000),
        certificate=asset_in.certificates[0],
        right_start=asset_in.right_start,
        right_end=asset_in.right_end,
        note=asset_in.note,
        registered_at=utcnow(),
        registered_by=principal.actor,
    )
    session.add(asset)
    session.flush()
    for position, number in enumerate(asset_in.certificates):
        session.add(Certificate(number=number, asset_id=asset.id, position=position))
    try:
        session.flush()
    except IntegrityError as exc:  # another registration took the number between our check and insert
        raise Conflict(
            "a certificate number of this asset was registered at the same moment by another request"
        ) from exc
    return asset


def get_asset(session: Session, principal: Principal, asset_id: str) -> Asset:
    """An asset the principal may see (the same refusal whether it exists or not)."""
    asset = repo.asset_by_id(session, asset_id)
    if asset is None:
        if principal.is_staff:
            raise NotFound(f"no ecological asset {asset_id}")
        raise Forbidden("you may see only the ecological assets you own or serve")
    if not _visible(session, principal, asset):
        raise Forbidden("you may see only the ecological assets you own or serve")
    return asset


def asset_read(session: Session, asset: Asset, *, today: date | None = None) -> AssetRead:
    """The API shape of an asset (with its certificates and remaining term)."""
    return AssetRead(
        id=asset.id,
        kind=asset.kind,
        name=asset.name,
        crop=asset.crop,
        owner_kind=asset.owner_kind,
        owner_code=asset.owner_code,
        owner_display=asset.owner_display,
        county_code=asset.county_code,
        township_code=asset.township_code,
        village_code=asset.village_code,
        area_milli_mu=asset.area_milli_mu,
        area_mu=Decimal(asset.area_milli_mu) / 1000,
        certificates=repo.certificates_of(session, asset.id),
        right_start=asset.right_start,
        right_end=asset.right_end,
        remaining_years=remaining_years(asset.right_end, today=today),
        status=asset.status,
        value_fen=asset.value_fen,
        valued_on=asset.valued_on,
        registered_at=asset.registered_at,
    )


def _list_item(asset: Asset) -> AssetListItem:
    return AssetListItem.model_validate(asset, from_attributes=True)


def list_assets(
    session: Session,
    principal: Principal,
    *,
    county_code: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AssetListItem], int]:
    """One page of the registry as the principal may see it, filtered by county and kind."""
    where = _scope(session, principal)
    if county_code:
        if where.county_code not in (None, county_code):
            return [], 0
        where = replace(where, county_code=county_code, kind=kind or None)
    elif kind:
        where = replace(where, kind=kind)
    items, total = repo.list_assets(session, where, offset=offset, limit=limit)
    return [_list_item(asset) for asset in items], total


def export_assets(
    session: Session, principal: Principal, *, county_code: str | None = None, kind: str | None = None
) -> Iterator[AssetListItem]:
    """Every asset of the filtered registry the principal may see (for a CSV export), read in batches.

    The export is audited at once; consume the iterator within the same transaction.
    """
    where = _scope(session, principal)
    auth.record(session, principal, action="export", entity_type="ecobank_asset", after={"county": county_code})
    if county_code and where.county_code not in (None, county_code):
        return iter(())
    where = replace(where, county_code=county_code or where.county_code, kind=kind or None)
    return (_list_item(asset) for asset in repo.iter_assets(session, where))


def counties(session: Session, principal: Principal) -> list[str]:
    """County codes with assets the principal may filter by."""
    where = _scope(session, principal)
    if where.county_code:
        return [where.county_code]
    return sorted(set(_region_counties()) | set(repo.operator_counties(session)))


# --- documents -------------------------------------------------------------------------------


def add_document(
    session: Session,
    principal: Principal,
    *,
    asset_id: str,
    filename: str,
    content_type: str,
    content: bytes,
    kind: str = "other",
) -> Document:
    """Store a file of an asset with its SHA-256 and its kind (``schemas.DOCUMENT_KINDS``); the owner's signed
    consent to a pledge (``pledge_consent``) is received by the asset's ecological bank, which files it here."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(
            f"kind: {kind!r} is not a document kind ({', '.join(DOCUMENT_KINDS)})", errors=[{"field": "kind"}]
        )
    asset = get_asset(session, principal, asset_id)
    _require_writer(session, principal, asset.county_code)
    if not content:
        raise InvalidInput("the file is empty", errors=[{"field": "file", "reason": "empty"}])
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    document = Document(
        asset_id=asset.id,
        filename=filename[-200:] or "document",
        content_type=(content_type or "application/octet-stream")[:100],
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        kind=kind,
        content=content,
        uploaded_at=utcnow(),
        uploaded_by=principal.actor,
    )
    session.add(document)
    session.flush()
    return document


def documents(session: Session, principal: Principal, *, asset_id: str) -> list[DocumentRead]:
    """An asset's stored files (without their content)."""
    asset = get_asset(session, principal, asset_id)
    return [DocumentRead.model_validate(d, from_attributes=True) for d in repo.documents_of(session, asset.id)]


def document_content(session: Session, principal: Principal, *, asset_id: str, document_id: str) -> Document:
    """A stored file of an asset the principal may see."""
    asset = get_asset(session, principal, asset_id)
    document = repo.document(session, document_id)
    if document is None or document.asset_id != asset.id:
        raise NotFound(f"no document {document_id} on asset {asset_id}")
    return document


# --- valuations ------------------------------------------------------------------------------


def _with_asset_defaults(asset: Asset, method: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs, completed from the asset where the method needs what the registry knows."""
    filled = dict(inputs)
    area = Decimal(asset.area_milli_mu) / 1000
    if method in ("market", "gep"):
        filled.setdefault("area_mu", area)
    if method == "gep":
        filled.setdefault("kind", asset.kind)
    if method == "income" and "years" not in filled:
        years = remaining_years(asset.right_end)
        if years:
            filled["years"] = years
    return filled


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def appraise(session: Session, principal: Principal, *, asset_id: str, valuation_in: ValuationCreate) -> Valuation:
    """Value an asset by a method and keep the valuation; a money value becomes the asset's current one."""
    asset = get_asset(session, principal, asset_id)
    _require_writer(session, principal, asset.county_code)
    if valuation_in.method == "gep" and asset.kind not in load_methods().methods["gep"].kinds:
        raise InvalidInput(f"GEP is accounted for forest, water and carbon-sink assets, not {asset.kind}")
    inputs = _with_asset_defaults(asset, valuation_in.method, valuation_in.inputs)
    result = calculate(valuation_in.method, inputs)
    valued_on = valuation_in.valued_on or beijing_today()
    if valued_on > beijing_today():
        raise InvalidInput("valued_on is in the future", errors=[{"field": "valued_on", "reason": "in the future"}])
    valuation = Valuation(
        asset_id=asset.id,
        method=result.method,
        method_version=result.method_version,
        inputs=_jsonable(inputs),
        parameters=_jsonable(result.details),
        formula=result.formula[:200],
        value_fen=result.value_fen,
        per_year=result.per_year,
        confidence=result.confidence,
        valuer=valuation_in.valuer,
        valued_on=valued_on,
        recorded_by=principal.actor,
        created_at=utcnow(),
    )
    session.add(valuation)
    if result.method in MONEY_METHODS and (asset.valued_on is None or valued_on >= asset.valued_on):
        asset.value_fen, asset.valued_on = result.value_fen, valued_on
    session.flush()
    return valuation


def valuations(session: Session, principal: Principal, *, asset_id: str) -> list[ValuationRead]:
    """An asset's valuation history, newest first."""
    asset = get_asset(session, principal, asset_id)
    return [ValuationRead.model_validate(v, from_attributes=True) for v in repo.valuations_of(session, asset.id)]


def ltv(asset: Asset, *, yearly_income_fen: int | None = None) -> LtvRead:
    """The loan-to-value cap of the asset's kind and the loan it allows on the latest appraisal."""
    policy = load_ltv()
    cap = policy.cap(asset.kind)
    basis_known = asset.value_fen if cap.basis == "appraised_value" else yearly_income_fen
    limit = None
    if basis_known is not None:
        limit = rules.max_loan_fen(cap, appraised_value_fen=asset.value_fen, yearly_income_fen=yearly_income_fen)
    return LtvRead(
        kind=asset.kind,
        policy_version=policy.version,
        basis=cap.basis,
        ratio=cap.ratio,
        confidence=cap.confidence,
        source=policy.caps[asset.kind].source,
        max_loan_fen=limit,
    )


def _region_counties() -> list[str]:
    """The configured region's county codes (``greenfin.region``)."""
    return list(region.county_names())


def county_name(code: str, lang: str) -> str:
    """A county's name in ``lang`` (the code when it is no county of the shipped regions)."""
    return region.county_label(code, lang)


def kinds() -> Sequence[str]:
    """The kinds of ecological asset."""
    return rules.ASSET_KINDS


# --- deposits (存入) and the payment ledger ------------------------------------------------------


def _deposit_read(deposit: Deposit, paid: int) -> DepositRead:
    return DepositRead.model_validate({**_columns(deposit), "paid_fen": paid})


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def deposit_asset(session: Session, principal: Principal, *, asset_id: str, deposit_in: DepositCreate) -> DepositRead:
    """Deposit an asset's use right with the county's ecological bank for a term; one active deposit per asset."""
    asset = get_asset(session, principal, asset_id)
    code = _bank_for(session, principal, asset.county_code, deposit_in.operator_code)
    if repo.active_deposit(session, asset.id) is not None:
        raise Conflict("this asset is deposited already; end that deposit first")
    deposit = Deposit(
        asset_id=asset.id,
        operator_code=code,
        start_on=deposit_in.start_on,
        end_on=deposit_in.end_on,
        income_kind=deposit_in.income_kind,
        rent_fen_per_year=deposit_in.rent_fen_per_year,
        status="active",
        created_at=utcnow(),
        created_by=principal.actor,
    )
    session.add(deposit)
    asset.status = "deposited"
    try:
        session.flush()
    except IntegrityError as exc:  # the partial unique index: another deposit won the race
        raise Conflict("this asset was deposited at the same moment by another request") from exc
    return _deposit_read(deposit, 0)


def _deposit_for(session: Session, principal: Principal, deposit_id: str) -> tuple[Deposit, Asset]:
    deposit = repo.deposit(session, deposit_id)
    if deposit is None:
        raise NotFound(f"no deposit {deposit_id}")
    return deposit, get_asset(session, principal, deposit.asset_id)


def end_deposit(session: Session, principal: Principal, *, deposit_id: str) -> DepositRead:
    """End an active deposit (the term is over or the parties agreed); its ledger stays."""
    deposit, asset = _deposit_for(session, principal, deposit_id)
    _require_writer(session, principal, asset.county_code)
    if deposit.status != "active":
        raise Conflict("this deposit has ended already")
    deposit.status = "ended"
    asset.status = "registered"
    session.flush()
    return _deposit_read(deposit, repo.paid_fen(session, [deposit.id]).get(deposit.id, 0))


def deposits(session: Session, principal: Principal, *, asset_id: str) -> list[DepositRead]:
    """An asset's deposits, newest first, each with what it has paid."""
    asset = get_asset(session, principal, asset_id)
    rows = repo.deposits_of(session, asset.id)
    paid = repo.paid_fen(session, [row.id for row in rows])
    return [_deposit_read(row, paid.get(row.id, 0)) for row in rows]


def record_payment(
    session: Session, principal: Principal, *, deposit_id: str, payment_in: PaymentCreate
) -> PaymentRead:
    """Append a rent or dividend payment to a deposit's ledger."""
    deposit, asset = _deposit_for(session, principal, deposit_id)
    _require_writer(session, principal, asset.county_code)
    if payment_in.paid_on < deposit.start_on:
        raise InvalidInput("paid_on is before the deposit started")
    payment = Payment(
        deposit_id=deposit.id,
        paid_on=payment_in.paid_on,
        amount_fen=payment_in.amount_fen,
        period=payment_in.period,
        reason="",
        recorded_at=utcnow(),
        recorded_by=principal.actor,
    )
    session.add(payment)
    session.flush()
    return PaymentRead.model_validate(payment, from_attributes=True)


def reverse_payment(
    session: Session, principal: Principal, *, payment_id: str, reversal_in: ReversalCreate
) -> PaymentRead:
    """Correct a payment by a reversing entry (the negative amount, pointing at it, with a reason)."""
    original = repo.payment(session, payment_id)
    if original is None:
        raise NotFound(f"no payment {payment_id}")
    _, asset = _deposit_for(session, principal, original.deposit_id)
    _require_writer(session, principal, asset.county_code)
    if original.reverses_id is not None:
        raise InvalidInput("a reversal is not reversed; record a new payment instead")
    if repo.reversal_of(session, original.id) is not None:
        raise Conflict("this payment is reversed already")
    reversal = Payment(
        deposit_id=original.deposit_id,
        paid_on=beijing_today(),
        amount_fen=-original.amount_fen,
        period=original.period,
        reverses_id=original.id,
        reason=reversal_in.reason,
        recorded_at=utcnow(),
        recorded_by=principal.actor,
    )
    session.add(reversal)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("this payment was reversed at the same moment by another request") from exc
    return PaymentRead.model_validate(reversal, from_attributes=True)


def payments(session: Session, principal: Principal, *, deposit_id: str) -> list[PaymentRead]:
    """A deposit's payment ledger, oldest first."""
    deposit, _ = _deposit_for(session, principal, deposit_id)
    return [PaymentRead.model_validate(p, from_attributes=True) for p in repo.payments_of(session, deposit.id)]


# --- pooled projects (共富果园) and their dividends --------------------------------------------------


def _bank_for(session: Session, principal: Principal, county_code: str, named: str | None) -> str:
    """The ecological bank acting: the principal's own, or (staff) the one named, of ``county_code``."""
    _require_writer(session, principal, county_code)
    own = _operator_of(session, principal)
    code = own.organisation_code if own is not None else named
    if code is None:
        raise InvalidInput("name the ecological bank (operator_code)")
    operator = repo.operator_by_code(session, code)
    if operator is None or operator.county_code != county_code:
        raise InvalidInput(f"{code} is not the ecological bank of county {county_code}")
    return code


def create_project(session: Session, principal: Principal, *, project_in: ProjectCreate) -> ProjectRead:
    """Open a pooled project of a county's ecological bank, with its transfer contract if there is one."""
    code = _bank_for(session, principal, project_in.county_code, project_in.operator_code)
    values = project_in.model_dump(exclude={"operator_code"})
    project = Project(**values, operator_code=code, created_at=utcnow(), created_by=principal.actor)
    session.add(project)
    session.flush()
    return project_read(session, principal, project_id=project.id)


def _project_for(session: Session, principal: Principal, project_id: str) -> Project:
    project = repo.project(session, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    scope = _scope(session, principal)
    if (
        scope.owner_code is not None
        or scope.pledged_to is not None
        or scope.county_code not in (None, project.county_code)
    ):
        raise Forbidden("only staff and the project's ecological bank see a project")
    return project


def project_read(session: Session, principal: Principal, *, project_id: str) -> ProjectRead:
    """A project with its holders and their shares."""
    project = _project_for(session, principal, project_id)
    holders = repo.project_holders(session, project.id)
    total = sum(share.shares for share, _, _ in holders)
    return ProjectRead(
        **{key: value for key, value in _columns(project).items() if key in ProjectRead.model_fields},
        total_shares=total,
        holders=[
            ShareRead(
                deposit_id=deposit.id,
                asset_id=asset.id,
                owner_display=asset.owner_display,
                shares=share.shares,
                share=(Decimal(share.shares) / total).quantize(Decimal("0.000001")),
            )
            for share, deposit, asset in holders
        ],
    )


def add_share(session: Session, principal: Principal, *, project_id: str, share_in: ShareCreate) -> ProjectRead:
    """Pool an active dividend deposit of the project's county into the project with its shares."""
    project = _project_for(session, principal, project_id)
    _bank_for(session, principal, project.county_code, project.operator_code)
    deposit = repo.deposit(session, share_in.deposit_id)
    if deposit is None:
        raise NotFound(f"no deposit {share_in.deposit_id}")
    asset = repo.asset_by_id(session, deposit.asset_id)
    assert asset is not None  # foreign key
    if asset.county_code != project.county_code or deposit.operator_code != project.operator_code:
        raise InvalidInput("the deposit is held by another ecological bank or county than the project")
    if deposit.status != "active" or deposit.income_kind != "dividend":
        raise InvalidInput("only an active deposit paid in dividends joins a project")
    if repo.share_of_deposit(session, deposit.id) is not None:
        raise Conflict("this deposit is pooled in a project already")
    session.add(ProjectShare(project_id=project.id, deposit_id=deposit.id, shares=share_in.shares, joined_at=utcnow()))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("this deposit was pooled at the same moment by another request") from exc
    return project_read(session, principal, project_id=project.id)


def distribute(
    session: Session, principal: Principal, *, project_id: str, distribution_in: DistributionCreate
) -> list[PaymentRead]:
    """Share a dividend out to the project's deposits by their shares, one ledger entry each (to the fen)."""
    project = _project_for(session, principal, project_id)
    _bank_for(session, principal, project.county_code, project.operator_code)
    holders = [(share, deposit) for share, deposit, _ in repo.project_holders(session, project.id)]
    holders = [(share, deposit) for share, deposit in holders if deposit.status == "active"]
    if not holders:
        raise InvalidInput("the project has no active deposit to pay")
    parts = rules.allocate_fen(distribution_in.amount_fen, [share.shares for share, _ in holders])
    now = utcnow()
    entries = [
        Payment(
            deposit_id=deposit.id,
            paid_on=distribution_in.paid_on,
            amount_fen=part,
            period=distribution_in.period,
            reason=f"project {project.id}",
            recorded_at=now,
            recorded_by=principal.actor,
        )
        for (_, deposit), part in zip(holders, parts, strict=True)
        if part > 0
    ]
    session.add_all(entries)
    session.flush()
    return [PaymentRead.model_validate(entry, from_attributes=True) for entry in entries]


# --- pledges (质押) on loans of the loan book ---------------------------------------------------------


def pledge_asset(session: Session, principal: Principal, *, pledge_in: PledgeCreate) -> PledgeRead:
    """A bank pledges an asset for one of its loans, within the cap of the asset's kind; one active pledge per asset."""
    from greenfin.market import service as market

    if principal.is_staff:
        raise Forbidden("a pledge is registered by the lending bank, for a loan of its own")
    loan = market.own_loan(session, principal, loan_id=pledge_in.loan_id)
    asset = repo.asset_by_id(session, pledge_in.asset_id)
    if asset is None:
        raise NotFound(f"no ecological asset {pledge_in.asset_id}")
    cap = ltv(asset, yearly_income_fen=pledge_in.yearly_income_fen)
    if cap.max_loan_fen is None:
        field = "appraised_value" if cap.basis == "appraised_value" else "yearly_income_fen"
        raise InvalidInput(
            f"{field}: the asset's cap is set on its {cap.basis.replace('_', ' ')}, which is not known yet",
            errors=[{"field": field}],
        )
    if pledge_in.amount_fen > cap.max_loan_fen:
        raise InvalidInput(
            f"amount_fen: {pledge_in.amount_fen} fen is above the cap of {cap.max_loan_fen} fen "
            f"({cap.ratio} × the {cap.basis.replace('_', ' ')}, caps {cap.policy_version})",
            errors=[{"field": "amount_fen", "max": cap.max_loan_fen}],
        )
    if pledge_in.amount_fen > loan.amount_fen:
        raise InvalidInput("amount_fen: above the loan's amount", errors=[{"field": "amount_fen"}])
    consent = repo.document(session, pledge_in.consent_document_id)
    if consent is None or consent.asset_id != asset.id or consent.kind != "pledge_consent":
        raise InvalidInput(
            "consent_document_id: the owner's signed consent to the pledge is not among this asset's documents "
            "(a document of kind pledge_consent, filed by the asset's ecological bank)",
            errors=[{"field": "consent_document_id"}],
        )
    if repo.pledge_by_consent(session, consent.id) is not None:
        raise InvalidInput(
            "consent_document_id: this consent backs another pledge already; each pledge needs the owner's own consent",
            errors=[{"field": "consent_document_id"}],
        )
    if repo.active_pledge(session, asset.id) is not None:
        raise Conflict("this asset is pledged already; release that pledge first")
    pledge = Pledge(
        asset_id=asset.id,
        loan_id=loan.id,
        bank_code=loan.bank_code,
        pledged_right=pledge_in.pledged_right,
        amount_fen=pledge_in.amount_fen,
        max_loan_fen=cap.max_loan_fen,
        ltv_policy_version=cap.policy_version,
        consent_document_id=consent.id,
        status="active",
        pledged_at=utcnow(),
        pledged_by=principal.actor,
    )
    session.add(pledge)
    try:
        session.flush()
    except IntegrityError as exc:  # the partial unique index: another pledge won the race
        raise Conflict("this asset was pledged at the same moment by another request") from exc
    return PledgeRead.model_validate(pledge)


def end_pledge(session: Session, principal: Principal, *, pledge_id: str, how: str, end_in: PledgeEnd) -> PledgeRead:
    """The lending bank releases a pledge (the loan repaid) or records its enforcement (处置)."""
    auth.require_role(principal, "bank")
    pledge = repo.pledge(session, pledge_id, lock=True)
    if pledge is None or principal.is_staff or pledge.bank_code != principal.organisation_code:
        raise NotFound(f"no pledge {pledge_id} of your bank")
    if pledge.status != "active":
        raise Conflict(f"the pledge is {pledge.status} already")
    pledge.status = how
    pledge.ended_at = utcnow()
    pledge.ended_by = principal.actor
    pledge.note = end_in.note
    session.flush()
    return PledgeRead.model_validate(pledge)


def asset_pledges(session: Session, principal: Principal, *, asset_id: str) -> list[PledgeRead]:
    """An asset's pledges, newest first: for its owner, its ecological bank and staff; a bank sees its own."""
    if principal.role == "bank" and not principal.is_staff:
        rows = [p for p in repo.pledges(session, asset_id=asset_id) if p.bank_code == principal.organisation_code]
    else:
        asset = get_asset(session, principal, asset_id)
        rows = list(repo.pledges(session, asset_id=asset.id))
    return [PledgeRead.model_validate(p) for p in rows]


# --- the dashboard ----------------------------------------------------------------------------------

_SUMMED = {
    "asset": ("assets", "area_milli_mu", "value_fen", "appraised"),
    "gep": ("gep_fen",),
    "deposit": ("deposits", "rent_fen"),
    "pledge": ("pledges", "pledged_fen", "loans"),
    "income": ("paid_fen", "households"),
}


def summary(session: Session, principal: Principal, *, county_code: str | None = None, latest: int = 10) -> SummaryRead:
    """Assets and value by kind and county, deposits, loans secured and income paid to households.

    Staff see the region (or one county); an ecological bank its own county; anyone else is refused.
    Every figure is one grouped query (by county and kind), rolled up here. A household paid in
    two kinds or counties counts in each group but once in the totals.
    """
    if not principal.is_staff:
        operator = _operator_of(session, principal)
        if operator is None:
            raise Forbidden("the ecological bank's dashboard is for its staff and the regulators")
        county_code = operator.county_code
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    sources: dict[str, Sequence[tuple[Any, ...]]] = {
        "asset": repo.asset_sums(session, county_code),
        "gep": repo.gep_sums(session, county_code),
        "deposit": repo.deposit_sums(session, county_code),
        "pledge": repo.pledge_sums(session, county_code),
        "income": repo.income_sums(session, county_code),
    }
    for source, rows in sources.items():
        for county, kind, *figures in rows:
            cells[(county, kind)].update(zip(_SUMMED[source], figures, strict=True))

    def rolled(index: int) -> list[SummaryGroup]:
        groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for key, cell in cells.items():
            for name, value in cell.items():
                groups[key[index]][name] += value
        return [SummaryGroup(key=key, **group) for key, group in sorted(groups.items())]

    totals: dict[str, int] = defaultdict(int)
    for cell in cells.values():
        for name, value in cell.items():
            totals[name] += value
    totals["households"] = repo.households_paid(session, county_code)
    totals["loans"] = len(secured := repo.secured_loans(session, county_code))
    from greenfin.market import service as market

    return SummaryRead(
        county_code=county_code,
        totals=SummaryFigures(**totals),
        loans_fen=market.loans_amount_fen(session, secured),
        by_kind=rolled(1),
        by_county=rolled(0),
        cells=[
            SummaryCell(county_code=county, kind=kind, assets=cell.get("assets", 0), value_fen=cell.get("value_fen", 0))
            for (county, kind), cell in sorted(cells.items())
        ],
        latest_payments=[
            SummaryPayment(
                asset_id=asset.id,
                asset_name=asset.name,
                owner_display=asset.owner_display,
                paid_on=payment.paid_on,
                amount_fen=payment.amount_fen,
                period=payment.period,
            )
            for payment, asset in repo.latest_payments(session, county_code, latest)
        ],
        latest_pledges=[
            SummaryPledge(
                asset_id=asset.id,
                asset_name=asset.name,
                bank_code=pledge.bank_code,
                amount_fen=pledge.amount_fen,
                status=pledge.status,
                pledged_at=pledge.pledged_at,
            )
            for pledge, asset in repo.latest_pledges(session, county_code, latest)
        ],
    )
