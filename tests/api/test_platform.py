"""Health probes, the OpenAPI document and the error shape for unknown routes."""

from litestar import Litestar
from litestar.testing import AsyncTestClient

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


async def test_unknown_api_route_has_the_error_shape(client: Client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "页面或资源不存在。", "field": None}}


async def test_wrong_method(client: Client) -> None:
    response = await client.get("/api/v1/auth/sms-codes")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
