"""Issuing a live code for a card (SPEC §7): the hot path.

One indexed read of the card's current colour and masked identity (kept on the card row), and one
signature with the in-memory signing key. No rules evaluation and no QR drawing here: the browser
draws the QR from the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import Card, CardHolder
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import CodeClaims, SigningKey, TokenKind, issue_token, new_token_id


@dataclass(frozen=True)
class LiveCode:
    """What the code page and the app show: the token, its colour and when to fetch the next one."""

    token: str
    colour: str
    issued_at: datetime
    expires_at: datetime
    refresh_after: int


async def live_code(
    db: AsyncSession, settings: Settings, clock: Clock, key: SigningKey, resident_id: int, public_id: str
) -> LiveCode:
    """A fresh live token for one of the resident's cards (own or family)."""
    row = (
        await db.execute(
            select(Card.colour, Card.masked_name, Card.masked_document, Card.status, CardHolder.status)
            .join(CardHolder, CardHolder.card_id == Card.id)
            .where(
                Card.card_id == public_id,
                CardHolder.resident_id == resident_id,
                CardHolder.status.in_(("active", "pending")),
            )
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound("card_not_found", N_("No such card on this phone."), field="card_id")
    colour, masked_name, masked_document, status, link = row
    # a link still being checked shows nobody's code, even on a card issued to its owner long ago
    if status != "approved" or link != "active":
        raise Conflict(
            "card_not_approved",
            N_("This card is not issued yet: the code shows once the real-name check has passed."),
            field="card_id",
        )
    now = int(clock.now().timestamp())
    claims = CodeClaims(
        issuer=settings.issuer,
        issued_at=now,
        expires_at=now + settings.code_ttl_s,
        colour=colour,
        masked_name=masked_name,
        masked_document=masked_document,
        kind=TokenKind.LIVE,
        token_id=new_token_id(),
    )
    issued = datetime.fromtimestamp(now, UTC)
    return LiveCode(
        token=issue_token(claims, key),
        colour=colour,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=settings.code_ttl_s),
        refresh_after=settings.code_refresh_s,
    )
