"""The pure rules of the personal carbon account: points, caps, grades, expiry, hash chain."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from greenfin.clock import BEIJING
from greenfin.errors import InvalidInput
from greenfin.personal.rules import (
    Award,
    Category,
    Confidence,
    ExpiryMode,
    ExpiryRule,
    GradeBand,
    GradeBands,
    LedgerEntry,
    LedgerKind,
    PointsRule,
    Scenario,
    award,
    award_day,
    canonical_entry_bytes,
    check_points_sign,
    entry_hash,
    entry_hasher,
    expires_on,
    grade,
    local_day,
    points_for,
    verify_chain,
)

RULE = PointsRule(grams_per_point=10, minimum=1, note="1 point per 10 g, half up, min 1")

TRANSFER = Scenario(
    code="online_transfer",
    name_zh="网银/手机银行转账",
    name_en="Online and mobile transfer",
    category=Category.GREEN_PAYMENT,
    avoided_co2_g=24,
    method="0.10 x (T + P)",
    source="test",
    confidence=Confidence.L,
    inputs=(),
    points=2,
    daily_cap=10,
    valid_from=date(2018, 1, 1),
    valid_to=None,
    catalogue_version="v1",
)


# ---------------------------------------------------------------------------- points


@pytest.mark.parametrize(
    ("grams", "points"),
    [
        # grams ÷ 10, rounded half up, at least 1 when grams > 0
        (0, 0),  # nothing avoided, nothing earned (the minimum applies only to > 0 g)
        (1, 1),  # 0.1 → 0, raised to the minimum 1
        (4, 1),  # 0.4 → 0 → 1
        (5, 1),  # 0.5 → 1 (half up)
        (14, 1),  # 1.4 → 1
        (15, 2),  # 1.5 → 2 (half up, not banker's rounding to 2 either way)
        (24, 2),  # 2.4 → 2
        (25, 3),  # 2.5 → 3 (banker's rounding would give 2)
        (123, 12),  # 12.3 → 12
        (2100, 210),
    ],
)
def test_points_for_follows_the_rule(grams: int, points: int) -> None:
    assert points_for(grams, RULE) == points


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_points_for_refuses_non_integer_or_negative_grams(bad: object) -> None:
    with pytest.raises(InvalidInput, match="non-negative integer"):
        points_for(bad, RULE)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- caps


def test_award_within_the_cap_earns_the_scenario_values() -> None:
    for already in range(10):
        assert award(TRANSFER, already) == Award(points=2, avoided_co2_g=24, capped=False)


@pytest.mark.parametrize("already", [10, 11, 500])
def test_award_beyond_the_cap_earns_neither_points_nor_grams(already: int) -> None:
    assert award(TRANSFER, already) == Award(points=0, avoided_co2_g=0, capped=True)


def test_award_with_a_cap_of_one() -> None:
    once = dataclasses.replace(TRANSFER, daily_cap=1)
    assert award(once, 0).capped is False
    assert award(once, 1).capped is True


@pytest.mark.parametrize("bad", [-1, True])
def test_award_refuses_a_bad_count(bad: int) -> None:
    with pytest.raises(InvalidInput, match="rewarded_today"):
        award(TRANSFER, bad)


def test_twelve_transfers_in_a_day_earn_ten_times() -> None:
    # 12 transfers on 2025-03-10 (Shanghai): 10 × (2 points, 24 g) = 20 points, 240 g.
    base = datetime(2025, 3, 10, 9, 0, tzinfo=BEIJING)
    events = [(base + timedelta(minutes=i), f"x{i:02d}") for i in range(12)]
    awarded = award_day(TRANSFER, reversed(events))
    assert [e for _, e, _ in awarded] == [f"x{i:02d}" for i in range(12)]  # sorted by time
    assert sum(a.points for _, _, a in awarded) == 20
    assert sum(a.avoided_co2_g for _, _, a in awarded) == 240
    assert [a.capped for _, _, a in awarded] == [False] * 10 + [True] * 2


def test_cap_order_breaks_ties_by_external_id_and_counts_earlier_awards() -> None:
    at = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    awarded = award_day(TRANSFER, [(at, "b"), (at, "a"), (at - timedelta(seconds=1), "z")], already_rewarded=8)
    # order: z (earlier), then a, b (same instant, by external id); 8 already rewarded → 2 left
    assert [(e, a.capped) for _, e, a in awarded] == [("z", False), ("a", False), ("b", True)]


def test_the_cap_day_is_the_shanghai_calendar_day() -> None:
    # 16:00 UTC is midnight in Shanghai (UTC+8, no daylight saving time)
    assert local_day(datetime(2025, 3, 9, 15, 59, 59, tzinfo=UTC)) == date(2025, 3, 9)
    assert local_day(datetime(2025, 3, 9, 16, 0, 0, tzinfo=UTC)) == date(2025, 3, 10)
    assert local_day(datetime(2025, 3, 10, 0, 0, tzinfo=timezone(timedelta(hours=-5)))) == date(2025, 3, 10)
    with pytest.raises(InvalidInput, match="UTC offset"):
        local_day(datetime(2025, 3, 10, 12, 0))


def test_award_day_refuses_events_of_two_days() -> None:
    a = datetime(2025, 3, 9, 15, 59, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="one Asia/Shanghai day; got 2025-03-09, 2025-03-10"):
        award_day(TRANSFER, [(a, "1"), (a + timedelta(minutes=2), "2")])


def test_scenario_validity_is_inclusive_at_both_ends() -> None:
    s = dataclasses.replace(TRANSFER, valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))
    assert [s.is_valid_on(d) for d in (date(2024, 12, 31), date(2025, 1, 1), date(2025, 12, 31))] == [
        False,
        True,
        True,
    ]
    assert s.is_valid_on(date(2026, 1, 1)) is False


# ---------------------------------------------------------------------------- grades

BANDS = GradeBands(
    version="v1",
    published=date(2026, 11, 24),
    publisher="test",
    bands=(
        GradeBand("light_green", "浅绿", "Light green", 0, ""),
        GradeBand("mid_green", "中绿", "Mid green", 50_000, ""),
        GradeBand("dark_green", "深绿", "Dark green", 100_000, ""),
    ),
)


@pytest.mark.parametrize(
    ("grams", "code", "to_next"),
    [
        (0, "light_green", 50_000),
        (1, "light_green", 49_999),
        (49_999, "light_green", 1),  # 1 g short of 50 kg
        (50_000, "mid_green", 50_000),  # thresholds are inclusive
        (50_001, "mid_green", 49_999),
        (99_999, "mid_green", 1),
        (100_000, "dark_green", None),
        (100_001, "dark_green", None),
        (10_000_000, "dark_green", None),
    ],
)
def test_grade_at_and_around_each_threshold(grams: int, code: str, to_next: int | None) -> None:
    g = grade(grams, BANDS)
    assert (g.code, g.to_next_g, g.avoided_co2_g, g.bands_version) == (code, to_next, grams, "v1")


def test_grade_names_and_next_band() -> None:
    g = grade(60_000, BANDS)
    assert (g.name_zh, g.name_en, g.min_co2_g, g.next_code) == ("中绿", "Mid green", 50_000, "dark_green")


@pytest.mark.parametrize("bad", [-1, True])
def test_grade_refuses_negative_or_non_integer(bad: int) -> None:
    with pytest.raises(InvalidInput):
        grade(bad, BANDS)


# ---------------------------------------------------------------------------- expiry


@pytest.mark.parametrize(
    ("mode", "n", "earned", "expires"),
    [
        # calendar_years 2: points of 2025 count through 2027-12-31, lapse on 2028-01-01
        (ExpiryMode.CALENDAR_YEARS, 2, date(2025, 1, 1), date(2028, 1, 1)),
        (ExpiryMode.CALENDAR_YEARS, 2, date(2025, 3, 10), date(2028, 1, 1)),
        (ExpiryMode.CALENDAR_YEARS, 2, date(2025, 12, 31), date(2028, 1, 1)),
        (ExpiryMode.CALENDAR_YEARS, 0, date(2025, 6, 1), date(2026, 1, 1)),  # end of the same year
        (ExpiryMode.MONTHS, 24, date(2025, 3, 10), date(2027, 3, 10)),
        (ExpiryMode.MONTHS, 12, date(2024, 2, 29), date(2025, 2, 28)),  # clamped to month end
        (ExpiryMode.MONTHS, 1, date(2025, 1, 31), date(2025, 2, 28)),
        (ExpiryMode.MONTHS, 11, date(2025, 3, 31), date(2026, 2, 28)),
        (ExpiryMode.MONTHS, 10, date(2025, 3, 15), date(2026, 1, 15)),  # across a year end
        (ExpiryMode.NEVER, 0, date(2025, 3, 10), None),
    ],
)
def test_expires_on(mode: ExpiryMode, n: int, earned: date, expires: date | None) -> None:
    assert expires_on(earned, ExpiryRule(version="v1", mode=mode, n=n, note="")) == expires


# ---------------------------------------------------------------------------- ledger kinds


def test_ledger_kinds() -> None:
    assert [k.value for k in LedgerKind] == ["earn", "redeem", "expire", "adjust", "reverse"]


@pytest.mark.parametrize(
    ("kind", "points", "ok"),
    [
        ("earn", 2, True),
        ("earn", 0, False),
        ("earn", -2, False),
        ("redeem", -100, True),
        ("redeem", 100, False),
        ("expire", -5, True),
        ("expire", 5, False),
        ("adjust", 3, True),
        ("adjust", -3, True),
        ("adjust", 0, False),
        ("reverse", -2, True),
        ("reverse", 0, False),
    ],
)
def test_points_sign_per_kind(kind: str, points: int, ok: bool) -> None:
    if ok:
        check_points_sign(kind, points)
    else:
        with pytest.raises(InvalidInput, match=f"a {kind} entry cannot carry"):
            check_points_sign(kind, points)


def test_points_sign_refuses_an_unknown_kind() -> None:
    with pytest.raises(InvalidInput, match="unknown ledger kind 'gift'; known: earn, redeem"):
        check_points_sign("gift", 1)


# ---------------------------------------------------------------------------- hash chain


def _netstring(text: str) -> bytes:
    raw = text.encode("utf-8")
    return str(len(raw)).encode("ascii") + b":" + raw + b","


def _by_hand(*fields: str) -> str:
    return hashlib.sha256(b"".join(_netstring(f) for f in fields)).hexdigest()


def _absent_rest(avoided_co2_g: str = "0") -> tuple[str, ...]:
    """avoided_co2_g, then earned_on, reason, corrects_id, batch_id, posting_id, catalogue_version, recorded_at."""
    return (avoided_co2_g, "", "", "", "", "", "", "")


# Computed once with the hand-written netstring code above (not with entry_hash), pinned.
H1 = "906e9ccb8b943a4f8af31895b853dbb8c67e6f9d696933c7dccf5913bf21e4d8"
H2 = "d5da9b6f22bee0e42235bcfaab29d994f4f2a8a6999b1a07f4a01bb47f47a1ee"
H3 = "af533d688f34634d71102ca2ae3d9ecbb36a612d950644e2ff72aa17530ae4f0"


def test_entry_hash_matches_a_hand_written_sha256() -> None:
    # first entry: no previous hash → empty field; time 09:30 Shanghai = 01:30 UTC
    hand1 = _by_hand(
        "greenfin.personal.ledger.v2",
        "",
        "acct-1",
        "1",
        "earn",
        "24",
        "2025-03-10T01:30:00.000000Z",
        "evt:bank-a:0001",
        *_absent_rest(),
    )
    assert hand1 == H1
    got1 = entry_hash(
        None,
        account_id="acct-1",
        seq=1,
        kind="earn",
        points=24,
        occurred_at=datetime(2025, 3, 10, 9, 30, tzinfo=BEIJING),
        ref="evt:bank-a:0001",
    )
    assert got1 == H1
    # second entry, chained; negative points and a non-ASCII ref (UTF-8 byte length 16)
    hand2 = _by_hand(
        "greenfin.personal.ledger.v2",
        H1,
        "acct-1",
        "2",
        "redeem",
        "-20",
        "2025-03-11T02:00:00.500000Z",
        "reward:售后券",
        *_absent_rest(),
    )
    assert hand2 == H2
    got2 = entry_hash(
        H1,
        account_id="acct-1",
        seq=2,
        kind=LedgerKind.REDEEM,
        points=-20,
        occurred_at=datetime(2025, 3, 11, 2, 0, 0, 500_000, tzinfo=UTC),
        ref="reward:售后券",
    )
    assert got2 == H2
    # third: every field present — a reversal of entry id 9 with its reason, of a file's earn entry
    hand3 = _by_hand(
        "greenfin.personal.ledger.v2",
        H2,
        "acct-1",
        "3",
        "reverse",
        "-24",
        "2025-03-12T00:00:00.000000Z",
        "reverse:9",
        "-1230",
        "2025-03-10",
        "=wrong bank file",
        "9",
        "41",
        "77",
        "=v1",
        "2025-03-12T00:00:01.000000Z",
    )
    assert hand3 == H3
    got3 = entry_hash(
        H2,
        account_id="acct-1",
        seq=3,
        kind="reverse",
        points=-24,
        occurred_at=datetime(2025, 3, 12, tzinfo=UTC),
        ref="reverse:9",
        avoided_co2_g=-1230,
        earned_on=date(2025, 3, 10),
        reason="wrong bank file",
        corrects_id=9,
        batch_id=41,
        posting_id=77,
        catalogue_version="v1",
        recorded_at=datetime(2025, 3, 12, 8, 0, 1, tzinfo=BEIJING),
    )
    assert got3 == H3


_EVERY_FIELD: dict[str, object] = {
    "account_id": "acct-1",
    "seq": 3,
    "kind": "reverse",
    "points": -24,
    "occurred_at": datetime(2025, 3, 12, tzinfo=UTC),
    "ref": "reverse:9",
    "avoided_co2_g": -1230,
    "earned_on": date(2025, 3, 10),
    "reason": "wrong bank file",
    "corrects_id": 9,
    "batch_id": 41,
    "posting_id": 77,
    "catalogue_version": "v1",
    "recorded_at": datetime(2025, 3, 12, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("field", "other"),
    [
        ("account_id", "acct-2"),
        ("seq", 4),
        ("kind", "adjust"),
        ("points", -25),
        ("occurred_at", datetime(2025, 3, 12, 0, 0, 0, 1, tzinfo=UTC)),
        ("ref", "reverse:8"),
        ("avoided_co2_g", 50_000),  # issue 16: raising avoided CO2 lifted a grade with 0 breaks reported
        ("earned_on", date(2025, 3, 11)),
        ("earned_on", None),
        ("reason", "another"),
        ("reason", ""),
        ("reason", None),
        ("corrects_id", 8),
        ("corrects_id", None),
        ("batch_id", 42),
        ("posting_id", None),
        ("catalogue_version", "v2"),
        ("catalogue_version", ""),
        ("recorded_at", datetime(2025, 3, 13, tzinfo=UTC)),
        ("recorded_at", None),
    ],
)
def test_every_field_of_an_entry_changes_its_hash(field: str, other: object) -> None:
    assert entry_hash(None, **{**_EVERY_FIELD, field: other}) != entry_hash(None, **_EVERY_FIELD)


def test_the_same_instant_in_any_offset_hashes_the_same() -> None:
    fields = {"account_id": "a", "seq": 1, "kind": "earn", "points": 1, "ref": "r"}
    utc = entry_hash(None, occurred_at=datetime(2025, 1, 1, 0, 0, tzinfo=UTC), **fields)  # type: ignore[arg-type]
    cst = entry_hash(None, occurred_at=datetime(2025, 1, 1, 8, 0, tzinfo=BEIJING), **fields)  # type: ignore[arg-type]
    assert utc == cst


def test_the_encoding_is_unambiguous() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    one = canonical_entry_bytes(None, account_id="a,1", seq=1, kind="earn", points=1, occurred_at=at, ref="x")
    two = canonical_entry_bytes(None, account_id="a", seq=1, kind="earn", points=1, occurred_at=at, ref="1,x")
    assert one != two
    assert entry_hash(None, account_id="ab", seq=1, kind="earn", points=1, occurred_at=at, ref="c") != entry_hash(
        None, account_id="a", seq=1, kind="earn", points=1, occurred_at=at, ref="bc"
    )


@pytest.mark.parametrize(
    ("prev", "changes", "message"),
    [
        ("ABC", {}, "64 lowercase hex"),
        ("A" * 64, {}, "64 lowercase hex"),
        (None, {"seq": 0}, "seq must be a positive integer"),
        (None, {"seq": True}, "seq must be a positive integer"),
        (None, {"points": 1.0}, "points must be an integer"),
        (None, {"kind": "gift"}, "unknown ledger kind 'gift'"),
        (None, {"occurred_at": datetime(2025, 1, 1)}, "UTC offset"),
    ],
)
def test_entry_hash_refuses_bad_fields(prev: str | None, changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "account_id": "a",
        "seq": 1,
        "kind": "earn",
        "points": 1,
        "occurred_at": datetime(2025, 1, 1, tzinfo=UTC),
        "ref": "r",
    }
    fields.update(changes)
    with pytest.raises(InvalidInput, match=message):
        entry_hash(prev, **fields)  # type: ignore[arg-type]


def _chain(account: str, rows: list[tuple[str, int]], start: datetime) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    prev: str | None = None
    for i, (kind, points) in enumerate(rows, start=1):
        at = start + timedelta(hours=i)
        ref = f"{account}:{i}"
        h = entry_hash(prev, account_id=account, seq=i, kind=kind, points=points, occurred_at=at, ref=ref)
        entries.append(LedgerEntry(account, i, kind, points, at, ref, prev, h))
        prev = h
    return entries


START = datetime(2025, 3, 10, tzinfo=UTC)
ROWS = [("earn", 24), ("earn", 12), ("redeem", -30), ("earn", 5), ("expire", -1)]


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(_chain("acct-1", ROWS, START)) == []
    assert verify_chain([]) == []


def test_interleaved_accounts_verify_independently() -> None:
    a = _chain("a", ROWS, START)
    b = _chain("b", ROWS[:3], START)
    mixed = [a[0], b[0], a[1], b[1], b[2], a[2], a[3], a[4]]
    assert verify_chain(mixed) == []


def test_changed_points_break_the_hash_of_that_entry_only() -> None:
    entries = _chain("acct-1", ROWS, START)
    entries[2] = dataclasses.replace(entries[2], points=-3)  # a redeem of 30 rewritten as 3
    breaks = verify_chain(entries)
    assert [(b.seq, b.position, b.reason) for b in breaks] == [(3, 2, "hash")]


def test_a_rewritten_entry_with_its_hash_recomputed_breaks_the_next_link() -> None:
    entries = _chain("acct-1", ROWS, START)
    e = entries[1]
    forged = entry_hash(
        e.prev_hash, account_id=e.account_id, seq=2, kind="earn", points=1200, occurred_at=e.occurred_at, ref=e.ref
    )
    entries[1] = dataclasses.replace(e, points=1200, hash=forged)
    assert [(b.seq, b.reason) for b in verify_chain(entries)] == [(3, "prev_hash")]


def test_a_removed_entry_is_detected() -> None:
    entries = _chain("acct-1", ROWS, START)
    del entries[2]
    breaks = verify_chain(entries)
    assert [(b.seq, b.position, b.reason) for b in breaks] == [(4, 2, "seq"), (4, 2, "prev_hash")]
    assert breaks[0].detail == "expected seq 3"


def test_reordered_entries_are_detected() -> None:
    entries = _chain("acct-1", ROWS, START)
    entries[1], entries[2] = entries[2], entries[1]
    breaks = verify_chain(entries)
    assert {(b.seq, b.reason) for b in breaks} == {
        (3, "seq"),
        (3, "prev_hash"),
        (2, "seq"),
        (2, "prev_hash"),
        (4, "seq"),
        (4, "prev_hash"),
    }


def test_a_first_entry_must_start_the_chain() -> None:
    entries = _chain("acct-1", ROWS, START)
    assert [(b.seq, b.reason) for b in verify_chain(entries[1:])] == [(2, "seq"), (2, "prev_hash")]


def test_a_malformed_stored_entry_is_a_break_not_a_crash() -> None:
    entries = _chain("acct-1", ROWS[:2], START)
    entries[1] = dataclasses.replace(entries[1], kind="gift")
    [only] = verify_chain(entries)
    assert (only.account_id, only.seq, only.position, only.reason) == ("acct-1", 2, 1, "hash")
    assert "unknown ledger kind 'gift'" in only.detail


def test_the_hashed_time_is_utc_with_six_fraction_digits_even_when_they_are_zero() -> None:
    at = datetime(2025, 1, 1, 8, 0, tzinfo=BEIJING)  # a whole second, given in +08:00
    raw = canonical_entry_bytes(None, account_id="a", seq=1, kind="earn", points=1, occurred_at=at, ref="r")
    assert b",27:2025-01-01T00:00:00.000000Z," in raw


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2025, 1, 1, 8, 0, tzinfo=BEIJING), "2025-01-01T00:00:00.000000Z"),
        (datetime(2025, 3, 11, 2, 0, 0, 500_000, tzinfo=UTC), "2025-03-11T02:00:00.500000Z"),
        (
            datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5))),
            "2027-01-01T04:59:59.999999Z",
        ),
    ],
)
def test_a_time_hashes_the_same_as_a_datetime_and_as_the_file_intakes_utc_text(at: datetime, expected: str) -> None:
    import polars as pl

    from greenfin.personal.intake import _HASH_TIME

    text = pl.Series([at]).dt.convert_time_zone("UTC").dt.strftime(_HASH_TIME).item()
    assert text == expected  # the documented form, written out by hand
    fields = {"account_id": "7", "seq": 3, "kind": "earn", "points": 12, "ref": "batch:1:2025-01-01"}
    assert entry_hash(None, occurred_at=text, **fields) == entry_hash(None, occurred_at=at, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["2025-01-01T00:00:00Z", "2025-01-01 00:00:00.000000Z", "2025-01-01T08:00:00.000000+08:00"]
)
def test_a_time_as_text_must_be_the_hashed_utc_form(text: str) -> None:
    with pytest.raises(InvalidInput, match="UTC text"):
        canonical_entry_bytes(None, account_id="a", seq=1, kind="earn", points=1, occurred_at=text, ref="r")


@pytest.mark.parametrize(
    ("prev", "account_id", "seq", "points", "ref", "co2", "version"),
    [
        (None, "1", 1, 24, "batch:1:2025-03-10", 1230, "v1"),
        (H1, "账户-7", 9, -3, "reward:售后券", -50, None),
        (H2, "123456789", 2**31, 10**9, "", 0, ""),
    ],
)
def test_the_file_intakes_hasher_gives_entry_hashs_hash(
    prev: str | None, account_id: str, seq: int, points: int, ref: str, co2: int, version: str | None
) -> None:
    at, day, recorded = "2025-03-10T01:30:00.000000Z", "2025-03-10", "2025-03-11T00:00:00.000001Z"
    hasher = entry_hasher(kind="earn", batch_id=41, catalogue_version=version, recorded_at=recorded)
    expected = entry_hash(
        prev,
        account_id=account_id,
        seq=seq,
        kind="earn",
        points=points,
        occurred_at=at,
        ref=ref,
        avoided_co2_g=co2,
        earned_on=day,
        batch_id=41,
        catalogue_version=version,
        recorded_at=recorded,
    )
    assert hasher(prev, account_id, seq, points, at, ref, co2, day) == expected
    with pytest.raises(InvalidInput, match="UTC text"):
        hasher(prev, account_id, seq, points, "2025-03-10T01:30:00Z", ref, co2, day)
