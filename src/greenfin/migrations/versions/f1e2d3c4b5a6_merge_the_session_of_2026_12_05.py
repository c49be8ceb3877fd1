"""Merge the branches of the session of 2026-12-05 (agriculture conflicts, market corrections, stats book columns).

Each branch's revision starts from f0e1d2c3b4a5 and touches its own tables; this revision only
joins them, so that `greenfin db upgrade` has one head.

Revision ID: f1e2d3c4b5a6
Revises: 60e2c803c32a, b703588ded8c, c049097bc96c
"""

from collections.abc import Sequence

revision: str = "f1e2d3c4b5a6"
down_revision: str | Sequence[str] | None = ("60e2c803c32a", "b703588ded8c", "c049097bc96c")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
