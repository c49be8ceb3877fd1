"""Use cases of the personal carbon account: accounts and consent, intake, ledger, rewards, grade.

Each function is one step of a transaction the caller (request or CLI command) commits.
The rules are the teammate's pure :mod:`greenfin.personal.rules`; this module decides who
may do what, reads and writes through :mod:`greenfin.personal.repository`, and keeps the
ledger's hash chain (:func:`append_entries`).

Worked example (catalogue v1, ``bus_ride``: 123 g, 12 points, cap 4 a day): a bank posts
5 bus rides of one resident on 2026-03-02. The first 4 by time earn 12 points and 123 g
each, the 5th is kept with 0/0 and ``capped``; the ledger gets one earn entry of 48 points
and 492 g dated 2026-03-02, chained to the account's previous entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.auth.schemas import ConsentRecord
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.db import new_id, utcnow
from greenfin.errors import Conflict, Forbidden, InvalidInput, NotFound
from greenfin.personal import repository as repo
from greenfin.personal.catalogue import (
    ScenarioCatalogue,
    available_catalogues,
    load_catalogue,
    load_expiry_rule,
    load_grade_bands,
)
from greenfin.personal.models import REWARD_KINDS, Account, LedgerCheckpoint, LedgerEntry, Redemption, Reward
from greenfin.personal.rules import (
    HASHED_FIELDS,
    Award,
    ChainBreak,
    ExpiryRule,
    Grade,
    LedgerKind,
    award,
    cap_order_key,
    check_points_sign,
    checkpoint_mac,
    entry_hash,
    expires_on,
    grade,
    heads_digest,
    local_day,
    verify_chain,
)
from greenfin.personal.rules import LedgerEntry as ChainedEntry
from greenfin.personal.schemas import AccountOpen, EnrolRow, EventIn, EventResult, IntakeRead
from greenfin.settings import Settings

# Clock skew tolerated between a data source and greenfin before an event counts as "future".
FUTURE_SKEW = timedelta(minutes=2)


@lru_cache(maxsize=8)
def catalogue(version: str | None = None) -> ScenarioCatalogue:
    """The scenario catalogue in force (the newest published version), loaded once."""
    return load_catalogue(version)


@lru_cache(maxsize=1)
def expiry_rule() -> ExpiryRule:
    """The points-expiry rule in force."""
    return load_expiry_rule()


def today() -> date:
    """Today in Asia/Shanghai."""
    return utcnow().astimezone(BEIJING).date()


def bank_operator(session: Session, bank_code: str | None) -> Principal:
    """The CLI operator acting for a bank (enrolment files carry that bank's consents).

    Without a code, the region's only bank; with several, the operator must say which.
    """
    if bank_code is None:
        codes = repo.bank_codes(session)
        if len(codes) != 1:
            raise InvalidInput(
                "say which bank collected these consents with --bank CODE"
                + (f" (registered banks: {', '.join(codes)})" if codes else " (no bank is registered yet)")
            )
        bank_code = codes[0]
    bank = repo.organisation_by_code(session, bank_code)
    if bank is None or bank.kind != "bank":
        raise NotFound(f"no bank with code {bank_code}")
    return Principal(
        actor="cli", role="bank", organisation_id=bank.id, organisation_kind=bank.kind, organisation_code=bank.code
    )


def day_start(day: date) -> datetime:
    """00:00 of an Asia/Shanghai day, as an aware UTC time."""
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


# --- accounts and consent ------------------------------------------------------------------


def _check_identity(id_number: str, name: str, phone: str | None) -> list[dict[str, str]]:
    problems = []
    if (code := identity.id_number_reason(id_number)) is not None:
        problems.append(
            {
                "column": "id_number",
                "reason": f"not a valid resident ID number: {identity.ID_NUMBER_REASONS[code]}",
                "message": identity.id_number_message(code),
            }
        )
    if not name.strip():
        problems.append({"column": "name", "reason": "required"})
    elif len(name.strip()) > 60:
        problems.append({"column": "name", "reason": "longer than 60 characters"})
    if phone and (reason := identity.phone_problem(phone)) is not None:
        problems.append({"column": "phone", "reason": reason})
    return problems


def _account_row(
    settings: Settings,
    *,
    id_number: str,
    name: str,
    phone: str | None,
    consent_ref: str,
    channel: str,
    by: str,
    enrolled_by: str | None,
    user_id: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    number = identity.normalise_id_number(id_number)
    return {
        "ref": new_id(),
        "id_hash": identity.id_hash(number, settings.secret_key),
        "id_masked": identity.mask_id_number(number),
        "name_masked": identity.mask_name(name),
        "phone_masked": identity.mask_phone(phone) if phone else None,
        "user_id": user_id,
        "opened_at": now,
        "consent_ref": consent_ref,
        "consent_channel": channel,
        "consent_at": now,
        "consent_by": by,
        "enrolled_by": enrolled_by,
    }


def verification_code(settings: Settings, *, id_number: str, days: int) -> str:
    """The code that lets the holder of ``id_number`` open their own account for ``days`` days (operator's CLI)."""
    expires_on = today() + timedelta(days=days - 1)
    return identity.verification_code(
        identity.normalise_id_number(id_number), settings.secret_key, expires_on=expires_on
    )


def open_account(session: Session, principal: Principal, *, settings: Settings, account_in: AccountOpen) -> Account:
    """A resident opens their own account with consent and the operator's verification code.

    Self-service opening is off unless the operator turns it on (``personal_self_service``):
    then the resident shows the code the operator handed out after checking the ID card
    (:func:`identity.verification_code`). The answers never tell whether an ID number has an
    account: refusals come before any look-up, and a verified holder whose number a bank
    enrolled gets that account linked, with the same answer as a new one.
    """
    auth.require_role(principal, "resident")
    if principal.user_id is None:
        raise Forbidden("only a logged-in resident can open their own account")
    if settings.personal_self_service == "off":
        raise Forbidden("accounts are opened by a bank here: ask your bank to enrol you")
    if not account_in.consent:
        raise InvalidInput(
            "an account is opened only with the resident's consent",
            errors=[{"field": "consent", "reason": "must be true"}],
        )
    problems = _check_identity(account_in.id_number, account_in.name, account_in.phone)
    if problems:
        raise InvalidInput(
            problems[0]["reason"],
            errors=[{"field": p.pop("column"), **p} for p in problems],  # "message": the catalogue key a page shows
        )
    id_number = identity.normalise_id_number(account_in.id_number)
    code = account_in.verification_code or ""
    if not identity.verification_code_matches(id_number, code, settings.secret_key, today=today()):
        reason = "the verification code does not belong to this ID number or has expired"
        raise InvalidInput(reason, errors=[{"field": "verification_code", "reason": reason}])
    if repo.account_by_user(session, principal.user_id) is not None:
        raise Conflict("you have an account already")
    row = _account_row(
        settings,
        id_number=account_in.id_number,
        name=account_in.name,
        phone=account_in.phone,
        consent_ref=account_in.consent_ref or "terms-v1",
        channel="web",
        by=principal.actor,
        enrolled_by=None,
        user_id=principal.user_id,
        now=utcnow(),
    )
    existing = repo.account_by_hash(session, row["id_hash"])
    if existing is not None:
        # The verified holder of an enrolled number: link the bank's account to the login.
        if existing.user_id is not None:
            raise Conflict("this account is linked to another login; ask the bank that opened it")
        existing.user_id = principal.user_id
        session.flush()
        auth.record(session, principal, action="link", entity_type="personal_account", entity_id=existing.ref)
        return existing
    account = Account(**row)
    session.add(account)
    session.flush()
    auth.record(
        session,
        principal,
        action="open",
        entity_type="personal_account",
        entity_id=account.ref,
        after={"id_masked": account.id_masked, "consent_ref": account.consent_ref, "channel": "web"},
    )
    return account


@dataclass(frozen=True, slots=True)
class EnrolResult:
    enrolled: int
    already_enrolled: int
    refs: list[str]


def enrol(
    session: Session, principal: Principal, *, settings: Settings, rows: Sequence[EnrolRow], bank_code: str
) -> EnrolResult:
    """Open accounts for residents a bank enrolled with their consent; every row is checked first.

    Any bad row refuses the whole file (every problem listed, nothing stored). A resident
    who has an account already is counted, not enrolled twice.
    """
    auth.require_role(principal, "bank")
    auth.require_tenant(principal, bank_code)
    bank = repo.organisation_by_code(session, bank_code)
    if bank is None or bank.kind != "bank":
        raise NotFound(f"no bank with code {bank_code}")
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    prepared: list[dict[str, Any]] = []
    now = utcnow()
    for number, row in enumerate(rows, start=1):
        problems = _check_identity(row.id_number, row.name, row.phone)
        if not row.consent_ref.strip():
            problems.append({"column": "consent_ref", "reason": "required: the reference of the consent collected"})
        elif len(row.consent_ref) > 80:
            problems.append({"column": "consent_ref", "reason": "longer than 80 characters"})
        errors.extend({"row": number, "column": p["column"], "reason": p["reason"]} for p in problems)
        if problems:
            continue
        values = _account_row(
            settings,
            id_number=row.id_number,
            name=row.name,
            phone=row.phone,
            consent_ref=row.consent_ref.strip(),
            channel="bank",
            by=principal.actor,
            enrolled_by=bank_code,
            now=now,
        )
        if values["id_hash"] in seen:
            errors.append(
                {"row": number, "column": "id_number", "reason": f"same resident as row {seen[values['id_hash']]}"}
            )
            continue
        seen[values["id_hash"]] = number
        prepared.append(values)
    if errors:
        raise InvalidInput(f"{len(errors)} problem(s) in the enrolment; nothing was stored", errors=errors)
    existing = repo.account_ids_by_hash(session, [r["id_hash"] for r in prepared])
    fresh = [r for r in prepared if r["id_hash"] not in existing]
    repo.insert_accounts(session, fresh)
    refs_by_hash = {r["id_hash"]: r["ref"] for r in fresh}
    if existing:
        for account_hash in existing:
            account = repo.account_by_hash(session, account_hash)
            assert account is not None
            refs_by_hash[account_hash] = account.ref
    auth.record(
        session,
        principal,
        action="enrol",
        entity_type="personal_account",
        after={"bank": bank_code, "enrolled": len(fresh), "already_enrolled": len(existing)},
    )
    session.flush()
    return EnrolResult(
        enrolled=len(fresh), already_enrolled=len(existing), refs=[refs_by_hash[r["id_hash"]] for r in prepared]
    )


def link_user(session: Session, *, account: Account, user_id: str) -> None:
    """Link a login to an account (demo and support tooling)."""
    account.user_id = user_id
    session.flush()


def account_for(session: Session, principal: Principal, ref: str) -> Account:
    """The account ``ref`` (``me`` = the resident's own) if the principal may see it."""
    if ref == "me":
        if principal.user_id is None:
            raise NotFound("you have no personal carbon account")
        account = repo.account_by_user(session, principal.user_id)
        if account is None:
            raise NotFound("you have no personal carbon account yet; open one first")
        return account
    account = repo.account_by_ref(session, ref)
    if principal.is_staff:
        if account is None:
            raise NotFound(f"no personal carbon account {ref}")
        return account
    if account is None or principal.user_id is None or account.user_id != principal.user_id:
        # Same answer whether the account exists or not: a resident learns nothing of others.
        raise Forbidden("a resident sees only their own personal carbon account")
    return account


def resolve_account(
    session: Session, settings: Settings, *, ref: str | None = None, id_number: str | None = None
) -> Account:
    """An account by reference or by ID number (operator tools)."""
    account = None
    if ref:
        account = repo.account_by_ref(session, ref)
    elif id_number:
        number = identity.normalise_id_number(id_number)
        account = repo.account_by_hash(session, identity.id_hash(number, settings.secret_key))
    if account is None:
        raise NotFound("no such personal carbon account")
    return account


GRADE_SCOPE = "personal_grade"  # the scope of auth's consent a bank reads the grade under


def grant_consent(
    session: Session, principal: Principal, *, bank_code: str, days: int, consent_ref: str | None = None
) -> ConsentRecord:
    """The resident lets one bank read their green-credit grade for ``days`` days."""
    account = account_for(session, principal, "me")
    bank = repo.organisation_by_code(session, bank_code)
    if bank is None or bank.kind != "bank":
        raise NotFound(f"no bank with code {bank_code}")
    now = utcnow()
    return auth.grant_consent(
        session,
        principal,
        subject_kind="resident",
        subject_ref=account.ref,
        organisation_code=bank.code,
        scope=GRADE_SCOPE,
        expires_at=now + timedelta(days=days),
        reference=consent_ref or f"web-{now:%Y%m%d%H%M%S}",
        granted_at=now,
    )


def grant_consent_for(
    session: Session, *, account: Account, bank_code: str, days: int, consent_ref: str, by: str, now: datetime
) -> ConsentRecord:
    """Record a grade consent collected outside the platform (demo data, a bank's signed form)."""
    bank = repo.organisation_by_code(session, bank_code)
    if bank is None:
        raise NotFound(f"no bank with code {bank_code}")
    return auth.grant_consent(
        session,
        Principal(actor=by, role="resident"),
        subject_kind="resident",
        subject_ref=account.ref,
        organisation_code=bank.code,
        scope=GRADE_SCOPE,
        expires_at=now + timedelta(days=days),
        reference=consent_ref,
        granted_at=now,
    )


def revoke_consent(session: Session, principal: Principal, *, consent_id: str) -> ConsentRecord:
    """The resident withdraws a consent; the bank's next read is refused."""
    account = account_for(session, principal, "me")
    try:
        return auth.revoke_consent(
            session, principal, consent_id=consent_id, subject_kind="resident", subject_ref=account.ref
        )
    except NotFound:
        raise NotFound("no such consent of yours") from None


def consents(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """A resident's grade consents, or the grade consents a bank holds."""

    def shape(c: ConsentRecord) -> dict[str, Any]:
        return {
            "id": c.id,
            "account_ref": c.subject_ref,
            "bank_code": c.organisation_code,
            "bank_name": c.organisation_name,
            "scope": c.scope,
            "consent_ref": c.reference or "",
            "granted_at": c.granted_at,
            "expires_at": c.expires_at,
            "revoked_at": c.revoked_at,
            "active": c.status == "active",
        }

    if principal.role == "bank":
        organisation = auth.organisation_of(session, principal)
        held = auth.list_consents(session, subject_kind="resident", organisation_code=organisation.code)
        return [shape(c) for c in held if c.scope == GRADE_SCOPE]
    account = account_for(session, principal, "me")
    return [
        shape(c)
        for c in auth.list_consents(session, subject_kind="resident", subject_ref=account.ref, scope=GRADE_SCOPE)
    ]


def consent_history(session: Session, principal: Principal) -> list[ConsentRecord]:
    """Every consent the resident granted, of every scope, with the reads each allowed."""
    account = account_for(session, principal, "me")
    return auth.consent_history(session, subject_kind="resident", subject_ref=account.ref)


# --- intake (API: single events and batches) ----------------------------------------------


MIN_EVENT_YEAR, MAX_EVENT_YEAR = 2000, 2100


def parse_time(value: str) -> datetime | str:
    """An aware time from ISO 8601 text, or the reason it is refused."""
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return f"malformed time {value!r}: use ISO 8601 with a UTC offset"
    if at.tzinfo is None or at.utcoffset() is None:
        return f"malformed time {value!r}: a UTC offset is required (e.g. +08:00)"
    if not MIN_EVENT_YEAR <= at.year <= MAX_EVENT_YEAR:  # also keeps year 1 and 9999 in UTC and Shanghai
        return f"time {value!r} is out of range: events fall in {MIN_EVENT_YEAR}–{MAX_EVENT_YEAR}"
    return at.astimezone(UTC)


def intake_events(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    events: Sequence[EventIn],
    now: datetime | None = None,
    refused: int = 0,
) -> IntakeRead:
    """Store events from a data source: each accepted, a duplicate or rejected with a reason.

    ``refused``: events of the same delivery its schema refused before they got here; the
    stored delivery counts them among its rejected, so its record adds up to what was sent.

    Idempotent on (source, external_id): the first delivery of a key is stored, a later one
    (in this delivery or another, concurrent or after a restart) is a duplicate. An accepted
    event carries its scenario's award and is *pending*: the next posting run
    (:func:`post_pending`, seconds later) applies the daily cap in cap order and credits the
    ledger. The request therefore costs one insert of the events, not the ledger's work.
    """
    auth.require_role(principal, "data_source")
    now = now or utcnow()
    cat = catalogue()
    digest = identity.hasher(settings.secret_key)
    results: list[EventResult | None] = [None] * len(events)
    candidates: list[tuple[int, EventIn, datetime, date, str]] = []  # index, event, at, day, id hash
    for index, event in enumerate(events):
        reason = None
        if event.source != principal.organisation_code:
            reason = f"wrong source {event.source!r}: this API key delivers for {principal.organisation_code!r}"
        at = parse_time(event.occurred_at)
        if reason is None and isinstance(at, str):
            reason = at
        if reason is None and isinstance(at, datetime) and at > now + FUTURE_SKEW:
            reason = f"time {event.occurred_at} is in the future"
        if reason is not None or not isinstance(at, datetime):
            results[index] = EventResult(index=index, external_id=event.external_id, status="rejected", reason=reason)
            continue
        # The canonical form without the checksum (stdnum's validation costs ~0.3 ms a number):
        # a number that matches an account was validated when the account was opened, so the
        # checksum is checked below only for numbers that match none.
        candidates.append((index, event, at, local_day(at), digest(identity.compact_id_number(event.id_number))))

    if candidates and not repo.is_postgres(session):
        # SQLite: the write lock before the first read. A transaction that reads and then
        # writes after another writer committed fails at once ("database is locked"), without
        # waiting out the busy timeout; one that starts as the writer waits its turn.
        repo.take_sqlite_write_lock(session)
    accounts = repo.account_ids_by_hash(session, [c[4] for c in candidates])
    source = principal.organisation_code or ""
    rows: list[dict[str, Any]] = []
    indexes: dict[str, int] = {}  # external id -> index of its first delivery in this request
    first_awards: dict[str, Award] = {}  # scenario of the catalogue in force -> its award before the cap
    for index, event, at, day, account_hash in candidates:
        reason = None
        if account_hash not in accounts:
            reason = identity.id_number_problem(event.id_number)
        scenario = None
        if reason is None:
            try:
                scenario = cat.scenario(event.scenario, day)
            except InvalidInput as exc:
                reason = exc.detail
        if reason is None and account_hash not in accounts:
            reason = "unknown resident: no account for this ID number"
        if reason is not None or scenario is None:
            results[index] = EventResult(index=index, external_id=event.external_id, status="rejected", reason=reason)
            continue
        if event.external_id in indexes:
            results[index] = EventResult(index=index, external_id=event.external_id, status="duplicate")
            continue
        indexes[event.external_id] = index
        earned = first_awards.get(scenario.code)
        if earned is None:
            earned = first_awards[scenario.code] = award(scenario, 0)
        rows.append(
            {
                "source": source,
                "external_id": event.external_id,
                "account_id": accounts[account_hash],
                "scenario": scenario.code,
                "catalogue_version": scenario.catalogue_version,
                "occurred_at": at,
                "local_day": day,
                "amount_fen": event.amount_fen,
                "points": earned.points,
                "avoided_co2_g": earned.avoided_co2_g,
                "capped": False,
            }
        )

    batch_id = None
    if rows:
        done = [r for r in results if r is not None]
        batch_id, inserted = repo.store_api_delivery(
            session,
            rows,
            actor=principal.actor,
            received_at=now,
            duplicates=sum(r.status == "duplicate" for r in done),
            rejected=sum(r.status == "rejected" for r in done) + refused,
        )
        for row in rows:
            index = indexes[row["external_id"]]
            if row["external_id"] in inserted:
                results[index] = EventResult(
                    index=index,
                    external_id=row["external_id"],
                    status="accepted",
                    points=row["points"],
                    avoided_co2_g=row["avoided_co2_g"],
                    pending=True,
                )
            else:  # stored by an earlier or a concurrent delivery
                results[index] = EventResult(index=index, external_id=row["external_id"], status="duplicate")
    final = [r for r in results if r is not None]
    assert len(final) == len(events)
    return IntakeRead(
        batch_id=batch_id,
        accepted=sum(r.status == "accepted" for r in final),
        duplicates=sum(r.status == "duplicate" for r in final),
        rejected=sum(r.status == "rejected" for r in final),
        results=final,
    )


@dataclass(frozen=True)
class Posting:
    """What one posting run did."""

    run_id: int | None
    batches: int
    events: int
    capped: int
    entries: int


POSTING_MAX_EVENTS = 200_000


def post_pending(session: Session, *, now: datetime | None = None, max_events: int = POSTING_MAX_EVENTS) -> Posting:
    """Post pending API deliveries to the ledger: the daily cap, then one earn entry per account and day.

    Deliveries are taken oldest first, up to ``max_events`` events (call again while it posts
    something). Within each (account, scenario, local day) the events already posted keep
    their awards; the pending ones are awarded in cap order (:func:`rules.cap_order_key`)
    while ``already + rank <= cap`` (:func:`rules.award`) and the rest are kept with 0 points,
    ``capped``. Only groups where the cap bites are read event by event.
    """
    now = now or utcnow()
    repo.lock_for_posting(session)
    deliveries = repo.pending_batches(session, max_events=max_events)
    batch_ids = deliveries.ids
    if not batch_ids:
        return Posting(run_id=None, batches=0, events=0, capped=0, entries=0)
    run_id = repo.new_posting_run(session, started_at=now)
    caps = {(v, sc.code): sc.daily_cap for v in available_catalogues() for sc in catalogue(v).scenarios}
    # Groups whose rewarded events, posted and pending (all pending ones carry an award), go
    # past the cap -> how many were rewarded before this run.
    over = repo.over_cap_groups(session, deliveries, caps)
    events = deliveries.events
    capped: list[int] = []
    if over:
        by_group: dict[tuple[int, str, date], list[Any]] = defaultdict(list)
        for row in repo.pending_events_of_groups(session, deliveries, set(over)):
            by_group[(row[1], row[2], row[3])].append(row)
        for key, rows in by_group.items():
            rewarded = over[key]
            for row in sorted(rows, key=lambda r: cap_order_key(r[4], r[5], r[6])):
                scenario = catalogue(row[7]).scenario(row[2], row[3])
                if award(scenario, rewarded).capped:
                    capped.append(row[0])
                else:
                    rewarded += 1
        repo.cap_events(session, capped)
    earnings = repo.pending_earnings(session, deliveries)
    repo.lock_accounts(session, (e[0] for e in earnings))
    entries = append_entries(
        session,
        [
            {
                "account_id": account_id,
                "kind": "earn",
                "points": points,
                "avoided_co2_g": co2,
                "occurred_at": _aware(last_at),
                "earned_on": day,
                "ref": f"posting:{run_id}:{day.isoformat()}",
                "posting_id": run_id,
                "catalogue_version": version,
            }
            for account_id, day, points, co2, last_at, version in earnings
        ],
        now=now,
    )
    repo.finish_posting(
        session, run_id, batch_ids, now=now, batches=len(batch_ids), events=events, capped=len(capped),
        entries=len(entries),
    )  # fmt: skip
    return Posting(run_id=run_id, batches=len(batch_ids), events=events, capped=len(capped), entries=len(entries))


def post_all_pending(session: Session, *, now: datetime | None = None) -> Posting:
    """Post every pending delivery (runs of :data:`POSTING_MAX_EVENTS` events), in this transaction."""
    runs = []
    while (run := post_pending(session, now=now)).run_id is not None:
        runs.append(run)
    return Posting(
        run_id=runs[-1].run_id if runs else None,
        batches=sum(r.batches for r in runs),
        events=sum(r.events for r in runs),
        capped=sum(r.capped for r in runs),
        entries=sum(r.entries for r in runs),
    )


def _aware(at: datetime) -> datetime:
    """SQLite hands aggregate times back as naive UTC (no column type to convert them)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# --- ledger ------------------------------------------------------------------------------


def chain_rows(
    entries: list[dict[str, Any]], heads: dict[int, tuple[int, str]], *, now: datetime
) -> list[dict[str, Any]]:
    """Number and hash entries (given in the order they happen) onto each account's chain head."""
    out = []
    for entry in entries:
        account_id = entry["account_id"]
        last_seq, last_hash = heads.get(account_id, (0, None))
        check_points_sign(entry["kind"], entry["points"])
        seq = last_seq + 1
        row = {
            "avoided_co2_g": 0,
            "earned_on": None,
            "reason": None,
            "corrects_id": None,
            "batch_id": None,
            "posting_id": None,
            "catalogue_version": None,
            **entry,
            "seq": seq,
            "prev_hash": last_hash,
            "recorded_at": now,
        }
        if row["earned_on"] is None and row["points"] > 0:
            row["earned_on"] = row["occurred_at"].astimezone(BEIJING).date()
        row["hash"] = entry_hash(
            last_hash, **{**{name: row[name] for name in HASHED_FIELDS}, "account_id": str(account_id)}
        )
        heads[account_id] = (seq, row["hash"])
        out.append(row)
    return out


def append_entries(
    session: Session, entries: list[dict[str, Any]], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Append entries to their accounts' chains (the caller holds the accounts' write locks)."""
    if not entries:
        return []
    heads = repo.chain_heads(session, (e["account_id"] for e in entries))
    rows = chain_rows(entries, heads, now=now or utcnow())
    repo.insert_ledger(session, rows)
    return rows


def correct(
    session: Session,
    principal: Principal,
    *,
    ref: str,
    reason: str,
    points: int | None = None,
    corrects_seq: int | None = None,
) -> LedgerEntry:
    """Staff correct a ledger: a reversal undoes entry ``corrects_seq``; an adjustment adds points."""
    auth.require_role(principal, "admin", "regulator")
    account = account_for(session, principal, ref)
    repo.lock_accounts(session, [account.id])
    now = utcnow()
    if corrects_seq is not None:
        original = repo.ledger_entry_by_seq(session, account.id, corrects_seq)
        if original is None:
            raise NotFound(f"account {ref} has no ledger entry {corrects_seq}")
        if original.kind == "reverse":
            raise InvalidInput("a reversal is not reversed; adjust instead")
        entry: dict[str, Any] = {
            "account_id": account.id,
            "kind": "reverse",
            "points": -original.points,
            "avoided_co2_g": -original.avoided_co2_g,
            "earned_on": original.earned_on if original.kind == "earn" else None,
            "occurred_at": now,
            "ref": f"reverse:{original.id}",
            "reason": reason,
            "corrects_id": original.id,
        }
    elif points:
        entry = {
            "account_id": account.id,
            "kind": "adjust",
            "points": points,
            "occurred_at": now,
            "ref": f"adjust:{new_id()}",
            "reason": reason,
        }
    else:
        raise InvalidInput("give points (an adjustment) or corrects_seq (a reversal)")
    if entry["points"] < 0 and repo.balance(session, account.id) + entry["points"] < 0:
        raise Conflict("the correction would make the balance negative")
    (row,) = append_entries(session, [entry], now=now)
    auth.record(
        session,
        principal,
        action=str(entry["kind"]),
        entity_type="personal_ledger",
        entity_id=account.ref,
        after={"seq": row["seq"], "points": row["points"], "reason": reason},
    )
    session.flush()
    created = repo.ledger_entry_by_seq(session, account.id, row["seq"])
    assert created is not None
    return created


def verify(session: Session, *, account_id: int | None = None) -> tuple[int, int, list[ChainBreak]]:
    """Check every account's hash chain: (accounts, entries, breaks), streamed per account."""
    breaks: list[ChainBreak] = []
    accounts = 0
    entries = 0
    current: list[Any] = []
    for row in repo.entries_in_chain_order(session, account_id=account_id):
        if current and current[-1].account_id != row.account_id:
            breaks.extend(_verify_one(current))
            accounts += 1
            current = []
        current.append(row)
        entries += 1
    if current:
        breaks.extend(_verify_one(current))
        accounts += 1
    return accounts, entries, breaks


CHECKPOINT_KEY_TAG = b"greenfin.personal.ledger.checkpoint-key.v1"


def checkpoint_key(settings: Settings) -> bytes:
    """The checkpoints' HMAC key: derived from the secret for this one purpose (never the ID-hash key itself)."""
    return hmac.new(settings.secret_key.encode(), CHECKPOINT_KEY_TAG, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: int
    made_at: datetime
    accounts: int
    entries: int
    mac: str


def checkpoint(session: Session, settings: Settings, *, now: datetime | None = None) -> Checkpoint:
    """Anchor every account's chain head in a new signed checkpoint, chained onto the last one.

    Refuses (Conflict) while an anchored entry is gone or changed: a checkpoint never blesses a
    truncated or recomputed chain. Set-based: one upsert of the heads, one pass over the anchors.
    """
    repo.lock_for_checkpoint(session)
    if repo.broken_anchors(session):
        raise Conflict("the ledger no longer reaches its anchored heads; run `greenfin personal verify`")
    previous = repo.latest_checkpoint(session)
    made_at = now or utcnow()
    row = LedgerCheckpoint(made_at=made_at, accounts=0, entries=0, heads_sha256="", mac="")
    session.add(row)
    session.flush()
    repo.advance_anchors(session, row.id)
    row.accounts, row.entries = repo.anchor_totals(session)
    row.heads_sha256 = heads_digest((a, q, h) for a, q, h in repo.anchors_in_order(session))
    row.prev_mac = previous.mac if previous is not None else None
    row.mac = checkpoint_mac(
        checkpoint_key(settings),
        checkpoint_id=row.id,
        made_at=made_at,
        accounts=row.accounts,
        entries=row.entries,
        heads_sha256=row.heads_sha256,
        prev_mac=row.prev_mac,
    )
    session.flush()
    return Checkpoint(row.id, made_at, row.accounts, row.entries, row.mac)


def checkpoint_if_due(session: Session, settings: Settings, *, now: datetime | None = None) -> Checkpoint | None:
    """A checkpoint if the last one is older than ``ledger_checkpoint_minutes`` (the server's poster calls it)."""
    now = now or utcnow()
    if not checkpoint_due(session, settings, now=now):
        return None
    return checkpoint(session, settings, now=now)


def checkpoint_due(session: Session, settings: Settings, *, now: datetime | None = None) -> bool:
    """Whether the last checkpoint is older than ``ledger_checkpoint_minutes`` (never when that is 0)."""
    if settings.ledger_checkpoint_minutes <= 0:
        return False
    last = repo.latest_checkpoint(session)
    limit = (now or utcnow()) - timedelta(minutes=settings.ledger_checkpoint_minutes)
    return last is None or _aware(last.made_at) <= limit


def verify_anchors(session: Session, settings: Settings) -> list[ChainBreak]:
    """Check the checkpoints (MACs, their chain, the anchors' digest) and that every chain reaches its anchor.

    An anchored entry that is gone is a truncation; one with another hash, a recomputed chain;
    a checkpoint whose MAC does not verify, or anchors that do not hash to the newest one's
    digest, were written without the key.
    """
    breaks: list[ChainBreak] = []
    key = checkpoint_key(settings)
    prev_mac: str | None = None
    rows = repo.checkpoints(session)
    for position, cp in enumerate(rows):
        expected = checkpoint_mac(
            key,
            checkpoint_id=cp.id,
            made_at=_aware(cp.made_at),
            accounts=cp.accounts,
            entries=cp.entries,
            heads_sha256=cp.heads_sha256,
            prev_mac=cp.prev_mac,
        )
        if not hmac.compare_digest(expected, cp.mac):
            breaks.append(ChainBreak("checkpoint", cp.id, position, "checkpoint", "its MAC does not verify"))
        if cp.prev_mac != prev_mac:
            breaks.append(
                ChainBreak("checkpoint", cp.id, position, "checkpoint", "does not chain onto the previous checkpoint")
            )
        prev_mac = cp.mac
    if rows:
        newest = rows[-1]
        digest = heads_digest((a, q, h) for a, q, h in repo.anchors_in_order(session))
        if digest != newest.heads_sha256:
            detail = f"the anchored heads do not hash to checkpoint {newest.id}'s digest"
            breaks.append(ChainBreak("checkpoint", newest.id, len(rows) - 1, "checkpoint", detail))
    for position, (account_id, seq, anchored, checkpoint_id, stored) in enumerate(repo.broken_anchors(session)):
        detail = (
            f"entry {seq}, anchored by checkpoint {checkpoint_id}, is gone (truncated)"
            if stored is None
            else f"entry {seq} hashes to {stored}, checkpoint {checkpoint_id} anchored {anchored} (recomputed)"
        )
        breaks.append(ChainBreak(str(account_id), seq, position, "anchor", detail))
    return breaks


def _verify_one(rows: list[Any]) -> list[ChainBreak]:
    return verify_chain(
        [
            ChainedEntry(
                **{**{name: getattr(r, name) for name in HASHED_FIELDS}, "account_id": str(r.account_id)},
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]
    )


def expiry_cutoff(as_of: date, rule: ExpiryRule) -> date | None:
    """The last earning day whose points no longer count on ``as_of`` (None: nothing lapses)."""
    day = as_of
    if expires_on(day, rule) is None:
        return None
    # expires_on is monotonic in the earning day; step back to the last day that has lapsed.
    low = date(1970, 1, 1)
    if expires_on(low, rule) > as_of:  # type: ignore[operator]
        return None
    high = day
    while (high - low).days > 1:
        mid = low + (high - low) / 2
        if expires_on(mid, rule) <= as_of:  # type: ignore[operator]
            low = mid
        else:
            high = mid
    return high if expires_on(high, rule) <= as_of else low  # type: ignore[operator]


def expire(session: Session, principal: Principal, *, as_of: date, rule: ExpiryRule | None = None) -> dict[str, Any]:
    """Write expire entries for points that lapse by ``as_of``; running it again writes nothing."""
    auth.require_role(principal, "admin", "regulator")
    rule = rule or expiry_rule()
    cutoff = expiry_cutoff(as_of, rule)
    if cutoff is None:
        return {"as_of": as_of.isoformat(), "rule": rule.version, "accounts": 0, "points": 0}
    repo.lock_for_bulk_intake(session)
    at = day_start(as_of)
    lapsing = repo.expiry_candidates(session, cutoff=cutoff, before=at + timedelta(microseconds=1))
    now = utcnow()
    for start in range(0, len(lapsing), 50_000):
        append_entries(
            session,
            [
                {
                    "account_id": a,
                    "kind": "expire",
                    "points": -n,
                    "occurred_at": at,
                    "ref": f"expire:{rule.version}:{as_of.isoformat()}",
                    "reason": f"earned on or before {cutoff.isoformat()}",
                }
                for a, n in lapsing[start : start + 50_000]
            ],
            now=now,
        )
    summary = {
        "as_of": as_of.isoformat(),
        "rule": rule.version,
        "cutoff": cutoff.isoformat(),
        "accounts": len(lapsing),
        "points": sum(n for _, n in lapsing),
    }
    auth.record(session, principal, action="expire", entity_type="personal_ledger", after=summary)
    session.flush()
    return summary


def balance_as_of(session: Session, account: Account, *, as_of: date | None) -> int:
    """The balance at the end of Asia/Shanghai day ``as_of`` (now when None)."""
    before = day_start(as_of + timedelta(days=1)) if as_of else None
    return repo.balance(session, account.id, before=before)


def account_grade(session: Session, account: Account, *, on: date | None = None) -> tuple[Grade, int]:
    """The green-credit grade from the trailing 12 months of avoided CO2, and the uplift in it."""
    on = on or utcnow().astimezone(BEIJING).date()
    avoided = repo.avoided_between(session, account.id, after=on - timedelta(days=365), through=on)
    uplift = repo.uplift_in_force(session, account.id, on=on)
    return grade(max(avoided, 0) + uplift, load_grade_bands()), uplift


def grade_for_bank(session: Session, principal: Principal, *, ref: str) -> tuple[Account, Grade, int]:
    """A bank reads a resident's grade; only with a live consent given to that bank."""
    auth.require_role(principal, "bank")
    account = repo.account_by_ref(session, ref)
    if principal.role == "bank":
        if account is None or principal.organisation_id is None:
            raise Forbidden("no consent of this resident for your bank")
        try:
            auth.require_consent(
                session,
                principal,
                subject_kind="resident",
                subject_ref=account.ref,
                scope=GRADE_SCOPE,
                purpose="read_grade",
            )
        except Forbidden:
            raise Forbidden(
                "no live consent of this resident for your bank (never given, revoked or expired)"
            ) from None
    elif account is None:
        raise NotFound(f"no personal carbon account {ref}")
    found, uplift = account_grade(session, account)
    auth.record(session, principal, action="read_grade", entity_type="personal_account", entity_id=account.ref)
    session.flush()
    return account, found, uplift


def pending(session: Session, account: Account) -> tuple[int, int]:
    """(events, points before the daily cap) delivered for the account and not yet posted."""
    return repo.pending_points(session, account.id)


def account_summary(session: Session, account: Account) -> dict[str, Any]:
    """Balance, points by kind, CO2 avoided and grade of an account."""
    totals = repo.account_totals(session, account.id)
    found, uplift = account_grade(session, account)
    on = utcnow().astimezone(BEIJING).date()
    pending_events, pending_points = pending(session, account)
    return {
        "ref": account.ref,
        "id_masked": account.id_masked,
        "name_masked": account.name_masked,
        "phone_masked": account.phone_masked,
        "opened_at": account.opened_at,
        "consent_ref": account.consent_ref,
        "consent_channel": account.consent_channel,
        "balance": sum(v for k, v in totals.items() if k != "co2_g"),
        "earned": totals.get("earn", 0),
        "redeemed": -totals.get("redeem", 0),
        "expired": -totals.get("expire", 0),
        "avoided_co2_g": totals["co2_g"],
        "pending_events": pending_events,
        "pending_points": pending_points,
        "grade": {
            "code": found.code,
            "name_zh": found.name_zh,
            "name_en": found.name_en,
            "avoided_co2_g": found.avoided_co2_g - uplift,
            "uplift_co2_g": uplift,
            "next_code": found.next_code,
            "to_next_g": found.to_next_g,
            "bands_version": found.bands_version,
            "as_of": on,
        },
    }


def history(session: Session, account: Account, **filters: Any) -> tuple[Sequence[LedgerEntry], int]:
    """Ledger entries, newest first, filtered by kind, scenario and period."""
    kind = filters.get("kind")
    if kind and kind not in {k.value for k in LedgerKind}:
        raise InvalidInput(f"unknown entry kind {kind!r}")
    first, last = filters.pop("first_day", None), filters.pop("last_day", None)
    return repo.history(
        session,
        account.id,
        start=day_start(first) if first else None,
        end=day_start(last + timedelta(days=1)) if last else None,
        **filters,
    )


def daily_series(session: Session, account: Account, *, days: int = 90) -> list[tuple[date, int, int]]:
    """(day, points, CO2 g) per earning day over the last ``days`` days."""
    first = utcnow().astimezone(BEIJING).date() - timedelta(days=days - 1)
    return repo.daily_points(session, account.id, first_day=first)


# --- rewards -----------------------------------------------------------------------------


def create_reward(session: Session, principal: Principal, **values: Any) -> Reward:
    """Staff add a reward to the catalogue."""
    auth.require_role(principal, "admin", "regulator")
    if values["kind"] not in REWARD_KINDS:
        raise InvalidInput(f"unknown reward kind {values['kind']!r}; known: {', '.join(REWARD_KINDS)}")
    if repo.reward_by_code(session, values["code"]) is not None:
        raise Conflict(f"a reward with code {values['code']} exists already")
    reward = Reward(**values)
    session.add(reward)
    session.flush()
    return reward


def list_rewards(session: Session, *, on: date | None = None) -> Sequence[Reward]:
    """Rewards valid on ``on`` (today when None)."""
    return repo.rewards(session, on=on or utcnow().astimezone(BEIJING).date())


def redeem(session: Session, principal: Principal, *, reward_code: str) -> tuple[Redemption, Reward, int]:
    """A resident spends points on a reward: never beyond the balance, never beyond the stock."""
    account = account_for(session, principal, "me")
    reward = repo.reward_by_code(session, reward_code)
    today = utcnow().astimezone(BEIJING).date()
    if reward is None:
        raise NotFound(f"no reward {reward_code}")
    if reward.valid_from > today or (reward.valid_to is not None and reward.valid_to < today):
        raise Conflict(f"reward {reward_code} is not available today")
    # Lock order: account, then reward (every writer takes them in this order).
    repo.lock_accounts(session, [account.id])
    repo.lock_reward(session, reward.id)
    available = repo.balance(session, account.id)
    if available < reward.points_price:
        raise Conflict(f"not enough points: {reward.points_price} needed, {available} available")
    if not repo.take_one_from_stock(session, reward.id):
        raise Conflict(f"reward {reward_code} is out of stock")
    now = utcnow()
    redemption = Redemption(
        id=new_id(),
        account_id=account.id,
        reward_id=reward.id,
        points=reward.points_price,
        voucher_code=secrets.token_hex(8).upper(),
        redeemed_at=now,
        ledger_entry_id=0,
        uplift_co2_g=reward.uplift_co2_g if reward.kind == "credit_uplift" else 0,
        uplift_until=today + timedelta(days=reward.uplift_days) if reward.kind == "credit_uplift" else None,
    )
    (row,) = append_entries(
        session,
        [
            {
                "account_id": account.id,
                "kind": "redeem",
                "points": -reward.points_price,
                "occurred_at": now,
                "ref": f"redeem:{redemption.id}",
            }
        ],
        now=now,
    )
    created = repo.ledger_entry_by_seq(session, account.id, row["seq"])
    assert created is not None
    redemption.ledger_entry_id = created.id
    session.add(redemption)
    session.flush()
    session.refresh(reward)
    return redemption, reward, available - reward.points_price


def redemptions(session: Session, account: Account) -> list[tuple[Redemption, Reward]]:
    """An account's redemptions, newest first."""
    return list(repo.redemptions_of_account(session, account.id))


def entry_scenarios(session: Session, entries: Sequence[LedgerEntry]) -> dict[int, list[str]]:
    """The scenarios each earning entry of the ledger sums (entry id → scenario codes)."""
    return repo.scenarios_of_entries(session, entries)


# --- overview ------------------------------------------------------------------------------


OVERVIEW_MAX_DAYS = 366


def overview(
    session: Session,
    principal: Principal,
    *,
    days: int = 30,
    first_day: date | None = None,
    last_day: date | None = None,
) -> dict[str, Any]:
    """Region-wide figures for the regulator: accounts, events per day, CO2 by scenario, points.

    The period is ``first_day``–``last_day`` (Beijing days, both counted), or the last ``days``
    days up to today; at most a year.
    """
    auth.require_role(principal, "admin", "regulator")
    last = last_day or utcnow().astimezone(BEIJING).date()
    first = first_day or last - timedelta(days=days - 1)
    if first > last:
        raise InvalidInput("from: the first day is after the last day", errors=[{"field": "from"}])
    if (last - first).days + 1 > OVERVIEW_MAX_DAYS:
        raise InvalidInput(f"to: a period of at most {OVERVIEW_MAX_DAYS} days", errors=[{"field": "to"}])
    by_kind = repo.points_by_kind(session)
    names = {s.code: (s.name_zh, s.name_en) for s in catalogue().scenarios}
    per_day = repo.events_per_day(session, first_day=first, last_day=last)
    by_scenario = repo.co2_by_scenario(session, first_day=first, last_day=last)
    return {
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "accounts": repo.account_count(session),
        "active_accounts_30d": repo.accounts_with_events(session, first_day=first, last_day=last),
        "points_issued": by_kind.get("earn", 0),
        "points_redeemed": -by_kind.get("redeem", 0),
        "points_expired": -by_kind.get("expire", 0),
        "points_adjusted": by_kind.get("adjust", 0) + by_kind.get("reverse", 0),
        "points_outstanding": sum(by_kind.values()),
        "events_per_day": [{"day": d.isoformat(), "events": n, "avoided_co2_g": c} for d, n, c in per_day],
        "co2_by_scenario": [
            {
                "scenario": s,
                "name_zh": names.get(s, (s, s))[0],
                "name_en": names.get(s, (s, s))[1],
                "events": n,
                "avoided_co2_g": c,
            }
            for s, n, c in by_scenario
        ],
        "avoided_co2_g_30d": sum(c for _, _, c in per_day),
    }
