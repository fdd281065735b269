"""JSON shapes of the verification API (API.md "Verification API")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

import msgspec

from healthcode.codes.verification import VerificationResult

ReasonWord = Literal["ok", "expired", "not_yet_valid", "bad_signature", "unknown_issuer", "revoked", "malformed"]
ColourWord = Literal["green", "yellow", "red"]


class VerificationRequest(msgspec.Struct):
    """The token as scanned or typed; surrounding whitespace (a scanner's Enter) is ignored."""

    token: str


class VerificationOut(msgspec.Struct):
    """``valid`` only when ``reason`` is ``ok``; the other fields are null when no trusted key
    vouched for the token (``malformed``, ``bad_signature``, ``unknown_issuer``)."""

    valid: bool
    reason: ReasonWord
    colour: ColourWord | None
    masked_name: str | None
    masked_document: str | None
    issuer: str | None
    expires_at: datetime | None


def verification_out(result: VerificationResult) -> VerificationOut:
    """The API's answer for one verification (also what ``healthcode verify --json`` prints)."""
    return VerificationOut(
        valid=result.valid,
        reason=cast(ReasonWord, result.reason),
        colour=cast(ColourWord | None, result.colour),
        masked_name=result.masked_name,
        masked_document=result.masked_document,
        issuer=result.issuer,
        expires_at=result.expires_at,
    )
