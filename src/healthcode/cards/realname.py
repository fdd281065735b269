"""The real-name verification interface (public-security identity check, carrier name/ID/phone
check in production) and the built-in offline provider that decides by configurable rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from healthcode.config import Settings
from healthcode.domain.cards import ApplicationKind, RealNameRules, Verdict
from healthcode.domain.documents import DocumentType


@dataclass(frozen=True)
class IdentityClaim:
    """What is checked: the person named on the document, and the phone that asks (None for a
    walk-in registered at a clerk's desk, who has no phone and was seen in person)."""

    document_type: DocumentType
    document_number: str
    name: str
    phone: str | None
    kind: ApplicationKind


class RealNameProvider(Protocol):
    """Answers approved, rejected (with a reason code) or undecided (the reviewers decide)."""

    async def check(self, claim: IdentityClaim) -> Verdict: ...


class RulesProvider:
    """Offline default: mainland documents pass, the rest and every re-binding go to reviewers.
    The delay of ``HEALTHCODE_REALNAME_DELAY_S`` is applied by the queue, not here."""

    def __init__(self, rules: RealNameRules):
        self.rules = rules

    async def check(self, claim: IdentityClaim) -> Verdict:
        return self.rules.decide(claim.document_type, claim.kind)


def make_realname_provider(settings: Settings) -> RealNameProvider:
    match settings.realname_provider:
        case "rules":
            return RulesProvider(settings.realname_rules)
    raise ValueError(f"unknown real-name provider {settings.realname_provider!r}")
