"""Tables of carbon-linked finance: signed carbon credit reports (碳征信报告).

A bank reads a borrower's carbon data under the borrower's **consent** of scope
``credit_report``, kept with every other consent in :class:`greenfin.auth.models.Consent`.
The borrower is an enterprise (by USCC) or a farm (by farm id); ``borrower_code`` is the
organisation code acting for it (the USCC, or ``farm-<id>`` for a farm held by a person).

A **report** is the signed document a bank requested under a consent: stored exactly as
signed (``document`` is the envelope ``{"report", "signature"}``), so it can be served
again, as JSON, page or PDF, and checked against the signature at any time.

A **signing key** is one public key the platform has signed reports with, and when: the
published key list. A key is registered the first time it signs; registering a new one
retires the previous (``valid_to``), and a retired key never signs again, so old reports stay
verifiable under their key id and no report can claim a time outside its key's validity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

BORROWER_KINDS = ("enterprise", "farm")


class Report(Base):
    """A signed carbon credit report, stored exactly as signed."""

    __tablename__ = "finance_report"
    __audit__ = False  # issuing and every read are recorded as events (the document is large)
    __table_args__ = (Index("ix_finance_report_borrower", "borrower_kind", "borrower_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    borrower_kind: Mapped[str] = mapped_column(String(20))
    borrower_ref: Mapped[str] = mapped_column(String(40))
    borrower_code: Mapped[str] = mapped_column(String(40), index=True)
    bank_code: Mapped[str] = mapped_column(String(40), index=True)
    consent_id: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(120))
    key_id: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class SigningKey(Base):
    """A public key the platform signs (or signed) reports with, and its validity."""

    __tablename__ = "finance_signing_key"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True, doc="first 16 hex of SHA-256 of the raw key")
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(64), doc="base64 of the raw 32-byte Ed25519 public key")
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None] = mapped_column(doc="set when a newer key replaced it; never signs again")
