"""Graceful overload (healthcode.kit.overload): past its bound a worker refuses pages first,
verification next, code display last, each with 503, Retry-After and the one error shape in the
request's language; health checks always answer; a database that keeps a request waiting gives
a 503, not a traceback."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.kit.overload import Load
from tests.api.test_code_api import issued
from tests.api.test_verifications import URL, signing_key
from tests.integration.test_keys import token_for

Client = AsyncTestClient[Litestar]
BOUND = 20
DELAY_MS = 1000
pytestmark = pytest.mark.settings(max_in_flight=BOUND, max_delay_ms=DELAY_MS, realname_delay_s=0)


@pytest.fixture(autouse=True)
def delay_set_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop's delay is what each test says (the probe is tested on its own below)."""

    async def idle(self: Load) -> None:
        return None

    monkeypatch.setattr(Load, "watch", idle)


def busy(app: Litestar, in_flight: int = 0, delay_ms: float = 0) -> None:
    """As if ``in_flight`` other requests were being worked on in this worker, and its loop ran
    ``delay_ms`` behind."""
    load = app.state["hc"].load
    load.in_flight, load.delay_s = in_flight, delay_ms / 1000


async def statuses(client: Client, headers: dict[str, str], card: str, token: str) -> dict[str, int]:
    return {
        "page": (await client.get("/", headers=headers)).status_code,
        "api": (await client.get("/api/v1/cards", headers=headers)).status_code,
        "verify": (await client.post(URL, json={"token": token})).status_code,
        "code": (await client.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code,
        "health": (await client.get("/healthz")).status_code,
    }


async def test_refusals_reach_pages_first_and_code_display_last(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    token = token_for(await signing_key(db, settings, clock), clock)
    busy(app, 0)
    assert set((await statuses(client, headers, card, token)).values()) == {200}
    busy(app, 12)  # 60 % of the bound
    assert await statuses(client, headers, card, token) == {
        "page": 503,
        "api": 503,
        "verify": 200,
        "code": 200,
        "health": 200,
    }
    busy(app, 17)  # 85 %
    assert (await statuses(client, headers, card, token))["verify"] == 503
    assert (await statuses(client, headers, card, token))["code"] == 200
    busy(app, BOUND)
    assert (await statuses(client, headers, card, token))["code"] == 503
    assert (await statuses(client, headers, card, token))["health"] == 200
    busy(app, 0)
    assert set((await statuses(client, headers, card, token)).values()) == {200}, "back at once"


async def test_a_worker_running_behind_refuses_in_the_same_order(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    token = token_for(await signing_key(db, settings, clock), clock)
    expected = {
        150: {"page": 503, "api": 503, "verify": 200, "code": 200, "health": 200},
        400: {"page": 503, "api": 503, "verify": 503, "code": 200, "health": 200},
        DELAY_MS: {"page": 503, "api": 503, "verify": 503, "code": 503, "health": 200},
        50: {"page": 200, "api": 200, "verify": 200, "code": 200, "health": 200},
    }
    for delay, answers in expected.items():
        busy(app, delay_ms=delay)
        assert await statuses(client, headers, card, token) == answers, f"{delay} ms behind"


async def test_a_refusal_says_when_to_come_back_in_the_readers_language(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, _ = await issued(client, db, settings, clock)
    busy(app, BOUND)
    api = await client.get("/api/v1/cards", headers={**headers, "Accept-Language": "en"})
    assert api.status_code == 503
    assert 3 <= int(api.headers["retry-after"]) <= 8
    error = api.json()["error"]
    assert error["code"] == "overloaded"
    assert error["message"] == "Many people are using the service right now. Please try again in a few seconds."
    assert error["retry_after"] == int(api.headers["retry-after"])
    page = await client.get("/", headers=headers)
    assert page.status_code == 503
    assert "retry-after" in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert "使用的人较多" in page.text
    assert settings.hotlines[0] in page.text, "the page gives the hotline"
    seconds = page.headers["retry-after"]
    assert f'<meta http-equiv="refresh" content="{seconds}">' in page.text, "a refused page tries again by itself"
    assert f"本页将在 {seconds} 秒后自动重试" in page.text
    assert 'href="/">立即重试' in page.text
    assert app.state["hc"].load.in_flight == BOUND, "refused requests are not counted"


async def test_a_database_that_keeps_requests_waiting_gives_503(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, _ = await issued(client, db, settings, clock)

    async def every_connection_busy(*args: object, **kwargs: object) -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 5.00")

    monkeypatch.setattr("healthcode.cards.service.CardService.all_for", every_connection_busy)
    answer = await client.get("/api/v1/cards", headers={**headers, "Accept-Language": "en"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"]["code"] == "unavailable"
    assert "QueuePool" not in answer.text
