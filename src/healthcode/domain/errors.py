"""Typed domain errors: a stable machine ``code``, a translatable message, the field at fault.

Errors are grouped by *kind*, which the web layer maps to an HTTP status in one place
(``healthcode.kit.errors``); the domain itself knows nothing of HTTP. ``params`` fill the
message's ``{placeholders}`` and are returned to API clients beside the message, so an app can
show "3 tries left" in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any


class ErrorKind(Enum):
    """What went wrong, independent of the transport that reports it."""

    INVALID = "invalid"
    MALFORMED = "malformed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA = "unsupported_media"


class DomainError(Exception):
    """Base of every error a user can cause; ``message`` is an English msgid to translate."""

    kind = ErrorKind.INVALID

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: Any):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r}, params={self.params!r})"


class InvalidInput(DomainError):
    """The request is well formed but a value breaks a rule (HTTP 422)."""


class InvalidInputs(InvalidInput):
    """Several values break rules at once (a form checked whole): the error itself is the first
    problem, for callers that show one; ``problems`` lists them all, for a form that shows each
    beside its field."""

    def __init__(self, problems: Sequence[InvalidInput]):
        first = problems[0]
        super().__init__(first.code, first.message, field=first.field, **first.params)
        self.problems = list(problems)


class Malformed(DomainError):
    """The request itself cannot be read (HTTP 400), before any value in it is judged."""

    kind = ErrorKind.MALFORMED


class Unauthenticated(DomainError):
    """The caller has not proved who they are, or the proof is wrong or stale (HTTP 401)."""

    kind = ErrorKind.UNAUTHENTICATED


class Forbidden(DomainError):
    """The caller is known but may not do this (HTTP 403)."""

    kind = ErrorKind.FORBIDDEN


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the caller's to see (HTTP 404)."""

    kind = ErrorKind.NOT_FOUND


class Conflict(DomainError):
    """The request clashes with the current state (HTTP 409)."""

    kind = ErrorKind.CONFLICT


class RateLimited(DomainError):
    """Too many tries: ``retry_after`` seconds say when the next one can succeed (HTTP 429)."""

    kind = ErrorKind.RATE_LIMITED

    def __init__(self, code: str, message: str, *, retry_after: int, field: str | None = None, **params: Any):
        super().__init__(code, message, field=field, retry_after=retry_after, **params)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A part the request needs is down or busy; the client may retry later (HTTP 503)."""

    kind = ErrorKind.UNAVAILABLE


class TooLarge(DomainError):
    """An upload or body is over its size limit (HTTP 413)."""

    kind = ErrorKind.TOO_LARGE


class UnsupportedMedia(DomainError):
    """An upload is not of an accepted kind, judged by its content (HTTP 415)."""

    kind = ErrorKind.UNSUPPORTED_MEDIA
