"""Staff roles of SPEC §1; an account may hold several."""

from __future__ import annotations

from enum import StrEnum

from healthcode.domain.i18n import N_


class Role(StrEnum):
    """What a staff account may do. Values are stored and appear in the CLI: append only."""

    REVIEWER = "reviewer"
    SUPPORT = "support"
    AUTHORITY = "authority"
    CLERK = "clerk"
    CHECKPOINT = "checkpoint"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """English msgid of the role's name, for translation."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.REVIEWER: N_("Real-name reviewer"),
    Role.SUPPORT: N_("Support agent"),
    Role.AUTHORITY: N_("Health authority"),
    Role.CLERK: N_("Certificate clerk"),
    Role.CHECKPOINT: N_("Checkpoint staff"),
    Role.ADMIN: N_("Administrator"),
}
