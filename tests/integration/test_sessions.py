"""Device sessions: resolved by token, listed, revoked, expired."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import NotFound
from healthcode.sessions.service import Principal, PrincipalKind, SessionStore

TTL = timedelta(days=30)


async def test_token_resolves_until_revoked(db: AsyncSession, clock: FixedClock) -> None:
    store = SessionStore(db, clock)
    token, row = await store.open(PrincipalKind.RESIDENT, 7, TTL, device="phone A")
    other_token, other = await store.open(PrincipalKind.RESIDENT, 7, TTL, device="phone B")
    await db.commit()
    me = await store.resolve(PrincipalKind.RESIDENT, token)
    assert me == Principal(PrincipalKind.RESIDENT, 7, row.id)
    assert [s.device for s in await store.live(PrincipalKind.RESIDENT, 7)] == ["phone B", "phone A"]

    await store.revoke(me, other.id)
    assert await store.resolve(PrincipalKind.RESIDENT, other_token) is None
    assert [s.id for s in await store.live(PrincipalKind.RESIDENT, 7)] == [row.id]


async def test_sessions_expire(db: AsyncSession, clock: FixedClock) -> None:
    store = SessionStore(db, clock)
    token, _ = await store.open(PrincipalKind.RESIDENT, 7, TTL)
    await db.commit()
    clock.advance(days=29, hours=23)
    assert await store.resolve(PrincipalKind.RESIDENT, token) is not None
    clock.advance(hours=1)
    assert await store.resolve(PrincipalKind.RESIDENT, token) is None


async def test_a_resident_token_is_not_a_staff_token(db: AsyncSession, clock: FixedClock) -> None:
    store = SessionStore(db, clock)
    token, _ = await store.open(PrincipalKind.RESIDENT, 7, TTL)
    await db.commit()
    assert await store.resolve(PrincipalKind.STAFF, token) is None
    assert await store.resolve(PrincipalKind.RESIDENT, "not-a-token") is None
    assert await store.resolve(PrincipalKind.RESIDENT, "") is None


async def test_nobody_revokes_someone_elses_session(db: AsyncSession, clock: FixedClock) -> None:
    store = SessionStore(db, clock)
    token, _ = await store.open(PrincipalKind.RESIDENT, 7, TTL)
    _, theirs = await store.open(PrincipalKind.RESIDENT, 8, TTL)
    await db.commit()
    me = await store.resolve(PrincipalKind.RESIDENT, token)
    assert me is not None
    with pytest.raises(NotFound):
        await store.revoke(me, theirs.id)
    assert len(await store.live(PrincipalKind.RESIDENT, 8)) == 1


async def test_last_seen_is_refreshed_at_most_every_ten_minutes(db: AsyncSession, clock: FixedClock) -> None:
    store = SessionStore(db, clock)
    token, row = await store.open(PrincipalKind.RESIDENT, 7, TTL)
    await db.commit()
    opened = row.last_seen_at
    clock.advance(minutes=5)
    await store.resolve(PrincipalKind.RESIDENT, token)
    assert (await store.live(PrincipalKind.RESIDENT, 7))[0].last_seen_at == opened
    clock.advance(minutes=6)
    await store.resolve(PrincipalKind.RESIDENT, token)
    db.expire_all()
    assert (await store.live(PrincipalKind.RESIDENT, 7))[0].last_seen_at == clock.now()
