"""Tables of the personal carbon account (个人碳账户).

A **resident account** is opened with recorded consent (who collected it, how, when); the
resident's ID number is kept only as a keyed hash (lookup) and a masked form (display),
see :mod:`greenfin.auth.rules`. A resident may grant a bank a **consent** to read the
green-credit grade (scope ``personal_grade`` of :class:`greenfin.auth.models.Consent`,
the subject being the account's ``ref``), with an expiry, revocable.

Data sources deliver **events** (one low-carbon payment each) in **intake batches** (one
API request or one file). An event is unique on ``(source, external_id)``: a repeated
delivery is a duplicate and counts once. The event row keeps what it earned under the
catalogue version in force (``points``, ``avoided_co2_g``, ``capped`` when over the daily
cap).

The **points ledger** is append-only. Each account's entries are numbered ``seq`` 1, 2, …
and chained: ``hash`` is SHA-256 over the previous entry's hash and the entry's fields
(:func:`greenfin.personal.rules.entry_hash`). Earnings are posted as **one earn entry per
account and local day** of a file (``batch_id``) or of a **posting run** (``posting_id``),
which posts the API deliveries stored since the last run; the events stay in
``personal_event`` as the detail (joined on ``account_id, earned_on`` and the file, or the
run that posted their delivery). That keeps the chain short (a city day of 10 M events is
about 1 M entries, one per active resident), lets intake be set-based and keeps the ledger
out of an API request. Balances are sums of entries, never stored.

Rewards have a points price, a stock and validity; a **redemption** spends points (a
redeem entry) and one unit of stock.

Fact tables (events, ledger) use integer keys and are keyed by ``account_id`` so that they
can be partitioned by day and distributed by account. ``personal_event.account_id``
carries no foreign key on purpose: the intake resolves accounts by a join before it
inserts, and a per-row FK check would double the cost of a 10 M-row file on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")

CONSENT_CHANNELS = ("web", "bank", "demo")
REWARD_KINDS = ("consumer_voucher", "household_service", "credit_uplift", "public_service")


class Account(Base):
    """A resident's personal carbon account."""

    __tablename__ = "personal_account"
    # Audited explicitly by the service (without the ID hash): the automatic hook would give
    # the integer key a hex id before the insert.
    __audit__ = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, default=new_id, doc="public reference")
    id_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="HMAC-SHA256 of the ID number")
    id_masked: Mapped[str] = mapped_column(String(18))
    name_masked: Mapped[str] = mapped_column(String(60))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("auth_user.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_ref: Mapped[str] = mapped_column(String(80), doc="the consent document's reference")
    consent_channel: Mapped[str] = mapped_column(String(10))
    consent_at: Mapped[datetime]
    consent_by: Mapped[str] = mapped_column(String(120), doc="actor that recorded the consent")
    enrolled_by: Mapped[str | None] = mapped_column(String(40), doc="code of the enrolling bank")


class IntakeBatch(Base):
    """One delivery of events: an API request or a file.

    A file is posted to the ledger in the transaction that stores it. An API delivery is
    stored at once and posted by the next :class:`PostingRun` (seconds later, see
    :func:`greenfin.personal.service.post_pending`): until then ``posted_at`` is null and
    its events carry the award before the daily cap.
    """

    __tablename__ = "personal_intake_batch"
    __audit__ = False  # the batch row is itself the record of who delivered what
    __table_args__ = (
        Index(
            "ix_personal_intake_batch_pending",
            "id",
            postgresql_where=text("posted_at IS NULL"),
            sqlite_where=text("posted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(10))  # api | file | demo
    actor: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # The Asia/Shanghai days the accepted events fall on: a later delivery overlapping none
    # of them needs no look-up of earlier daily-cap counts.
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    # The ids of the events it stored (an API delivery's events are found by this range of the
    # primary key, so no index on batch_id is needed).
    first_event_id: Mapped[int | None] = mapped_column(BigInteger)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime | None] = mapped_column(doc="when its events were posted to the ledger")
    posting_id: Mapped[int | None] = mapped_column(BigInteger, doc="the posting run that posted it (API deliveries)")


class PostingRun(Base):
    """One run that applied the daily caps to pending API deliveries and posted them to the ledger."""

    __tablename__ = "personal_posting_run"
    __audit__ = False  # the run row is the record; its entries are hash-chained

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    capped: Mapped[int] = mapped_column(Integer, default=0, doc="events the daily cap cut to 0 points")
    entries: Mapped[int] = mapped_column(Integer, default=0, doc="earn entries appended")


class Event(Base):
    """One low-carbon payment event as delivered, with what it earned."""

    __tablename__ = "personal_event"
    __audit__ = False  # written in bulk; the intake batch records the delivery
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_personal_event_account_day", "account_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(40), doc="code of the delivering organisation")
    external_id: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[int] = mapped_column(BigInteger)
    scenario: Mapped[str] = mapped_column(String(40))
    catalogue_version: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime]
    local_day: Mapped[date] = mapped_column(Date, doc="Asia/Shanghai calendar day of occurred_at")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer)
    avoided_co2_g: Mapped[int] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(Boolean)
    batch_id: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(Base):
    """One append-only, hash-chained entry of an account's points ledger."""

    __tablename__ = "personal_ledger"
    __audit__ = False  # append-only and hash-chained; writers audit the operation
    __table_args__ = (UniqueConstraint("account_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("personal_account.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # earn | redeem | expire | adjust | reverse
    points: Mapped[int] = mapped_column(BigInteger)
    avoided_co2_g: Mapped[int] = mapped_column(BigInteger, default=0, doc="CO2 avoided by the earning, grams")
    occurred_at: Mapped[datetime]
    earned_on: Mapped[date | None] = mapped_column(Date, doc="day a credit was earned (for expiry)")
    ref: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(500))
    corrects_id: Mapped[int | None] = mapped_column(BigInteger, doc="the entry an adjust or reverse corrects")
    batch_id: Mapped[int | None] = mapped_column(BigInteger, doc="the file whose events an earn entry sums")
    posting_id: Mapped[int | None] = mapped_column(BigInteger, doc="the posting run whose events it sums")
    catalogue_version: Mapped[str | None] = mapped_column(String(10))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCheckpoint(Base):
    """A signed record of every account's chain head at a moment: what anchors the ledger.

    The hash chain shows an entry changed, removed or reordered *inside* a chain; it cannot show
    the newest entries removed (truncation) or a chain recomputed from a changed entry onwards.
    A checkpoint can: it stores each account's head (:class:`LedgerAnchor`), a SHA-256 over all of
    them (``heads_sha256``) and an HMAC keyed from the platform's secret over its own fields and
    the previous checkpoint's MAC (``mac``), so that without the key no one can make the anchors
    agree with a rewritten ledger. See :func:`greenfin.personal.service.checkpoint`.
    """

    __tablename__ = "personal_ledger_checkpoint"
    __audit__ = False  # the row is itself the signed record

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    accounts: Mapped[int] = mapped_column(BigInteger, doc="accounts anchored")
    entries: Mapped[int] = mapped_column(BigInteger, doc="ledger entries up to the anchored heads")
    heads_sha256: Mapped[str] = mapped_column(String(64), doc="SHA-256 over every anchor, by account")
    prev_mac: Mapped[str | None] = mapped_column(String(64), doc="the previous checkpoint's MAC")
    mac: Mapped[str] = mapped_column(String(64), doc="HMAC-SHA256 of the checkpoint, keyed from the secret")


class LedgerAnchor(Base):
    """An account's chain head (seq, hash) as of the latest checkpoint that saw it move."""

    __tablename__ = "personal_ledger_anchor"
    __audit__ = False  # covered by the checkpoint's heads_sha256 and MAC

    account_id: Mapped[int] = mapped_column(ForeignKey("personal_account.id"), primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    checkpoint_id: Mapped[int] = mapped_column(BigInteger)


class Reward(Base):
    """Something points buy: a voucher, a household service, a credit-grade uplift."""

    __tablename__ = "personal_reward"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    points_price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    uplift_co2_g: Mapped[int] = mapped_column(BigInteger, default=0, doc="grade credit of a credit_uplift reward")
    uplift_days: Mapped[int] = mapped_column(Integer, default=0, doc="how long an uplift counts")
    provider: Mapped[str | None] = mapped_column(String(200))


class Redemption(Base):
    """A reward bought with points."""

    __tablename__ = "personal_redemption"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("personal_account.id"), index=True)
    reward_id: Mapped[str] = mapped_column(ForeignKey("personal_reward.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    voucher_code: Mapped[str] = mapped_column(String(40), unique=True)
    redeemed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ledger_entry_id: Mapped[int] = mapped_column(BigInteger)
    uplift_co2_g: Mapped[int] = mapped_column(BigInteger, default=0)
    uplift_until: Mapped[date | None] = mapped_column(Date)
