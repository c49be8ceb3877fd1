"""The personal carbon account's rules: points, daily caps, grades, expiry, the ledger chain.

A resident does something low-carbon in a daily payment *scenario* (pays the electricity
bill in the mobile bank instead of at a counter, rides a bus with the QR code, …). The
scenario catalogue (a versioned data file, see :mod:`greenfin.personal.catalogue`) says
how many grams of CO2 one such event avoids and how many points it earns. These functions
are the single definition of what happens next; the database code that awards points in
bulk must agree with them, and its tests compare against them.

Worked example (catalogue v1, scenario ``online_transfer``: 24 g, 2 points, cap 10/day):

* A resident makes 12 mobile transfers on 2025-03-10 (Asia/Shanghai). Ordered by
  ``(occurred_at, external_id)``, transfers 1–10 each get ``award(s, rewarded_today=0..9)``
  = ``Award(points=2, avoided_co2_g=24, capped=False)``; transfers 11 and 12 get
  ``award(s, rewarded_today=10)`` = ``Award(points=0, avoided_co2_g=0, capped=True)``.
  The day yields 20 points and 240 g.
* The earn entries are dated 2025-03-10; under the default expiry rule (end of the second
  calendar year after earning) ``expires_on(date(2025, 3, 10), rule)`` is 2028-01-01, the
  first day they no longer count.
* If the trailing-12-month total reaches 50,000 g the resident's grade is 中绿
  (``grade(50_000, bands).code == "mid_green"``); 49,999 g is still 浅绿.

Daily cap semantics (the contract for every implementation):

1. Events are grouped by (resident account, scenario code, calendar day in Asia/Shanghai
   time, i.e. UTC+8 — China has no daylight saving time, so a fixed offset is exact).
2. Within a group, events are ranked by ``occurred_at``, then ``external_id``, then
   ``source`` (:func:`cap_order_key`).
3. ``rewarded_today`` is the number of events of the group already rewarded (stored
   before this delivery, plus those ranked earlier in this delivery). The event is
   rewarded iff ``rewarded_today < daily_cap``. So for a fresh day the first ``daily_cap``
   events by rank are rewarded; in SQL: ``already_rewarded + row_number() over (partition
   by account, scenario, local_day order by occurred_at, external_id, source) <=
   daily_cap``.
4. An event that arrives late (after the cap was reached) earns nothing even if it
   occurred earlier than rewarded ones: awards already written to the append-only ledger
   are never re-ranked.
5. An event beyond the cap is kept (it is real, and counted in statistics of events) but
   earns **0 points and 0 g avoided CO2**: the factor is an average for a typical
   frequency of the behaviour, and beyond the cap the marginal event is unlikely to
   avoid anything more (the 11th transfer of a day does not avoid an 11th bank visit;
   splitting one payment into many avoids nothing). Counting its grams would also let
   splitting raise the green-credit grade, which changes loan terms.

Ledger hash chain: each entry's hash is SHA-256 over a canonical encoding of the previous
entry's hash and the entry's own fields (see :func:`canonical_entry_bytes`), so changing,
removing or reordering an entry breaks the chain at that point and :func:`verify_chain`
reports it. Truncating the newest entries is not visible from the chain alone; the
head (last seq and hash) is anchored in signed checkpoints (:func:`heads_digest`,
:func:`checkpoint_mac`): a truncated or recomputed chain no longer reaches its anchored head.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Protocol

from greenfin.clock import BEIJING
from greenfin.errors import InvalidInput

CHAIN_TAG = "greenfin.personal.ledger.v2"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# A ledger time in its hashed form: UTC, six fraction digits, "Z" (see canonical_entry_bytes).
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_DAY_TEXT = re.compile(r"\d{4}-\d\d-\d\d")


class Category(StrEnum):
    """The three families of daily payment scenarios."""

    GREEN_PAYMENT = "green_payment"
    GREEN_TRAVEL = "green_travel"
    GREEN_LIFE = "green_life"


class Confidence(StrEnum):
    """How solid a number is: H two sources agree or official; M one source; L assumption."""

    H = "H"
    M = "M"
    L = "L"


class LedgerKind(StrEnum):
    """Kinds of points-ledger entries and the sign their ``points`` must have.

    earn (> 0) points for an event; redeem (< 0) spent on a reward; expire (< 0) lapsed
    under the expiry rule; adjust (≠ 0) a manual correction with a reason; reverse (≠ 0)
    undoes one earlier entry exactly (opposite sign), pointing at it.
    """

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"


# The sign each kind's points must have: 1 positive, -1 negative, 0 any but zero.
_POINTS_SIGN: dict[str, int] = {
    LedgerKind.EARN: 1,
    LedgerKind.REDEEM: -1,
    LedgerKind.EXPIRE: -1,
    LedgerKind.ADJUST: 0,
    LedgerKind.REVERSE: 0,
}


@dataclass(frozen=True, slots=True)
class PointsRule:
    """Points per event = avoided grams ÷ ``grams_per_point``, rounded half up, at least
    ``minimum`` for any event that avoids CO2 at all."""

    grams_per_point: int
    minimum: int
    note: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """One daily payment scenario of a catalogue version, with its per-event factor."""

    code: str
    name_zh: str
    name_en: str
    category: Category
    avoided_co2_g: int
    method: str
    source: str
    confidence: Confidence
    inputs: tuple[str, ...]
    points: int
    daily_cap: int
    valid_from: date
    valid_to: date | None  # inclusive last day; None = open-ended
    catalogue_version: str
    peer: str | None = None

    def is_valid_on(self, on: date) -> bool:
        """Whether events on this (Asia/Shanghai) day may use the scenario."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Award:
    """What one event earns: points and avoided CO2, or nothing when over the daily cap."""

    points: int
    avoided_co2_g: int
    capped: bool


