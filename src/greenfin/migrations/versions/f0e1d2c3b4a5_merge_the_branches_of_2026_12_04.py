"""Merge the branches of the session of 2026-12-04 (admin, region, trust, hardening, market, stats, ecobank).

Each branch"s revision starts from 722eb338c7cd and touches its own tables; this revision only
joins them, so that `greenfin db upgrade` has one head.

Revision ID: f0e1d2c3b4a5
Revises: 50ec32df9e9b, 586288e0112a, 6252d3b58b32, 65b3890ef581, a250ba0a0d69, aa813ae8d051, b8b4c3b0abf9
"""

from collections.abc import Sequence

revision: str = "f0e1d2c3b4a5"
down_revision: str | Sequence[str] | None = (
    "50ec32df9e9b",
    "586288e0112a",
    "6252d3b58b32",
    "65b3890ef581",
    "a250ba0a0d69",
    "aa813ae8d051",
    "b8b4c3b0abf9",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
