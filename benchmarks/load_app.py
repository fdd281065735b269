"""The app ``healthcode serve`` runs, plus the two bare endpoints the load figures are measured
against (``make load``): the floor of each hot path on the same framework, server and middleware.

- ``GET /bench/sign``: no database work, one ES256 token of the same claims and size as a live
  code (a key made at start-up), answered in the code endpoint's JSON shape.
- ``POST /bench/verify``: no database work, the request's token verified against the platform's
  keys (read once, on the first call) with the same token library, answered as verification does.

Served only by the load harness (``benchmarks/load.py``); the platform itself has no such routes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get, post
from litestar.params import JSONBody

from healthcode.codes.api import CodeOut
from healthcode.codes.live import code_for
from healthcode.codes.schemas import VerificationOut, VerificationRequest, verification_out
from healthcode.codes.verification import Snapshot, load_snapshot, result_of, verify_with
from healthcode.domain.tokens import generate_signing_key
from healthcode.kit.deps import app_context
from healthcode.web.app import create_app

_KEY = generate_signing_key()
_SNAPSHOT: list[Snapshot] = []
_LOADING = asyncio.Lock()


@get("/bench/sign", exclude_from_csrf=True, include_in_schema=False)
async def bare_sign(request: Request[Any, Any, Any]) -> CodeOut:
    """One live-code-sized token, signed; nothing read."""
    context = app_context(request)
    code = code_for(context.settings, context.clock, _KEY, 123456, "green", "张*丰", "1501**********123X")
    return CodeOut(code.token, code.colour, code.expires_at, code.refresh_after)


@post("/bench/verify", status_code=200, exclude_from_csrf=True, include_in_schema=False)
async def bare_verify(request: Request[Any, Any, Any], data: JSONBody[VerificationRequest]) -> VerificationOut:
    """One token verified against keys held in memory; nothing read after the first call."""
    context = app_context(request)
    if not _SNAPSHOT:
        async with _LOADING:  # the first requests arrive together: one of them reads the keys
            if not _SNAPSHOT:
                async with context.sessionmaker() as db:
                    _SNAPSHOT.append(await load_snapshot(db, context.settings, context.clock))
    return verification_out(result_of(verify_with(_SNAPSHOT[0], data.token, context.clock.now())))


app = create_app()
app.register(bare_sign)
app.register(bare_verify)