@dataclass(frozen=True, slots=True)
class GradeBand:
    """A green-credit grade: reached at ``min_co2_g`` of trailing-12-month avoided CO2."""

    code: str
    name_zh: str
    name_en: str
    min_co2_g: int
    note: str


@dataclass(frozen=True, slots=True)
class GradeBands:
    """A versioned, ordered set of grade bands (ascending ``min_co2_g``, first at 0)."""

    version: str
    published: date
    publisher: str
    bands: tuple[GradeBand, ...]


@dataclass(frozen=True, slots=True)
class Grade:
    """A resident's grade, with the distance to the next band for explanation."""

    code: str
    name_zh: str
    name_en: str
    min_co2_g: int
    avoided_co2_g: int
    next_code: str | None
    to_next_g: int | None
    bands_version: str


class ExpiryMode(StrEnum):
    """How earned points lapse."""

    CALENDAR_YEARS = "calendar_years"  # at the end of the N-th calendar year after earning
    MONTHS = "months"  # N calendar months after the earning day
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class ExpiryRule:
    """A versioned points-expiry rule."""

    version: str
    mode: ExpiryMode
    n: int
    note: str


class ChainEntry(Protocol):
    """What :func:`verify_chain` needs from a stored ledger entry."""

    @property
    def account_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def ref(self) -> str: ...
    @property
    def prev_hash(self) -> str | None: ...
    @property
    def hash(self) -> str: ...
    @property
    def avoided_co2_g(self) -> int: ...
    @property
    def earned_on(self) -> date | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def corrects_id(self) -> int | None: ...
    @property
    def batch_id(self) -> int | None: ...
    @property
    def posting_id(self) -> int | None: ...
    @property
    def catalogue_version(self) -> str | None: ...
    @property
    def recorded_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A points-ledger entry as stored: its fields, its predecessor's hash and its own."""

    account_id: str
    seq: int
    kind: str
    points: int
    occurred_at: datetime
    ref: str
    prev_hash: str | None
    hash: str
    avoided_co2_g: int = 0
    earned_on: date | None = None
    reason: str | None = None
    corrects_id: int | None = None
    batch_id: int | None = None
    posting_id: int | None = None
    catalogue_version: str | None = None
    recorded_at: datetime | None = None


