"""Personal carbon account API: intake for data sources, the resident's account, consent, grade, overview."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.db import session_scope
from greenfin.errors import InvalidInput
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep, principal_in_passing, raw_json_body
from greenfin.personal import service
from greenfin.personal.catalogue import catalogue_as_json
from greenfin.personal.coalesce import Coalescer
from greenfin.personal.schemas import (
    AccountOpen,
    AccountRead,
    BalanceRead,
    ConsentCreate,
    ConsentRead,
    CorrectionIn,
    EnrolIn,
    EnrolRead,
    EventBatchIn,
    EventIn,
    EventRead,
    EventResult,
    GradeRead,
    IntakeRead,
    LedgerEntryRead,
    OverviewRead,
    RedeemIn,
    RedemptionRead,
    RewardCreate,
    RewardRead,
)
from greenfin.settings import Settings

router = APIRouter(prefix="/personal", tags=["personal"])
Body = TypeVar("Body", bound=BaseModel)


@router.get("/catalogue")
def get_catalogue(principal: PrincipalDep) -> dict[str, Any]:
    """The scenario catalogue in force: factors, points, daily caps and their sources."""
    cat = service.catalogue()
    return {"version": cat.version, "published": cat.published, "scenarios": catalogue_as_json(cat)}


@router.post(
    "/events",
    response_model=EventResult,
    status_code=201,
    responses={200: {"description": "Duplicate", "model": EventResult}},
    openapi_extra=raw_json_body(EventIn),
)
async def post_event(request: Request) -> Response:
    """Deliver one event (data sources); a repeated delivery answers 200 with status duplicate.

    Concurrent deliveries share one intake transaction (:mod:`greenfin.personal.coalesce`);
    the answer is this event's own: accepted and pending (credited by the next posting run,
    which applies the daily cap), a duplicate, or a 422 with the reason.

    The route reads its body and writes its answer itself (the schemas are the same as the
    documented ones): FastAPI's dependency and response-model machinery cost about as much
    CPU per request as the intake of the event, and data sources send thousands a second.
    """
    principal, event_in = await _delivery(request, EventIn)
    result = await _coalescer(request.app).submit(principal, event_in)
    if result.status == "rejected":
        raise InvalidInput(
            result.reason or "rejected", errors=[{"external_id": result.external_id, "reason": result.reason}]
        )
    return Response(
        result.model_dump_json(),
        status_code=200 if result.status == "duplicate" else 201,
        media_type="application/json",
    )


async def _delivery(request: Request, model: type[Body]) -> tuple[Principal, Body]:
    """A data source's principal and its request body, parsed and validated by pydantic from the bytes."""
    principal = await principal_in_passing(request)
    auth.require_role(principal, "data_source")
    auth.require_scope(principal, "personal_events")
    body = await request.body()
    try:
        return principal, model.model_validate_json(body)
    except ValidationError as exc:
        raise _request_error(exc, body) from None


def _request_error(exc: ValidationError, body: bytes) -> RequestValidationError:
    """Pydantic's errors of a body in the shape FastAPI gives them (``body.…``, JSON errors with their position)."""
    if any(err["type"] == "json_invalid" for err in exc.errors()):
        try:
            json.loads(body)
        except ValueError as decode:
            position = getattr(decode, "pos", 0)
        else:  # pragma: no cover - pydantic and json agree on what is JSON
            position = 0
        return RequestValidationError([{"type": "json_invalid", "loc": ("body", position), "msg": "JSON decode error"}])
    return RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in exc.errors()])


def _intake(app: FastAPI, principal: Principal, events: list[EventIn], refused: int = 0) -> IntakeRead:
    """One intake transaction of a data source's events (the caller's thread); ``refused`` by their schema."""
    settings: Settings = app.state.settings
    with session_scope(app.state.session_factory) as session:
        session.info["actor"] = principal
        return service.intake_events(session, principal, settings=settings, events=events, refused=refused)


def _coalescer(app: FastAPI) -> Coalescer:
    coalescer: Coalescer | None = getattr(app.state, "personal_coalescer", None)
    if coalescer is None:

        def deliver(principal: Principal, events: list[EventIn]) -> list[EventResult]:
            return _intake(app, principal, events).results

        coalescer = app.state.personal_coalescer = Coalescer(deliver)
    return coalescer


