"""The administrators' pages under ``/staff/admin``: signing keys (:mod:`.keysdesk.pages`), other
issuers' trust lists (the same module) and rule sets activated by two administrators
(:mod:`.rulesdesk.pages`). Each is a desk of the ``admin`` role in the back-office shell."""

from __future__ import annotations

from litestar import Router

from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.governance.keysdesk import pages as key_pages
from healthcode.governance.rulesdesk import pages as rule_pages
from healthcode.kit.desks import Desk

DESKS = [
    Desk(Role.ADMIN, key_pages.KEYS_PATH, N_("Signing keys")),
    Desk(Role.ADMIN, rule_pages.RULES_PATH, N_("Colour rule sets (two administrators)")),
    Desk(Role.ADMIN, key_pages.ISSUERS_PATH, N_("Trusted issuers")),
]

router = Router(
    path="/staff/admin", route_handlers=[*key_pages.HANDLERS, *rule_pages.HANDLERS], include_in_schema=False
)
