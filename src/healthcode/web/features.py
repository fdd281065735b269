"""Finding the features: every package with an ``api.py`` or ``pages.py`` that exports ``router``,
and the background jobs of those with a ``jobs.py`` that exports ``JOBS``.

Adding a feature is adding a folder. A module may also export ``enabled(settings) -> bool`` (the
development outbox exists only outside prod) and ``DESKS``, the back-office desks it offers
staff of a given role, which the back-office shell lists.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from litestar import Router

import healthcode
from healthcode.background import Job
from healthcode.config import Settings
from healthcode.domain.roles import Role

NOT_FEATURES = {"web", "cli", "domain", "db", "i18n"}
ENTRY_MODULES = ("api", "pages")


@dataclass(frozen=True)
class Desk:
    """A back-office page for staff holding ``role``; ``label`` is an English msgid."""

    role: Role
    path: str
    label: str


@dataclass(frozen=True)
class Features:
    routers: list[Router]
    desks: list[Desk]


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
    for module in _entry_modules():
        enabled = getattr(module, "enabled", None)
        if enabled is not None and not enabled(settings):
            continue
        routers.append(module.router)
        desks.extend(getattr(module, "DESKS", ()))
    return Features(routers, desks)
