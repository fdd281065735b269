"""The colour rules engine (SPEC §5): facts about a person in, a colour with its reasons out.

- :mod:`.facts`: what the engine may look at (declaration, lists, risk areas, tests, recodes,
  checkpoint readings), as plain frozen values.
- :mod:`.ruleset`: rule sets as versioned TOML data, checked before use; the default is
  ``rulesets/default.toml``.
- :mod:`.vocabulary`: the fixed predicates a rule may name.
- :mod:`.engine`: :func:`evaluate`, pure: ``now`` and the zone are parameters.
"""

from healthcode.domain.colours.colour import COLOUR_WORDS, Colour
from healthcode.domain.colours.engine import Decision, Reason, evaluate
from healthcode.domain.colours.facts import (
    CASE_STATUSES,
    LIST_KINDS,
    RISK_LEVELS,
    SYMPTOMS,
    Declaration,
    Facts,
    FeverReading,
    ListEntry,
    Recode,
    RiskArea,
    TestResult,
)
from healthcode.domain.colours.ruleset import Rule, RuleSet, RuleSetError, default_ruleset, load_ruleset
from healthcode.domain.colours.vocabulary import PREDICATE_NAMES, SOURCES

__all__ = [
    "CASE_STATUSES",
    "COLOUR_WORDS",
    "LIST_KINDS",
    "PREDICATE_NAMES",
    "RISK_LEVELS",
    "SOURCES",
    "SYMPTOMS",
    "Colour",
    "Decision",
    "Declaration",
    "Facts",
    "FeverReading",
    "ListEntry",
    "Reason",
    "Recode",
    "RiskArea",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "TestResult",
    "default_ruleset",
    "evaluate",
    "load_ruleset",
]
