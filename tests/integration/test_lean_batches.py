"""The lean reads of PostgreSQL in batches (healthcode.db.lean): reads of one statement that arrive
together go to the database as one statement over arrays of their parameters, and each caller
gets its own row, or None, or the error. PostgreSQL only (SQLite reads on the event loop's
thread: there is nothing to wait for together)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService
from healthcode.codes.live import CodeIssuer
from healthcode.config import Settings
from healthcode.db.lean import AsyncpgLeanReads, batched_statement
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import NotFound
from tests.api.test_cards_api import auth
from tests.api.test_code_api import issued
from tests.conftest import BACKEND

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="batches are PostgreSQL's lean reads")
DOUBLED = "SELECT $1::int * 2, $2::text WHERE $1::int % 3 <> 0"


@pytest.fixture
async def reads(database_url: str) -> AsyncIterator[AsyncpgLeanReads]:
    reads = AsyncpgLeanReads(make_url(database_url).set(drivername="postgresql").render_as_string(False), 4)
    yield reads
    await reads.close()


def watched(reads: AsyncpgLeanReads) -> list[int]:
    """The size of each batch the reads send from now on."""
    sizes: list[int] = []
    fetch = reads._fetch_batch

    async def counted(sql: str, batch: list[tuple[Any, ...]]) -> list[Any]:
        sizes.append(len(batch))
        return await fetch(sql, batch)

    reads._fetch_batch = counted  # type: ignore[method-assign]
    return sizes


async def test_reads_arriving_together_share_one_statement_and_get_their_own_rows(
    reads: AsyncpgLeanReads,
) -> None:
    sizes = watched(reads)
    rows = await asyncio.gather(*(reads.fetchrow(DOUBLED, n, f"n{n}") for n in range(1, 31)))
    assert [tuple(row) if row else None for row in rows] == [
        None if n % 3 == 0 else (n * 2, f"n{n}") for n in range(1, 31)
    ], "each caller its own row, None where its statement has none"
    assert sizes == [30]
    assert tuple(await reads.fetchrow(DOUBLED, 5, "alone") or ()) == (10, "alone")
    assert tuple(await reads.fetchrow(DOUBLED, 3, "none") or ()) == ()
    assert sizes == [30, 1, 1], "alone, a read is its own statement"


async def test_a_failed_batch_raises_its_error_to_each_caller_and_the_next_reads(reads: AsyncpgLeanReads) -> None:
    missing = "SELECT n FROM nowhere WHERE n = $1"
    together = await asyncio.gather(*(reads.fetchrow(missing, n) for n in range(4)), return_exceptions=True)
    assert all(isinstance(error, asyncpg.UndefinedTableError) for error in together), together
    assert tuple(await reads.fetchrow(DOUBLED, 7, "y") or ()) == (14, "y"), "and the connection serves on"


async def test_a_parameter_the_database_refuses_fails_its_own_read_alone(reads: AsyncpgLeanReads) -> None:
    """One request's text with a NUL in it, another's number out of range (PostgreSQL refuses
    both), among others read together."""
    sizes = watched(reads)
    asked = ((1, "a"), (2, "b\x00"), (2_000_000_000, "c"), (4, "d"))
    answers = await asyncio.gather(*(reads.fetchrow(DOUBLED, *each) for each in asked), return_exceptions=True)
    assert sizes == [4]
    assert isinstance(answers[1], asyncpg.CharacterNotInRepertoireError), answers
    assert isinstance(answers[2], asyncpg.NumericValueOutOfRangeError), answers
    assert [tuple(answers[0]), tuple(answers[3])] == [(2, "a"), (8, "d")]  # type: ignore[arg-type]


async def test_a_read_never_answers_with_what_was_there_before_it_was_asked(
    reads: AsyncpgLeanReads, database_url: str
) -> None:
    """A read that waits for the batch on its way goes in the next, which runs after: a change
    committed before the read was asked is in its answer (the display's bounds, ADR 15)."""
    writer = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        await writer.execute("CREATE TABLE probe (id int PRIMARY KEY, colour text)")
        await writer.execute("INSERT INTO probe VALUES (1, 'green')")
        slow = "SELECT colour, pg_sleep($2) IS NULL FROM probe WHERE id = $1"
        on_its_way = asyncio.create_task(reads.fetchrow(slow, 1, 0.5))
        await asyncio.sleep(0.2)  # the first batch's statement is running
        await writer.execute("UPDATE probe SET colour = 'red' WHERE id = 1")
        asked_after = await reads.fetchrow(slow, 1, 0.0)
        assert tuple(await on_its_way or ()) == ("green", False)
        assert tuple(asked_after or ()) == ("red", False)
    finally:
        await writer.close()


async def test_a_read_after_the_database_ended_its_sessions_gets_a_new_connection(
    reads: AsyncpgLeanReads, database_url: str
) -> None:
    """A restarted or failed-over database ends every session: whether the read comes before the
    driver has seen the socket close, just after the database's notice of it, or later, it is read
    again on a new connection."""
    admin = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        for turns in range(8):
            assert tuple(await reads.fetchrow(DOUBLED, 1, "before") or ()) == (2, "before")
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            for _ in range(turns):
                await asyncio.sleep(0)
            assert tuple(await reads.fetchrow(DOUBLED, 2, "after") or ()) == (4, "after"), turns
    finally:
        await admin.close()


def test_the_batched_statement_runs_the_statement_once_per_item() -> None:
    assert batched_statement("SELECT a FROM t WHERE b = $2 AND c < $1 LIMIT 1", ["int4", "public.x"]) == (
        "SELECT _batch.i, _row.* FROM unnest($1::int4[], $2::public.x[]) WITH ORDINALITY AS _batch(p1, p2, i)"
        " CROSS JOIN LATERAL (SELECT a FROM t WHERE b = _batch.p2 AND c < _batch.p1 LIMIT 1) AS _row"
    )


@pytest.mark.settings(realname_delay_s=0)
async def test_displays_and_code_pages_together_each_show_their_own_card(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, reads: AsyncpgLeanReads
) -> None:
    """The display's two statements (healthcode.codes.live) batched as they are: the card's
    holder gets its code and page, two other residents' sessions asking for it in the same batches
    are told it is not on their phone."""
    headers, card = await issued(client, db, settings, clock)
    sessions = [headers["Authorization"].removeprefix("Bearer ")]
    for phone in ("13800138001", "13800138002"):
        clock.advance(seconds=61)
        sessions.append((await auth(client, db, phone))["Authorization"].removeprefix("Bearer "))
    key = await KeyService(db, settings, clock).signing_key()
    issuer = CodeIssuer(reads, settings, clock, key)
    sizes = watched(reads)
    codes = await asyncio.gather(*(issuer.live_code(s, card) for s in sessions * 8), return_exceptions=True)
    pages = await asyncio.gather(*(issuer.code_page(s, card) for s in sessions * 8), return_exceptions=True)
    assert max(sizes) > 1, sizes
    for shown in (codes[::3], pages[::3]):
        assert all(not isinstance(each, BaseException) for each in shown), shown
    assert {code.colour for code in codes[::3]} == {"green"}  # type: ignore[union-attr]
    assert {page.card.masked_name for page in pages[::3]} == {"张*丰"}  # type: ignore[union-attr]
    refused = [each for n, each in enumerate([*codes, *pages]) if n % 3]
    assert all(isinstance(each, NotFound) and each.code == "card_not_found" for each in refused), refused
