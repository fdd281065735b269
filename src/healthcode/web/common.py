"""Routes that belong to no feature: health probes and display preferences."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response
from sqlalchemy import text

from healthcode.domain.errors import NotFound, Unavailable
from healthcode.domain.i18n import N_
from healthcode.i18n import LANGUAGES
from healthcode.kit.deps import app_context
from healthcode.kit.requests import LANGUAGE_COOKIE, LARGE_TEXT_COOKIE, safe_next

ONE_YEAR = 365 * 86400


@get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


READY_WITHIN_S = 2.0


@get("/readyz", summary="Readiness: the database answers")
async def readyz(request: Request[Any, Any, Any]) -> dict[str, str]:
    """A connection of its own, outside the request pool: a balancer learns that the database is
    dead (503 within two seconds), never that this server is busy (a full pool must not eject it)."""
    try:
        async with asyncio.timeout(READY_WITHIN_S), app_context(request).probe_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error or the timeout means "not ready"
        raise Unavailable("database_unavailable", N_("The database does not answer.")) from exc
    return {"status": "ok", "database": "ok"}


@get("/prefs/language/{code:str}", include_in_schema=False)
async def choose_language(code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:  # noqa: A002
    if code not in LANGUAGES:
        raise NotFound("language_unknown", N_("This language is not available."))
    return Redirect(
        safe_next(next), cookies=[Cookie(key=LANGUAGE_COOKIE, value=code, max_age=ONE_YEAR, samesite="lax")]
    )


@get("/prefs/large-text", include_in_schema=False)
async def large_text(on: FromQuery[bool] = True, next: FromQuery[str] = "/") -> Response[None]:  # noqa: A002
    return Redirect(
        safe_next(next),
        cookies=[Cookie(key=LARGE_TEXT_COOKIE, value="1" if on else "0", max_age=ONE_YEAR, samesite="lax")],
    )


router = Router(path="/", route_handlers=[healthz, readyz, choose_language, large_text])
