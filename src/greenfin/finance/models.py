"""Tables of carbon-linked finance: signed carbon credit reports (碳征信报告).

A bank reads a borrower's carbon data under the borrower's **consent** of scope
``credit_report``, kept with every other consent in :class:`greenfin.auth.models.Consent`.
The borrower is an enterprise (by USCC) or a farm (by farm id); ``borrower_code`` is the
organisation code acting for it (the USCC, or ``farm-<id>`` for a farm held by a person).

A **report** is the signed document a bank requested under a consent: stored exactly as
signed (``document`` is the envelope ``{"report", "signature"}``), so it can be served
again, as JSON, page or PDF, and checked against the signature at any time.
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
