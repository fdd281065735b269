"""The back-office desks a feature offers (its ``DESKS``), which the staff shell lists."""

from __future__ import annotations

from dataclasses import dataclass

from healthcode.domain.roles import Role


@dataclass(frozen=True)
class Desk:
    """A back-office page for staff holding ``role``; ``label`` is an English msgid."""

    role: Role
    path: str
    label: str