@router.post(
    "/events/batch",
    response_model=IntakeRead,
    openapi_extra=raw_json_body(EventBatchIn),
)
async def post_events(request: Request) -> Response:
    """Deliver up to 10,000 events; each is accepted (pending), a duplicate or rejected with a reason.

    Lean like :func:`post_event`: the body is parsed and validated by pydantic in one pass
    from its bytes and the answer written once, not checked again against its own model
    (for 2,000 events that was ~10 % of the request's CPU).
    """
    principal = await principal_in_passing(request)
    auth.require_role(principal, "data_source")
    body = await request.body()
    try:
        events: list[EventIn] = EventBatchIn.model_validate_json(body).events
        refused: dict[int, EventResult] = {}
    except ValidationError as exc:
        events, refused = _valid_events(exc, body)  # a bad event is refused alone, the others taken
    read = await run_in_threadpool(_intake, request.app, principal, events, len(refused)) if events else None
    if refused:
        read = _with_refused(read, refused)
    assert read is not None
    return Response(read.model_dump_json(), media_type="application/json")


def _valid_events(exc: ValidationError, body: bytes) -> tuple[list[EventIn], dict[int, EventResult]]:
    """The batch's valid events and a rejection per event its schema refuses (``events.<i>.<field>``).

    An error outside one event (not JSON, no ``events`` list, more than 10,000) refuses the request.
    """
    errors = exc.errors()
    if not errors or any(
        len(e["loc"]) < 2 or e["loc"][0] != "events" or not isinstance(e["loc"][1], int) for e in errors
    ):
        raise _request_error(exc, body) from None
    raw = json.loads(body)["events"]
    refused: dict[int, EventResult] = {}
    for error in errors:
        index = int(error["loc"][1])
        if index in refused:
            continue
        item = raw[index]
        external_id = item.get("external_id") if isinstance(item, dict) else None
        field = ".".join(str(part) for part in error["loc"][2:]) or "event"
        refused[index] = EventResult(
            index=index,
            external_id=external_id[:80] if isinstance(external_id, str) else "",
            status="rejected",
            reason=f"{field}: {error['msg']}",
        )
    return [EventIn.model_validate(raw[i]) for i in range(len(raw)) if i not in refused], refused


def _with_refused(read: IntakeRead | None, refused: dict[int, EventResult]) -> IntakeRead:
    """The intake's answer with the refused events put back at their places in the batch (indices as sent)."""
    taken = iter(read.results if read is not None else [])
    results = []
    for index in range(len(refused) + (len(read.results) if read is not None else 0)):
        result = refused.get(index) or next(taken).model_copy(update={"index": index})
        results.append(result)
    return IntakeRead(
        batch_id=read.batch_id if read is not None else None,
        accepted=read.accepted if read is not None else 0,
        duplicates=read.duplicates if read is not None else 0,
        rejected=(read.rejected if read is not None else 0) + len(refused),
        results=results,
    )


