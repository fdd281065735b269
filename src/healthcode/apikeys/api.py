"""The staff API's guard, and ``GET /api/v1/staff/api-key``: which key is calling.

Every staff API router asks for its scope with one line, and its handlers take ``caller``::

    router = Router(path="/api/v1/authority", dependencies={"caller": staff_api_key(Scope.LISTS)},
                    security=STAFF_API_SECURITY, route_handlers=[...])

    async def upload(caller: StaffApiCaller, ...) -> ...

The guard reads ``Authorization: Bearer <staff API key>`` (never a cookie: the API is outside
CSRF protection), answers 401 without a working key and 403 without the scope, and audits the
call under the key's account (:meth:`ApiKeyService.authenticate`) before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide

from healthcode.apikeys.service import ApiCaller, ApiKeyService
from healthcode.domain.api_keys import Scope
from healthcode.kit.deps import DbSession, app_context

STAFF_API_KEY = "staff_api_key"
"""The security scheme of the staff API (an operation's handler names it; its calls also answer 403
for a key without the scope)."""

STAFF_API_SECURITY: list[dict[str, list[str]]] = [{STAFF_API_KEY: []}]
"""The OpenAPI security requirement of every staff API operation."""
StaffApiCaller = NamedDependency[ApiCaller]


def bearer_key(request: Request[Any, Any, Any]) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def staff_api_key(scope: Scope | None) -> Provide:
    """The dependency (name it ``caller``) that lets through calls with a working staff API key
    holding ``scope`` (None: any scope) and gives the handler the :class:`ApiCaller`."""

    async def caller(request: Request[Any, Any, Any], db: DbSession) -> ApiCaller:
        context = app_context(request)
        service = ApiKeyService(db, context.settings, context.clock)
        return await service.authenticate(bearer_key(request), scope, f"{request.method} {request.url.path}")

    guard: Callable[..., Awaitable[ApiCaller]] = caller
    return Provide(guard)


class ApiKeyOut(msgspec.Struct):
    """The calling key: its id, account, scopes and label (a device checks its set-up with it)."""

    key_id: str
    username: str
    scopes: list[str]
    label: str
    created_at: datetime


@get("/", summary="The staff API key making the call")
async def calling_key(caller: StaffApiCaller) -> ApiKeyOut:
    key = caller.key
    return ApiKeyOut(key.key_id, caller.account.username, list(key.scopes), key.label, key.created_at)


router = Router(
    path="/api/v1/staff/api-key",
    route_handlers=[calling_key],
    dependencies={"caller": staff_api_key(None)},
    security=STAFF_API_SECURITY,
    tags=["staff API"],
)
