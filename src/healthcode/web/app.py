"""``create_app(settings)``: the one place where features, templates and errors are assembled."""

from __future__ import annotations

import asyncio
import contextlib
import gc

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.kit.assets import STATIC_DIR, hashed_asset
from healthcode.kit.compression import COMPRESSION
from healthcode.kit.deps import DEPENDENCIES
from healthcode.kit.errors import EXCEPTION_HANDLERS
from healthcode.kit.overload import overload_middleware
from healthcode.kit.own_changes import own_changes_middleware
from healthcode.kit.requests import API_PREFIX, PlatformRequest, language_middleware
from healthcode.kit.templating import make_environment
from healthcode.web import common
from healthcode.web.headers import security_headers
from healthcode.web.openapi import describe, security_components
from healthcode.web.runtime import build_runtime


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """Build the application. Tests pass their own settings and clock; production passes nothing."""
    settings = settings or Settings()
    runtime = build_runtime(settings, clock)
    context, features = runtime.context, runtime.features
    running: list[asyncio.Task[None]] = []

    async def start() -> None:
        """What runs beside the requests: the overload and replica probes, and the jobs. What the
        app built (routes, templates, the OpenAPI document) is frozen out of the garbage
        collector's passes: a full pass then walks the requests' objects only (the display's p99)."""
        gc.collect()
        gc.freeze()
        jobs = [runtime.jobs.run_forever()] if settings.jobs_in_server else []
        loops = [context.load.watch(), context.lean.watch(), *jobs]
        running.extend(asyncio.create_task(loop) for loop in loops)

    async def dispose() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runtime.close()

    app = Litestar(
        route_handlers=[
            common.router,
            *features.routers,
            hashed_asset,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], cache_control=CacheControlHeader(no_cache=True)
            ),
        ],
        compression_config=COMPRESSION,
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=PlatformRequest,
        middleware=[
            language_middleware(settings.default_language),
            overload_middleware(context.load),
            *own_changes_middleware(context),
        ],
        before_send=[security_headers(hsts=settings.env == "prod")],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment(settings))),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="hc_csrf",
            cookie_httponly=True,
            cookie_secure=settings.env == "prod",
            exclude=[API_PREFIX, "/healthz", "/readyz"],
        ),
        openapi_config=OpenAPIConfig(
            title="Health Code Platform", version="1.0.0", path="/schema", components=security_components()
        ),
        state=State({"hc": context}),
        on_startup=[start],
        on_shutdown=[dispose],
        logging_config=LoggingConfig(log_exceptions="never"),
        debug=False,
    )
    describe(app.openapi_schema)
    return app