@router.post("/enrolments", response_model=EnrolRead, status_code=201)
def post_enrolments(
    enrol_in: EnrolIn, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> EnrolRead:
    """A bank opens accounts for residents with the consent it collected (all rows or none)."""
    bank_code = principal.organisation_code or ""
    result = service.enrol(session, principal, settings=settings, rows=enrol_in.rows, bank_code=bank_code)
    return EnrolRead(enrolled=result.enrolled, already_enrolled=result.already_enrolled, refs=result.refs)


@router.post("/accounts", response_model=AccountRead, status_code=201)
def open_account(
    account_in: AccountOpen, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> AccountRead:
    """A resident opens their own account, with consent."""
    account = service.open_account(session, principal, settings=settings, account_in=account_in)
    return AccountRead.model_validate(service.account_summary(session, account))


@router.get("/accounts/{ref}", response_model=AccountRead)
def get_account(ref: str, principal: PrincipalDep, session: SessionDep) -> AccountRead:
    """An account (``me`` for your own): balance, CO2 avoided and grade. Residents see only their own."""
    account = service.account_for(session, principal, ref)
    return AccountRead.model_validate(service.account_summary(session, account))


@router.get("/accounts/{ref}/history", response_model=Page[LedgerEntryRead])
def get_history(
    ref: str,
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[str | None, Query(description="earn, redeem, expire, adjust or reverse")] = None,
    scenario: Annotated[str | None, Query(description="Earn entries with events of this scenario")] = None,
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> Page[LedgerEntryRead]:
    """Ledger entries, newest first, filtered by kind, scenario and period (Asia/Shanghai days)."""
    account = service.account_for(session, principal, ref)
    rows, total = service.history(
        session,
        account,
        kind=kind,
        scenario=scenario,
        first_day=first_day,
        last_day=last_day,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[LedgerEntryRead](
        items=[LedgerEntryRead.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("/accounts/{ref}/events", response_model=Page[EventRead])
def get_events(
    ref: str,
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    scenario: Annotated[str | None, Query()] = None,
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> Page[EventRead]:
    """The events behind the earnings, newest first."""
    from greenfin.personal import repository

    account = service.account_for(session, principal, ref)
    rows, total = repository.events_of_account(
        session,
        account.id,
        scenario=scenario,
        first_day=first_day,
        last_day=last_day,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[EventRead](
        items=[EventRead.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("/accounts/{ref}/balance", response_model=BalanceRead)
def get_balance(
    ref: str,
    principal: PrincipalDep,
    session: SessionDep,
    as_of: Annotated[date | None, Query(description="End of this Asia/Shanghai day")] = None,
) -> BalanceRead:
    """The balance now, or at the end of a day."""
    account = service.account_for(session, principal, ref)
    pending = service.pending(session, account)[1] if as_of is None else 0
    return BalanceRead(
        ref=account.ref,
        as_of=as_of,
        balance=service.balance_as_of(session, account, as_of=as_of),
        pending_points=pending,
    )


@router.post("/accounts/{ref}/corrections", response_model=LedgerEntryRead, status_code=201)
def post_correction(
    ref: str, correction_in: CorrectionIn, principal: PrincipalDep, session: SessionDep
) -> LedgerEntryRead:
    """Staff reverse an entry (``corrects_seq``) or adjust points, with a reason."""
    entry = service.correct(
        session,
        principal,
        ref=ref,
        reason=correction_in.reason,
        points=correction_in.points,
        corrects_seq=correction_in.corrects_seq,
    )
    return LedgerEntryRead.model_validate(entry)


@router.get("/consents", response_model=list[ConsentRead])
def get_consents(principal: PrincipalDep, session: SessionDep) -> list[ConsentRead]:
    """Your consents (resident) or the consents your bank holds."""
    return [ConsentRead.model_validate(c) for c in service.consents(session, principal)]


@router.post("/consents", response_model=ConsentRead, status_code=201)
def post_consent(consent_in: ConsentCreate, principal: PrincipalDep, session: SessionDep) -> ConsentRead:
    """The resident lets a bank read their green-credit grade."""
    consent = service.grant_consent(
        session, principal, bank_code=consent_in.bank_code, days=consent_in.days, consent_ref=consent_in.consent_ref
    )
    return next(ConsentRead.model_validate(c) for c in service.consents(session, principal) if c["id"] == consent.id)


@router.delete("/consents/{consent_id}", response_model=ConsentRead)
def delete_consent(consent_id: str, principal: PrincipalDep, session: SessionDep) -> ConsentRead:
    """The resident revokes a consent."""
    service.revoke_consent(session, principal, consent_id=consent_id)
    return next(ConsentRead.model_validate(c) for c in service.consents(session, principal) if c["id"] == consent_id)


@router.get("/residents/{ref}/grade", response_model=GradeRead)
def get_grade(ref: str, principal: PrincipalDep, session: SessionDep) -> GradeRead:
    """A bank reads a resident's green-credit grade (403 without a live consent to that bank)."""
    _, found, uplift = service.grade_for_bank(session, principal, ref=ref)
    return GradeRead(
        code=found.code,
        name_zh=found.name_zh,
        name_en=found.name_en,
        avoided_co2_g=found.avoided_co2_g - uplift,
        uplift_co2_g=uplift,
        next_code=found.next_code,
        to_next_g=found.to_next_g,
        bands_version=found.bands_version,
        as_of=service.today(),
    )


@router.get("/rewards", response_model=list[RewardRead])
def get_rewards(principal: PrincipalDep, session: SessionDep) -> list[RewardRead]:
    """Rewards available today."""
    return [RewardRead.model_validate(r) for r in service.list_rewards(session)]


@router.post("/rewards", response_model=RewardRead, status_code=201)
def post_reward(reward_in: RewardCreate, principal: PrincipalDep, session: SessionDep) -> RewardRead:
    """Staff add a reward."""
    return RewardRead.model_validate(service.create_reward(session, principal, **reward_in.model_dump()))


@router.post("/accounts/me/redemptions", response_model=RedemptionRead, status_code=201)
def post_redemption(redeem_in: RedeemIn, principal: PrincipalDep, session: SessionDep) -> RedemptionRead:
    """Spend points on a reward (409 when the balance or the stock is short)."""
    redemption, reward, balance = service.redeem(session, principal, reward_code=redeem_in.reward_code)
    return RedemptionRead(
        id=redemption.id,
        reward_code=reward.code,
        reward_name_zh=reward.name_zh,
        reward_name_en=reward.name_en,
        points=redemption.points,
        voucher_code=redemption.voucher_code,
        redeemed_at=redemption.redeemed_at,
        balance_after=balance,
    )


@router.get("/overview", response_model=OverviewRead)
def get_overview(principal: PrincipalDep, session: SessionDep) -> OverviewRead:
    """Region-wide figures for the regulator."""
    return OverviewRead.model_validate(service.overview(session, principal))
