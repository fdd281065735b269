"""Finding the features: every package with an ``api.py`` or ``pages.py`` that exports ``router``,
and the background jobs of those with a ``jobs.py`` that exports ``JOBS``.

Adding a feature is adding a folder. A module may also export ``enabled(settings) -> bool`` (the
development outbox exists only outside prod), ``DESKS``, the back-office desks it offers
staff of a given role, which the back-office shell lists, and ``make_runtime(context)``, what the
feature keeps for the life of the app, built once by ``create_app`` (``AppContext.runtimes``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from litestar import Router

import healthcode
from healthcode.background import Job
from healthcode.config import Settings
from healthcode.kit.desks import Desk

NOT_FEATURES = {"web", "kit", "cli", "domain", "db", "i18n"}
ENTRY_MODULES = ("api", "pages")


@dataclass(frozen=True)
class Features:
    routers: list[Router]
    desks: list[Desk]
    runtimes: dict[str, Callable[[Any], object]]
    """A feature's ``make_runtime(context)``, by feature: what it keeps for the life of the app."""


def _entry_modules() -> list[ModuleType]:
    modules = []
    for info in sorted(pkgutil.iter_modules(healthcode.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name in NOT_FEATURES:
            continue
        for part in ENTRY_MODULES:
            name = f"healthcode.{info.name}.{part}"
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
    return modules


def discover_jobs() -> list[Job]:
    """Every feature's background jobs: the ``JOBS`` of its ``jobs.py``, features in name order."""
    jobs: list[Job] = []
    for info in sorted(pkgutil.iter_modules(healthcode.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name in NOT_FEATURES:
            continue
        name = f"healthcode.{info.name}.jobs"
        try:
            jobs.extend(importlib.import_module(name).JOBS)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return jobs


def discover(settings: Settings) -> Features:
    routers: list[Router] = []
    desks: list[Desk] = []
    runtimes: dict[str, Callable[[Any], object]] = {}
    for module in _entry_modules():
        enabled = getattr(module, "enabled", None)
        if enabled is not None and not enabled(settings):
            continue
        routers.append(module.router)
        desks.extend(getattr(module, "DESKS", ()))
        if hasattr(module, "make_runtime"):
            runtimes[module.__name__.split(".")[1]] = module.make_runtime
    return Features(routers, desks, runtimes)
