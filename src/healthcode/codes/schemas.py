"""JSON shapes of the verification API (API.md "Verification API")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

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
