"""Issuing a live code for a card (SPEC §7): the hot path.

One indexed read of the card's current colour and masked identity (kept on the card row), and one
signature with the in-memory signing key. No rules evaluation and no QR drawing here: the browser
draws the QR from the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import Card, CardHolder
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import CodeClaims, SigningKey, TokenKind, issue_token, new_token_id
from healthcode.domain.tokens.reference import open_card_reference, seal_card_reference


@dataclass(frozen=True)
class LiveCode:
    """What the code page and the app show: the token, its colour and when to fetch the next one."""

    token: str
    colour: str
    issued_at: datetime
    expires_at: datetime
    refresh_after: int


# Built once: making this select (ORM comparisons, coercions, cache key) costs more than running
# the query on SQLite.
_CARD_READ = (
    select(Card.id, Card.colour, Card.masked_name, Card.masked_document, Card.status, CardHolder.status)
    .join(CardHolder, CardHolder.card_id == Card.id)
    .where(
        Card.public_id == bindparam("public_id"),
        CardHolder.resident_id == bindparam("resident_id"),
        CardHolder.status.in_(("active", "pending")),
    )
    .limit(1)
)


async def live_code(
    db: AsyncSession, settings: Settings, clock: Clock, key: SigningKey, resident_id: int, public_id: str
) -> LiveCode:
    """A fresh live token for one of the resident's cards (own or family)."""
    row = (await db.execute(_CARD_READ, {"public_id": public_id, "resident_id": resident_id})).first()
    if row is None:
        raise NotFound("card_not_found", N_("No such card on this phone."), field="card_id")
    card_row_id, colour, masked_name, masked_document, status, link = row
    shown = check_showable(status, link, colour)
    return code_for(settings, clock, key, card_row_id, shown, masked_name, masked_document)


async def live_code_of(
    db: AsyncSession, settings: Settings, clock: Clock, key: SigningKey, resident_id: int, public_id: str
) -> tuple[Card, LiveCode]:
    """The card row and a fresh live token, for the code page (which shows more of the card)."""
    found = (
        await db.execute(
            select(Card, CardHolder.status)
            .join(CardHolder, CardHolder.card_id == Card.id)
            .where(
                Card.public_id == public_id,
                CardHolder.resident_id == resident_id,
                CardHolder.status.in_(("active", "pending")),
            )
            .limit(1)
        )
    ).first()
    if found is None:
        raise NotFound("card_not_found", N_("No such card on this phone."), field="card_id")
    card, link = found
    colour = check_showable(card.status, link, card.colour)
    return card, code_for(settings, clock, key, card.id, colour, card.masked_name, card.masked_document)


def check_showable(status: str, link: str, colour: str | None) -> str:
    """The colour of a card whose code may show: an issued card on an active link (a link still
    being checked shows nobody's code, even on a card issued to its owner long ago), declared at
    least once (the code is made from a declaration: before it there is no colour)."""
    if status != "approved" or link != "active":
        raise Conflict(
            "card_not_approved",
            N_("This card is not issued yet: the code shows once the real-name check has passed."),
            field="card_id",
        )
    if colour is None:
        raise Conflict(
            "declaration_required",
            N_("There is no health code before the first health declaration: declare first, then show the code."),
            field="card_id",
        )
    return colour


def code_for(
    settings: Settings,
    clock: Clock,
    key: SigningKey,
    card_row_id: int,
    colour: str,
    masked_name: str,
    masked_document: str,
) -> LiveCode:
    """A fresh live token for a card already read and checked: one signature."""
    now = int(clock.now().timestamp())
    claims = card_claims(
        settings, card_row_id, colour, masked_name, masked_document, TokenKind.LIVE, now, now + settings.code_ttl_s
    )
    issued = datetime.fromtimestamp(now, UTC)
    return LiveCode(
        token=issue_token(claims, key),
        colour=colour,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=settings.code_ttl_s),
        refresh_after=settings.code_refresh_s,
    )


def card_claims(
    settings: Settings,
    card_row_id: int,
    colour: str,
    masked_name: str,
    masked_document: str,
    kind: TokenKind,
    issued_at: int,
    expires_at: int,
) -> CodeClaims:
    """The claims of a new token for a card of this platform: a fresh token id and the card
    reference only this issuer can open (:mod:`healthcode.domain.tokens.reference`)."""
    token_id = new_token_id()
    return CodeClaims(
        issuer=settings.issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        colour=colour,
        masked_name=masked_name,
        masked_document=masked_document,
        kind=kind,
        token_id=token_id,
        card_reference=seal_card_reference(settings.card_reference_key, card_row_id, token_id),
    )


def card_of_claims(settings: Settings, claims: CodeClaims | None) -> int | None:
    """The card row a verified token of this platform shows, or None (another issuer's token, or
    one without a reference)."""
    if claims is None or claims.issuer != settings.issuer or claims.card_reference is None:
        return None
    return open_card_reference(settings.card_reference_key, claims.card_reference, claims.token_id)
