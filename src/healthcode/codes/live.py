"""Issuing a live code for a card (SPEC §7): the hot path.

One indexed read of the session and of the card's current colour and masked identity (kept on the
card row), on the driver itself, and one signature with the in-memory signing key. No rules
evaluation and no QR drawing here: the browser draws the QR from the token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from healthcode.cards.service import not_on_this_phone
from healthcode.config import Settings
from healthcode.db.lean import LeanReads, lean_datetime
from healthcode.domain.clock import Clock
from healthcode.domain.crypto import OPAQUE_ID
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import CodeClaims, SigningKey, TokenKind, issue_token, new_token_id
from healthcode.domain.tokens.reference import open_card_reference, seal_card_reference
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import MAX_TOKEN_LENGTH, TOUCH_EVERY, not_logged_in, token_hash


@dataclass(frozen=True)
class LiveCode:
    """What the code page and the app show: the token, its colour and when to fetch the next one."""

    token: str
    colour: str
    issued_at: datetime
    expires_at: datetime
    refresh_after: int


# The session and the card in one statement, on the lean path (healthcode.db.lean): $1 the session
# token's hash, $2 the card's public id, $3 now. A row means a live resident session; its card
# columns are NULL unless the card is on that resident's phone (an active or pending link).
_SESSION_AND_CARD = """
FROM auth_sessions AS s
LEFT JOIN cards AS c ON c.public_id = $2
LEFT JOIN card_holders AS h
  ON h.card_id = c.id AND h.resident_id = s.principal_id AND h.status IN ('active', 'pending')
WHERE s.token_hash = $1 AND s.principal_kind = 'resident' AND s.revoked_at IS NULL AND s.expires_at > $3
LIMIT 1
"""
_CARD_COLUMNS = "c.id, c.colour, c.masked_name, c.masked_document, c.status, h.status"
_LINK = 5
"""The link's column: NULL when the card is not on the reader's phone."""
_DISPLAY_READ = f"SELECT {_CARD_COLUMNS} {_SESSION_AND_CARD}"
# The code page's read adds what the page shows besides the code, and whether the session's
# "last seen" is older than $4 (so the page may record it: an app's refreshes never write).
_PAGE_COLUMNS = "c.colour_reasons_enc, (SELECT max(d.declared_at) FROM declarations AS d WHERE d.card_id = c.id)"
_PAGE_READ = f"SELECT {_CARD_COLUMNS}, {_PAGE_COLUMNS}, s.id, s.last_seen_at < $4 {_SESSION_AND_CARD}"


@dataclass(frozen=True)
class ShownCard:
    """What the code page shows of a card besides its code."""

    public_id: str
    masked_name: str
    masked_document: str
    colour_reasons: list[dict[str, Any]]
    declared_at: datetime | None


@dataclass(frozen=True)
class CodePage:
    """The code page's card, its live code, and the viewer's session if its "last seen" is due."""

    card: ShownCard
    code: LiveCode
    session_to_touch: int | None


@dataclass(frozen=True)
class CodeIssuer:
    """Shows codes: the display's one read (:mod:`healthcode.db.lean`) and the signing key.

    ``changed_lately``, given where replicas serve the display, says whether a session (by its
    token's hash) has just changed something, so that its own change is read from the primary."""

    reads: LeanReads
    settings: Settings
    clock: Clock
    key: SigningKey
    changed_lately: Callable[[str], Awaitable[bool]] | None = None

    async def live_code(self, session_token: str, public_id: str) -> LiveCode:
        """A fresh live token for one of the resident's cards (own or family), for the holder of
        ``session_token``: one read of the session and the card as they are now (nothing cached,
        never a write), one signature. 401 without a live session, 404 for a card not on this
        phone."""
        row = await self._read(_DISPLAY_READ, session_token, public_id)
        return self._code_of(row)

    async def code_page(self, session_token: str, public_id: str) -> CodePage:
        """The code page's content, in one read as :meth:`live_code`'s (with the card's reasons
        and its latest declaration), and one signature."""
        row = await self._read(_PAGE_READ, session_token, public_id, self.clock.now() - TOUCH_EVERY)
        code = self._code_of(row)
        reasons, declared_at, session_id, touch = row[6:]
        opened = Sealer(self.settings.keyring).open_reasons(row[0], reasons)  # bytes from both drivers
        card = ShownCard(public_id, row[2], row[3], opened, lean_datetime(declared_at))
        return CodePage(card, code, session_id if touch else None)

    async def _read(self, sql: str, session_token: str, public_id: str, *more: Any) -> Sequence[Any]:
        """The display's one read, from a replica unless the session has just changed something.
        What a replica does not know yet (a session just opened, a link just made) is asked of the
        primary before it is refused."""
        if not session_token or len(session_token) > MAX_TOKEN_LENGTH:
            raise not_logged_in()
        digest = token_hash(session_token)
        # An identifier no card can have is read as none (the session is still checked first):
        # text the database would refuse (a NUL) never reaches the statement.
        card = public_id if OPAQUE_ID.fullmatch(public_id) else ""
        params = (digest, card, self.clock.now(), *more)
        replica = self.changed_lately is not None and not await self.changed_lately(digest)
        row = await self.reads.fetchrow_from_replica(sql, *params) if replica else None
        if row is None or row[_LINK] is None:
            row = await self.reads.fetchrow(sql, *params)
        if row is None:
            raise not_logged_in()
        return row

    def _code_of(self, row: Sequence[Any]) -> LiveCode:
        card_row_id, colour, masked_name, masked_document, status, link = row[:6]
        if link is None:
            raise not_on_this_phone()
        shown = check_showable(status, link, colour)
        return code_for(self.settings, self.clock, self.key, card_row_id, shown, masked_name, masked_document)


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
