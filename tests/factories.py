"""Small async factories for tests: residents, staff, card applications with photos, photos.

Each builds its data through the services (or, for a resident's login, the session store the login
service uses), so the rows look exactly like the platform's own. They commit, as the services do.
"""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.service import CardView, make_card_service
from healthcode.codes.keys import KeyService
from healthcode.codes.live import code_for
from healthcode.config import Settings
from healthcode.db.models import Card, Resident
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.clock import Clock
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal, PrincipalKind, SessionStore
from healthcode.staff.service import NewStaff, StaffService

HEALTHY_ANSWERS = {"temperature": 36.5, "address_region": "150102", "address_detail": "新华大街1号", "pledge": True}
"""A declaration that gives a green code."""

Client = AsyncTestClient[Litestar]

PHONE = "13800138000"
STAFF_PASSWORD = "Quiet-Harbour-2026"
PASSPORT = "E12345678"


@dataclass(frozen=True)
class LoggedInResident:
    """A resident with a live device session; ``token`` goes in the ``hc_session`` cookie or
    an ``Authorization: Bearer`` header."""

    resident: Resident
    token: str
    principal: Principal


async def resident(db: AsyncSession, clock: Clock, phone: str = PHONE) -> Resident:
    """The resident login of ``phone``, created on first use (as the first SMS login does)."""
    found = await db.scalar(select(Resident).where(Resident.phone == phone))
    if found is not None:
        return found
    created = Resident(phone=phone, created_at=clock.now(), last_login_at=clock.now())
    db.add(created)
    await db.commit()
    return created


async def logged_in_resident(
    db: AsyncSession, settings: Settings, clock: Clock, phone: str = PHONE
) -> LoggedInResident:
    """A resident with a device session, without going through SMS codes."""
    row = await resident(db, clock, phone)
    token, session = await SessionStore(db, clock).open(
        PrincipalKind.RESIDENT, row.id, timedelta(days=settings.session_ttl_days), device="tests"
    )
    await db.commit()
    return LoggedInResident(row, token, Principal(PrincipalKind.RESIDENT, row.id, session.id))


async def staff(
    db: AsyncSession,
    settings: Settings,
    clock: Clock,
    roles: Sequence[str] = ("reviewer",),
    username: str = "reviewer",
    display_name: str = "王审核",
    password: str = STAFF_PASSWORD,
) -> NewStaff:
    """A staff account with a known password; its TOTP secret is on the result."""
    return await StaffService(db, settings, clock).create(username, display_name, list(roles), password=password)


def staff_principal(account: NewStaff) -> Principal:
    """The caller a staff session stands for, for calling staff services directly."""
    return Principal(PrincipalKind.STAFF, account.account.id, 0)


def totp_now(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


async def sign_in_staff(client: Client, account: NewStaff, clock: Clock, password: str = STAFF_PASSWORD) -> str:
    """Sign in through ``/staff/login``; returns the CSRF token for later forms (a new one: signing
    in replaces the token from before). An authenticator code works once: to sign in the same
    account again, advance the clock by 30 seconds first."""
    token = await csrf_token(client, "/staff/login")
    response = await client.post(
        "/staff/login",
        data={
            "username": account.account.username,
            "password": password,
            "totp": totp_now(account.totp_secret, clock),
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    fresh = response.cookies.get("hc_csrf")
    assert fresh, "signing in sets a CSRF cookie"
    assert fresh != token, "a new one"
    return str(fresh)


async def csrf_token(client: Client, path: str) -> str:
    """The CSRF token of the first form on the page at ``path``."""
    page = await client.get(path)
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, f"no form with a CSRF token on {path}"
    return found.group(1)


def photo_bytes(
    size: tuple[int, int] = (64, 40), fmt: str = "PNG", colour: tuple[int, int, int] = (30, 90, 160)
) -> bytes:
    """A small picture Pillow can read, standing in for a document photo."""
    image = Image.new("RGB", size, colour)
    image.paste((240, 240, 240), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


async def card_application(
    db: AsyncSession,
    settings: Settings,
    clock: Clock,
    resident_id: int,
    *,
    name: str = "张三丰",
    document_type: str = "passport",
    number: str = PASSPORT,
    relationship: str = "self",
    photos: bool = True,
    declared: bool = True,
) -> CardView:
    """Apply for a card through the cards service and, unless ``photos`` is False, upload every
    photo the document needs, which submits the application (decided at once when the test sets
    ``realname_delay_s=0``; passports then go to the reviewers' queue). A card approved at once
    then makes a healthy declaration (its code is made from one) unless ``declared`` is False."""
    service = make_card_service(db, settings, clock)
    view = await service.apply(resident_id, name, document_type, number, relationship)
    if photos:
        for shade, side in enumerate(view.document_type.photo_sides):
            content = photo_bytes(colour=(30 + 40 * shade, 90, 160))
            view = await service.add_photo(resident_id, view.card.public_id, side, content)
    if declared and view.status == "approved":
        await make_declaration_service(db, settings, clock).declare(
            resident_id, view.card.public_id, answers_from(HEALTHY_ANSWERS)
        )
        view = await service.get(resident_id, view.card.public_id)
    return view


async def live_token(db: AsyncSession, settings: Settings, clock: Clock, public_id: str) -> str:
    """A live token of a declared card, signed with the active key as the code endpoint signs it."""
    card = await db.scalar(select(Card).where(Card.public_id == public_id))
    assert card is not None
    assert card.colour is not None
    key = await KeyService(db, settings, clock).signing_key()
    return code_for(settings, clock, key, card.id, card.colour, card.masked_name, card.masked_document).token


@contextlib.contextmanager
def counted_reads(app: Litestar) -> Iterator[tuple[list[str], list[str]]]:
    """The statements an app runs meanwhile: on its lean read path (primary or replica), and
    through its ORM engine. The lean path is watched in place: what holds it keeps holding it."""
    context = app.state["hc"]
    reads, lean, orm = context.lean, [], []
    primary, replica = reads.fetchrow, reads.fetchrow_from_replica

    async def from_primary(sql: str, *args: Any) -> Any:
        lean.append(sql)
        return await primary(sql, *args)

    async def from_replica(sql: str, *args: Any) -> Any:
        lean.append(sql)
        return await replica(sql, *args)

    def count(*args: Any) -> None:
        orm.append(str(args[2]))

    event.listen(context.engine.sync_engine, "before_cursor_execute", count)
    reads.fetchrow, reads.fetchrow_from_replica = from_primary, from_replica
    try:
        yield lean, orm
    finally:
        del reads.fetchrow, reads.fetchrow_from_replica
        event.remove(context.engine.sync_engine, "before_cursor_execute", count)


def one_gzip_member(compressed: bytes) -> bytes:
    """The text of ``compressed``, which must be exactly one whole gzip member (its CRC-32 and
    length checked, nothing after it)."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = decoder.decompress(compressed)
    assert decoder.eof, "the stream ends with a last block"
    assert decoder.unused_data == b"", "nothing after the member's trailer"
    return text


def reasons_of(settings: Settings, card: Card) -> list[dict[str, Any]]:
    """A card's colour reasons, opened as the pages open them."""
    return Sealer(settings.keyring).open_reasons(card.id, card.colour_reasons_enc)


def opened(settings: Settings, row: Any, column: str) -> str | None:
    """A sealed free-text column of ``row``, opened."""
    return Sealer(settings.keyring).open_optional_text(row, column)
