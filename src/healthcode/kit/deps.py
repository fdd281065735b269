"""Dependencies every feature's handlers ask for by name (Litestar injects by parameter name).

``db`` is a fresh session per request, closed (and rolled back if a service did not commit) when
the response is sent. Services are built from these, the same way the CLI builds them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.i18n import current_language
from healthcode.kit.requests import API_PREFIX, client_ip
from healthcode.kit.state import AppContext
from healthcode.sessions.service import Principal, PrincipalKind, SessionStore, not_logged_in

DbSession = NamedDependency[AsyncSession]
SettingsDep = NamedDependency[Settings]
ClockDep = NamedDependency[Clock]
ClientIp = NamedDependency[str]
LanguageDep = NamedDependency[str]
ResidentOrNone = NamedDependency[Principal | None]
CurrentResident = NamedDependency[Principal]
StaffOrNone = NamedDependency[Principal | None]

RESIDENT_COOKIE = "hc_session"
STAFF_COOKIE = "hc_staff"


def app_context(request: Request[Any, Any, Any]) -> AppContext:
    ctx: AppContext = request.app.state["hc"]
    return ctx


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    async with app_context(request).sessionmaker() as session:
        yield session


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return app_context(request).settings


def provide_clock(request: Request[Any, Any, Any]) -> Clock:
    return app_context(request).clock


def provide_client_ip(request: Request[Any, Any, Any], settings: SettingsDep) -> str:
    return client_ip(request, settings.proxy_networks)


def provide_language() -> str:
    return current_language.get()


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_or_cookie(request: Request[Any, Any, Any], cookie: str) -> str:
    """The bearer token, or the login cookie for pages and for reads by the pages' own scripts.
    API calls that change something need the bearer token: the API is outside CSRF protection,
    so a cookie alone must not be able to make them."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if request.url.path.startswith(API_PREFIX) and request.method not in SAFE_METHODS:
        return ""
    return request.cookies.get(cookie, "")


async def optional_resident(request: Request[Any, Any, Any], db: DbSession) -> Principal | None:
    """The logged-in resident, or None (pages redirect to the login page).

    The clock comes from the app, not as a dependency: Litestar resolves two or more dependencies
    of one level in a task group (a task each), a tenth of a millisecond on every request."""
    store = SessionStore(db, app_context(request).clock)
    return await store.resolve(PrincipalKind.RESIDENT, bearer_or_cookie(request, RESIDENT_COOKIE))


async def required_resident(resident_or_none: ResidentOrNone) -> Principal:
    """The logged-in resident, or a 401 ``unauthenticated`` for API calls."""
    if resident_or_none is None:
        raise not_logged_in()
    return resident_or_none


async def optional_staff(request: Request[Any, Any, Any], db: DbSession) -> Principal | None:
    """The signed-in staff member, or None (the clock as in :func:`optional_resident`)."""
    store = SessionStore(db, app_context(request).clock)
    return await store.resolve(PrincipalKind.STAFF, request.cookies.get(STAFF_COOKIE, ""))


DEPENDENCIES = {
    "db": Provide(provide_db),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "ip": Provide(provide_client_ip, sync_to_thread=False),
    "language": Provide(provide_language, sync_to_thread=False),
    "resident_or_none": Provide(optional_resident),
    "resident": Provide(required_resident),
    "staff_or_none": Provide(optional_staff),
}


ROW_ID_MAX = 2**31 - 1
RowId: TypeAlias = Annotated[int, PathParameter(ge=1, le=ROW_ID_MAX)]
"""A row's id in a path: a number the database's integer columns can hold (a larger one is
refused as a malformed request, not sent to the database to overflow there)."""
