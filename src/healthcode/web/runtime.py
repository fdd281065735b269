"""The application's runtime: what a process builds once and keeps, the servers and the CLI alike.

:func:`build_runtime` makes the :class:`~healthcode.kit.state.AppContext` every request and command
reads (settings, clock, the database engines and the lean read path, Redis if configured, and each
feature's ``make_runtime``: the codes' key memory, verifier and rate limiter, caches), with the
features found (:func:`healthcode.web.features.discover`) and the background jobs. ``create_app``
serves it; ``healthcode worker`` runs its jobs; every other CLI command works through its session
factory and feature runtimes, so a key generated from the command line goes through the same key
memory a server's would.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.pool import NullPool

from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.lean import lean_reads
from healthcode.domain.clock import Clock, SystemClock
from healthcode.kit.overload import Load
from healthcode.kit.state import AppContext
from healthcode.web.features import Features, discover
from healthcode.web.jobs import Jobs


@dataclass(frozen=True)
class Runtime:
    """One process's runtime: the context requests and commands share, the features it was built
    from, and their background jobs (run by the servers or by ``healthcode worker``)."""

    context: AppContext
    features: Features
    jobs: Jobs

    async def close(self) -> None:
        """Close what the runtime opened: the engines, the lean read path's connections, Redis."""
        context = self.context
        await context.engine.dispose()
        await context.probe_engine.dispose()
        await context.lean.close()
        if context.redis is not None:
            await context.redis.aclose()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Build the runtime once for this process. Nothing connects yet: the engines, the lean read
    path and Redis open connections when first used."""
    engine = make_engine(settings.database_url)
    features = discover(settings)
    context = AppContext(
        settings,
        clock or SystemClock(),
        engine,
        make_sessionmaker(engine),
        features.desks,
        probe_engine=make_engine(settings.database_url, poolclass=NullPool),
        lean=lean_reads(
            settings.database_url,
            settings.database_replica_urls,
            settings.replica_max_lag_s,
            settings.database_lean_connections,
        ),
        load=Load(settings.max_in_flight, settings.max_delay_ms / 1000),
        redis=Redis.from_url(settings.redis_url) if settings.redis_url else None,
    )
    context.runtimes.update((name, make(context)) for name, make in features.runtimes.items())
    return Runtime(context, features, Jobs(engine, context.sessionmaker, settings, context.clock))
