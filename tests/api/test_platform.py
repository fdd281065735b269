"""Health probes, the OpenAPI document and the error shape for unknown routes."""

import asyncio
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.test_cards_api import auth

Client = AsyncTestClient[Litestar]


async def test_health_probes(client: Client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_openapi_lists_the_resident_api(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/auth/sms-codes", "/api/v1/auth/sessions", "/api/v1/auth/sessions/{session_id}"):
        assert path in schema["paths"]
    assert "/login" not in schema["paths"]


async def test_pages_name_the_region_and_answer_unknown_addresses_in_the_readers_language(client: Client) -> None:
    client.cookies.set("lang", "en")
    login = await client.get("/login")
    assert '<span class="region">Hohhot</span>' in login.text
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert '<html lang="en"' in missing.text
    assert "This page or resource does not exist." in missing.text
    client.cookies.set("lang", "zh_CN")
    assert '<span class="region">呼和浩特市</span>' in (await client.get("/login")).text


async def test_unknown_api_route_has_the_error_shape(client: Client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "页面或资源不存在。", "field": None}}


async def test_wrong_method(client: Client) -> None:
    response = await client.get("/api/v1/auth/sms-codes")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_a_json_body_nested_too_deeply_is_refused_on_every_endpoint(client: Client, db: AsyncSession) -> None:
    """About 1,000 levels in 2 KB made the decoder recurse until it crashed (500 and a traceback)."""
    schema = (await client.get("/schema/openapi.json")).json()
    takes_json = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(takes_json) >= 8
    bearer = await auth(client, db)
    deep = '{"token": ' + "[" * 1000 + "]" * 1000 + "}"
    for path, method in takes_json:
        url = re.sub(r"\{[^}]+\}", "1", path)
        for headers in ({}, bearer):
            response = await client.request(
                method.upper(), url, content=deep, headers={**headers, "Content-Type": "application/json"}
            )
            assert response.status_code in (400, 401), (method, path, response.text)
            if response.status_code == 400:
                assert response.json()["error"]["code"] == "invalid_request", (method, path)


async def test_readiness_speaks_of_the_database_not_of_a_busy_pool(app: Litestar, client: Client) -> None:
    """Every pooled connection is taken (a busy server): /readyz still answers at once, from a
    connection of its own, so a balancer does not eject a node for being busy."""
    engine = app.state["hc"].engine
    held = [await engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
    try:
        ready = await asyncio.wait_for(client.get("/readyz"), timeout=5)
        assert (ready.status_code, ready.json()["database"]) == (200, "ok")
    finally:
        for connection in held:
            await connection.close()