# The fields of an entry its hash covers besides the previous hash (canonical_entry_bytes' keywords).
HASHED_FIELDS = (
    "account_id", "seq", "kind", "points", "occurred_at", "ref", "avoided_co2_g", "earned_on", "reason",
    "corrects_id", "batch_id", "posting_id", "catalogue_version", "recorded_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """One place where a ledger chain does not verify.

    ``reason`` is one of ``seq`` (not the next number), ``prev_hash`` (does not point at
    the previous entry's hash), ``hash`` (the stored hash is not the hash of the fields).
    ``position`` is the index in the sequence given to :func:`verify_chain`.
    """

    account_id: str
    seq: int
    position: int
    reason: str
    detail: str


# ---------------------------------------------------------------------------- points


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def points_for(avoided_co2_g: int, rule: PointsRule) -> int:
    """Points one event earns for ``avoided_co2_g`` grams under ``rule``."""
    if not _is_int(avoided_co2_g) or avoided_co2_g < 0:
        raise InvalidInput(f"avoided CO2 must be a non-negative integer of grams: {avoided_co2_g!r}")
    if avoided_co2_g == 0:
        return 0
    raw = (Decimal(avoided_co2_g) / Decimal(rule.grams_per_point)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(rule.minimum, int(raw))


def award(scenario: Scenario, rewarded_today: int) -> Award:
    """Award one event, given how many events of this resident, scenario and day were
    already rewarded."""
    if not _is_int(rewarded_today) or rewarded_today < 0:
        raise InvalidInput(f"rewarded_today must be a non-negative integer: {rewarded_today!r}")
    if rewarded_today >= scenario.daily_cap:
        return Award(points=0, avoided_co2_g=0, capped=True)
    return Award(points=scenario.points, avoided_co2_g=scenario.avoided_co2_g, capped=False)


def local_day(occurred_at: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware timestamp (the cap's day)."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidInput(f"time must carry a UTC offset: {occurred_at.isoformat()}")
    return occurred_at.astimezone(BEIJING).date()


def cap_order_key(occurred_at: datetime, external_id: str, source: str = "") -> tuple[datetime, str, str]:
    """The rank of an event within its (resident, scenario, day) group."""
    local_day(occurred_at)  # refuses naive times
    return (occurred_at.astimezone(UTC), external_id, source)


def award_day(
    scenario: Scenario,
    events: Iterable[tuple[datetime, str]],
    *,
    already_rewarded: int = 0,
) -> list[tuple[datetime, str, Award]]:
    """Award one resident's events of one scenario and one local day, in cap order.

    ``events`` are ``(occurred_at, external_id)`` pairs; the result is sorted by
    :func:`cap_order_key`. This is the reference the set-based intake is tested against.
    """
    ordered = sorted(events, key=lambda e: cap_order_key(e[0], e[1]))
    days = {local_day(at) for at, _ in ordered}
    if len(days) > 1:
        raise InvalidInput(
            "events of one cap group must share one Asia/Shanghai day; got "
            + ", ".join(d.isoformat() for d in sorted(days))
        )
    result: list[tuple[datetime, str, Award]] = []
    rewarded = already_rewarded
    for at, external_id in ordered:
        a = award(scenario, rewarded)
        if not a.capped:
            rewarded += 1
        result.append((at, external_id, a))
    return result


# ---------------------------------------------------------------------------- grades


def grade(avoided_co2_g_trailing_12m: int, bands: GradeBands) -> Grade:
    """The green-credit grade for a trailing-12-month total of avoided CO2 (grams)."""
    g = avoided_co2_g_trailing_12m
    if not _is_int(g) or g < 0:
        raise InvalidInput(f"avoided CO2 must be a non-negative integer of grams: {g!r}")
    ordered = bands.bands
    index = 0
    for i, band in enumerate(ordered):
        if g >= band.min_co2_g:
            index = i
    band = ordered[index]
    nxt = ordered[index + 1] if index + 1 < len(ordered) else None
    return Grade(
        code=band.code,
        name_zh=band.name_zh,
        name_en=band.name_en,
        min_co2_g=band.min_co2_g,
        avoided_co2_g=g,
        next_code=nxt.code if nxt else None,
        to_next_g=nxt.min_co2_g - g if nxt else None,
        bands_version=bands.version,
    )


# ---------------------------------------------------------------------------- expiry


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def expires_on(earned_on: date, rule: ExpiryRule) -> date | None:
    """The first day on which points earned on ``earned_on`` no longer count (None: never).

    calendar_years N: 1 January of year ``earned_on.year + N + 1`` (points earned in 2025
    under N = 2 count through 2027-12-31). months N: the same day of the month N months
    later, clamped to the month's last day (2024-02-29 + 12 months → 2025-02-28).
    """
    if rule.mode is ExpiryMode.NEVER:
        return None
    if rule.mode is ExpiryMode.CALENDAR_YEARS:
        return date(earned_on.year + rule.n + 1, 1, 1)
    return _add_months(earned_on, rule.n)


# ---------------------------------------------------------------------------- chain


def _utc_text(at: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (the hashed form of a ledger time)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"ledger time must carry a UTC offset: {at.isoformat()}")
    utc = at if at.tzinfo is UTC else at.astimezone(UTC)
    if utc.year < 1000:  # strftime's %Y does not pad such years on every platform; isoformat does
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same characters as that strftime at about half its cost (posting hashes every entry).
    return utc.isoformat(timespec="microseconds")[:26] + "Z"


def canonical_entry_bytes(
    prev_hash: str | None,
    *,
    account_id: str,
    seq: int,
    kind: str,
    points: int,
    occurred_at: datetime | str,
    ref: str,
    avoided_co2_g: int = 0,
    earned_on: date | str | None = None,
    reason: str | None = None,
    corrects_id: int | None = None,
    batch_id: int | None = None,
    posting_id: int | None = None,
    catalogue_version: str | None = None,
    recorded_at: datetime | str | None = None,
) -> bytes:
    """The exact bytes an entry's hash covers: every field of the entry but its surrogate ``id``.

    Sixteen fields in this order — the tag ``greenfin.personal.ledger.v2``, the previous hash
    (64 lowercase hex, or empty for the first entry), account id, seq (decimal), kind, points
    (decimal, ``-`` for negatives), occurred_at in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ref,
    avoided_co2_g (decimal), earned_on (``YYYY-MM-DD``), reason, corrects_id, batch_id,
    posting_id, catalogue_version, recorded_at (UTC like occurred_at) — each UTF-8 encoded and
    written as a netstring ``<byte length>:<bytes>,``. An absent (NULL) field is empty; a present
    text field (reason, catalogue_version) is prefixed with ``=``, so that NULL and an empty text
    differ. Length prefixes make the encoding unambiguous whatever characters a field holds.
    Times are aware datetimes or that UTC text already formed, ``earned_on`` a date or its text
    (the file intake formats a whole column at once). The entry's identity is (account id, seq).
    """
    if prev_hash is not None and not _HEX64.fullmatch(prev_hash):
        raise InvalidInput(f"previous hash must be 64 lowercase hex digits: {prev_hash!r}")
    if not _is_int(seq) or seq < 1:
        raise InvalidInput(f"seq must be a positive integer: {seq!r}")
    if not _is_int(points):
        raise InvalidInput(f"points must be an integer: {points!r}")
    if not _is_int(avoided_co2_g):
        raise InvalidInput(f"avoided_co2_g must be an integer: {avoided_co2_g!r}")
    if kind not in _POINTS_SIGN:
        known = ", ".join(k.value for k in LedgerKind)
        raise InvalidInput(f"unknown ledger kind {kind!r}; known: {known}")
    if isinstance(earned_on, str):
        if not _DAY_TEXT.fullmatch(earned_on):
            raise InvalidInput(f"earned_on must be a day like 2025-03-10: {earned_on!r}")
        day = earned_on
    else:
        day = "" if earned_on is None else earned_on.isoformat()
    fields = (
        CHAIN_TAG,
        prev_hash or "",
        account_id,
        str(seq),
        str(kind),
        str(points),
        _hashed_time(occurred_at),
        ref,
        str(avoided_co2_g),
        day,
    )
    tail = _tail(reason, corrects_id, batch_id, posting_id, catalogue_version, recorded_at)
    return b"".join([_netstring(text.encode("utf-8")) for text in fields]) + tail


def _tail(
    reason: str | None,
    corrects_id: int | None,
    batch_id: int | None,
    posting_id: int | None,
    catalogue_version: str | None,
    recorded_at: datetime | str | None,
) -> bytes:
    """The encoded last six fields (shared by many entries of a file: see :func:`entry_hasher`)."""
    for name, number in (("corrects_id", corrects_id), ("batch_id", batch_id), ("posting_id", posting_id)):
        if number is not None and not _is_int(number):
            raise InvalidInput(f"{name} must be an integer or absent: {number!r}")
    fields = (
        "" if reason is None else "=" + reason,
        "" if corrects_id is None else str(corrects_id),
        "" if batch_id is None else str(batch_id),
        "" if posting_id is None else str(posting_id),
        "" if catalogue_version is None else "=" + catalogue_version,
        "" if recorded_at is None else _hashed_time(recorded_at),
    )
    return b"".join([_netstring(text.encode("utf-8")) for text in fields])


EntryHasher = Callable[[str | None, str, int, int, str, str, int, str], str]


def entry_hasher(
    *,
    kind: str,
    reason: str | None = None,
    corrects_id: int | None = None,
    batch_id: int | None = None,
    posting_id: int | None = None,
    catalogue_version: str | None = None,
    recorded_at: datetime | str | None = None,
) -> EntryHasher:
    """:func:`entry_hash` for many entries that share their kind and last six fields (a file's earn entries).

    The shared fields are encoded once; the function returned takes ``(prev_hash, account_id,
    seq, points, occurred_at, ref, avoided_co2_g, earned_on)``, the times and day as the UTC and
    day text of :func:`canonical_entry_bytes`, and gives the same hash as :func:`entry_hash`
    (about half its cost: the file intake hashes one entry per resident and day).
    """
    if kind not in _POINTS_SIGN:
        known = ", ".join(k.value for k in LedgerKind)
        raise InvalidInput(f"unknown ledger kind {kind!r}; known: {known}")
    tag = _netstring(CHAIN_TAG.encode())
    kind_field = _netstring(kind.encode())
    tail = _tail(reason, corrects_id, batch_id, posting_id, catalogue_version, recorded_at)
    sha256 = hashlib.sha256

    def hash_one(
        prev_hash: str | None,
        account_id: str,
        seq: int,
        points: int,
        occurred_at: str,
        ref: str,
        avoided_co2_g: int,
        earned_on: str,
    ) -> str:
        if prev_hash is not None and not _HEX64.fullmatch(prev_hash):
            raise InvalidInput(f"previous hash must be 64 lowercase hex digits: {prev_hash!r}")
        if not _UTC_TEXT.fullmatch(occurred_at):
            raise InvalidInput(f"ledger time must be UTC text like 2025-03-11T02:00:00.500000Z: {occurred_at!r}")
        if not _DAY_TEXT.fullmatch(earned_on):
            raise InvalidInput(f"earned_on must be a day like 2025-03-10: {earned_on!r}")
        if not (_is_int(seq) and seq >= 1 and _is_int(points) and _is_int(avoided_co2_g)):
            raise InvalidInput(f"seq, points and avoided_co2_g must be integers (seq ≥ 1): {seq!r}, {points!r}")
        prev = (prev_hash or "").encode()
        account = account_id.encode()
        ref_bytes = ref.encode()
        seq_text, points_text, co2_text = b"%d" % seq, b"%d" % points, b"%d" % avoided_co2_g
        encoded = b"%d:%b,%d:%b,%d:%b,%b%d:%b,%d:%b,%d:%b,%d:%b,%d:%b,%b" % (
            len(prev), prev, len(account), account, len(seq_text), seq_text, kind_field,
            len(points_text), points_text, len(occurred_at), occurred_at.encode(), len(ref_bytes), ref_bytes,
            len(co2_text), co2_text, len(earned_on), earned_on.encode(), tail,
        )  # fmt: skip
        return sha256(tag + encoded).hexdigest()

    return hash_one


def _hashed_time(at: datetime | str) -> str:
    if isinstance(at, str):
        if not _UTC_TEXT.fullmatch(at):
            raise InvalidInput(f"ledger time must be UTC text like 2025-03-11T02:00:00.500000Z: {at!r}")
        return at
    return _utc_text(at)


def _netstring(raw: bytes) -> bytes:
    return b"%d:%b," % (len(raw), raw)


def entry_hash(prev_hash: str | None, **fields: Any) -> str:
    """SHA-256 (lowercase hex) of an entry chained to its predecessor's hash (fields: :func:`canonical_entry_bytes`)."""
    return hashlib.sha256(canonical_entry_bytes(prev_hash, **fields)).hexdigest()


CHECKPOINT_TAG = "greenfin.personal.ledger.checkpoint.v1"


def heads_digest(anchors: Iterable[tuple[int, int, str]]) -> str:
    """SHA-256 (hex) over every anchored head ``(account id, seq, hash)``, given in account order.

    One line ``<account id>:<seq>:<hash>\\n`` per account (ids and seqs are decimal integers and
    hashes 64 hex digits, so the lines are unambiguous).
    """
    digest = hashlib.sha256()
    for account_id, seq, head in anchors:
        digest.update(b"%d:%d:%b\n" % (account_id, seq, head.encode("ascii")))
    return digest.hexdigest()


def checkpoint_mac(
    key: bytes,
    *,
    checkpoint_id: int,
    made_at: datetime,
    accounts: int,
    entries: int,
    heads_sha256: str,
    prev_mac: str | None,
) -> str:
    """HMAC-SHA256 (hex) of a checkpoint: its fields and the previous checkpoint's MAC, as netstrings."""
    fields = (
        CHECKPOINT_TAG,
        str(checkpoint_id),
        _utc_text(made_at),
        str(accounts),
        str(entries),
        heads_sha256,
        prev_mac or "",
    )
    message = b"".join([_netstring(text.encode("utf-8")) for text in fields])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_points_sign(kind: str, points: int) -> None:
    """Refuse points whose sign does not fit the entry kind (see :class:`LedgerKind`)."""
    sign = _POINTS_SIGN.get(kind)
    if sign is None:
        known = ", ".join(k.value for k in LedgerKind)
        raise InvalidInput(f"unknown ledger kind {kind!r}; known: {known}")
    if not (points > 0 if sign == 1 else points < 0 if sign == -1 else points != 0):
        raise InvalidInput(f"a {kind} entry cannot carry {points} points")


def verify_chain(entries: Sequence[ChainEntry]) -> list[ChainBreak]:
    """Check per-account hash chains over entries given in (account, seq) order; [] = intact.

    Entries of several accounts may be interleaved; each account's chain starts at seq 1
    with no previous hash. After a break, checking continues from the entry as stored, so
    one tampered entry is reported where it is rather than at every later entry.
    """
    breaks: list[ChainBreak] = []
    last: dict[str, tuple[int, str | None]] = {}
    for position, e in enumerate(entries):
        state = last.get(e.account_id)
        prev_seq, expected_prev = (0, None) if state is None else state
        if e.seq != prev_seq + 1:
            breaks.append(ChainBreak(e.account_id, e.seq, position, "seq", f"expected seq {prev_seq + 1}"))
        if e.prev_hash != expected_prev:
            breaks.append(
                ChainBreak(
                    e.account_id,
                    e.seq,
                    position,
                    "prev_hash",
                    f"points at {e.prev_hash!r}, previous entry's hash is {expected_prev!r}",
                )
            )
        try:
            recomputed = entry_hash(e.prev_hash, **{name: getattr(e, name) for name in HASHED_FIELDS})
        except InvalidInput as exc:
            breaks.append(ChainBreak(e.account_id, e.seq, position, "hash", exc.detail))
        else:
            if recomputed != e.hash:
                breaks.append(
                    ChainBreak(
                        e.account_id,
                        e.seq,
                        position,
                        "hash",
                        f"stored {e.hash}, fields hash to {recomputed}",
                    )
                )
        last[e.account_id] = (e.seq, e.hash)
    return breaks
