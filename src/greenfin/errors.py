"""Domain errors: what went wrong, said once, in words a person can act on.

Services raise subclasses of :class:`GreenfinError`; the API turns them into RFC 9457
problem+json (``status``, ``title``, ``detail``, ``type`` and, for invalid input, an
``errors`` list), the CLI into one readable sentence and a non-zero exit, and the pages
into a message. Nothing else in greenfin decides an HTTP status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class GreenfinError(Exception):
    """Base of every error a greenfin service raises on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[dict[str, Any]] = list(errors or [])


class InvalidInput(GreenfinError):
    """The input breaks a rule; ``errors`` lists every offending item (row, field, reason)."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"


class NotFound(GreenfinError):
    status = 404
    code = "not-found"
    title = "Not found"


class Unauthenticated(GreenfinError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(GreenfinError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(GreenfinError):
    status = 409
    code = "conflict"
    title = "Conflict"


class TooManyRequests(GreenfinError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"
