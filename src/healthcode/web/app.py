"""``create_app(settings)``: the one place where features, templates and errors are assembled."""

from __future__ import annotations

import asyncio
import contextlib
import gc

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from redis.asyncio import Redis
from sqlalchemy.pool import NullPool

from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.lean import lean_reads
from healthcode.domain.clock import Clock, SystemClock
from healthcode.kit.assets import STATIC_DIR, hashed_asset
from healthcode.kit.deps import DEPENDENCIES
from healthcode.kit.errors import EXCEPTION_HANDLERS
from healthcode.kit.overload import Load, overload_middleware
from healthcode.kit.own_changes import own_changes_middleware
from healthcode.kit.requests import API_PREFIX, PlatformRequest, language_middleware
from healthcode.kit.state import AppContext
from healthcode.kit.templating import make_environment
from healthcode.web import common
from healthcode.web.features import discover
from healthcode.web.headers import security_headers
from healthcode.web.jobs import Jobs
from healthcode.web.openapi import describe, security_components


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """Build the application. Tests pass their own settings and clock; production passes nothing."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    features = discover(settings)
    probe_engine = make_engine(settings.database_url, poolclass=NullPool)
    lean = lean_reads(
        settings.database_url,
        settings.database_replica_urls,
        settings.replica_max_lag_s,
        settings.database_lean_connections,
    )
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    load = Load(settings.max_in_flight, settings.max_delay_ms / 1000)
    context = AppContext(
        settings,
        clock or SystemClock(),
        engine,
        make_sessionmaker(engine),
        features.desks,
        probe_engine,
        lean,
        load,
        redis,
    )

    context.runtimes.update((name, make(context)) for name, make in features.runtimes.items())
    jobs = Jobs(engine, context.sessionmaker, settings, context.clock)
    running: list[asyncio.Task[None]] = []

    async def start() -> None:
        """What runs beside the requests: the overload and replica probes, and the jobs. What the
        app built (routes, templates, the OpenAPI document) is frozen out of the garbage
        collector's passes: a full pass then walks the requests' objects only (the display's p99)."""
        gc.collect()
        gc.freeze()
        loops = [load.watch(), lean.watch(), *([jobs.run_forever()] if settings.jobs_in_server else [])]
        running.extend(asyncio.create_task(loop) for loop in loops)

    async def dispose() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()
        await probe_engine.dispose()
        await lean.close()
        if redis is not None:
            await redis.aclose()

    app = Litestar(
        route_handlers=[
            common.router,
            *features.routers,
            hashed_asset,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], cache_control=CacheControlHeader(no_cache=True)
            ),
        ],
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=PlatformRequest,
        middleware=[
            language_middleware(settings.default_language),
            overload_middleware(load),
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
