"""SPEC §5: rule sets are data an administrator can check before they go live.

Every problem in a draft is reported at once, each naming the rule (by id, or by number when the
id itself is wrong) and the key at fault.
"""

from __future__ import annotations

from importlib.resources import files

import pytest

from healthcode.domain.colours import PREDICATE_NAMES, Colour, RuleSetError, default_ruleset, load_ruleset
from healthcode.domain.colours.vocabulary import DeclaredSymptoms

HEADER = 'version = "test.1"\nname = "test rules"\n'
BASE = {
    "id": '"fever"',
    "when": '{ declared_symptoms = { any = ["fever"] } }',
    "colour": '"yellow"',
    "source": '"declaration"',
    "reason": '{ zh_CN = "您申报有发热症状。", en = "You declared a fever." }',
    "green_when": '{ zh_CN = "症状消失后请重新申报。", en = "Declare again once it has gone." }',
}


def rule(**keys: str | None) -> str:
    """A [[rule]] table: the valid BASE with some keys replaced (a TOML value) or left out (None)."""
    fields = {**BASE, **keys}
    return "[[rule]]\n" + "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)


def ruleset(*rules: str, header: str = HEADER) -> str:
    return header + "\n".join(rules or (rule(),))


def problems_of(text: str) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(text)
    return caught.value.problems


def test_a_valid_rule_set_loads() -> None:
    loaded = load_ruleset(ruleset())
    assert (loaded.version, loaded.name) == ("test.1", "test rules")
    (only,) = loaded.rules
    assert only.id == "fever"
    assert only.when == DeclaredSymptoms(frozenset({"fever"}))
    assert (only.colour, only.days, only.source) == (Colour.YELLOW, None, "declaration")
    assert dict(only.reason) == {"zh_CN": "您申报有发热症状。", "en": "You declared a fever."}


def test_more_languages_and_literal_braces_are_fine() -> None:
    reason = '{ zh_CN = "发热{{示例}}", en = "Fever", mn = "Халуурсан" }'
    (only,) = load_ruleset(ruleset(rule(reason=reason))).rules
    assert set(only.reason) == {"zh_CN", "en", "mn"}


def test_the_default_rule_set_loads_and_documents_the_vocabulary() -> None:
    assert default_ruleset().version
    text = files("healthcode.domain.colours").joinpath("rulesets/default.toml").read_text(encoding="utf-8")
    header = text.split("\nversion")[0]
    for name in PREDICATE_NAMES:
        assert f"#   {name} {{" in header, f"default.toml's header does not document {name}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # the predicate
        (
            rule(when="{ declared_fever = {} }"),
            "rule 'fever': when: unknown predicate 'declared_fever' (known: on_list, declared_case, "
            "declared_quarantine, declared_contact, declared_symptoms, declared_temperature, travelled, "
            "positive_test, recoded, checkpoint_fever)",
        ),
        (
            rule(when="{ declared_contact = {}, declared_quarantine = {} }"),
            "rule 'fever': when: must name exactly one predicate, e.g. when = { travelled = { level = 'high' } }",
        ),
        (rule(when=None), "rule 'fever': when: must name exactly one predicate"),
        (rule(when="{ declared_contact = true }"), "rule 'fever': when.declared_contact: parameters must be a table"),
        (
            rule(when='{ declared_symptoms = { any = ["fever"], all = ["cough"] } }'),
            "rule 'fever': when.declared_symptoms: unknown parameter all",
        ),
        (
            rule(when='{ declared_symptoms = { any = ["fever", "sneezing"] } }'),
            "rule 'fever': when.declared_symptoms: any has unknown sneezing (known: cough, diarrhoea, fatigue, "
            "fever, short_breath, sore_throat, taste_smell_loss)",
        ),
        (
            rule(when="{ declared_symptoms = { any = [] } }"),
            "rule 'fever': when.declared_symptoms: any must be a non-empty list of:",
        ),
        (
            rule(when='{ on_list = { kinds = ["contact"] } }', source='"list"'),
            "rule 'fever': when.on_list: kinds has unknown contact",
        ),
        (
            rule(when='{ declared_case = { statuses = ["none"] } }'),
            "rule 'fever': when.declared_case: statuses has unknown none (known: asymptomatic, confirmed, suspected)",
        ),
        (
            rule(when="{ declared_temperature = { at_least = 373 } }"),
            "rule 'fever': when.declared_temperature: at_least must be a temperature in °C from 35.0 to 42.0",
        ),
        (
            rule(when='{ travelled = { level = "low" } }', source='"risk_area"'),
            "rule 'fever': when.travelled: level must be one of: high, medium",
        ),
        (
            rule(when='{ recoded = { green_clears = ["recode"] } }', source='"recode"', colour=None),
            "rule 'fever': when.recoded: green_clears has unknown recode",
        ),
        # colour, days, source
        (rule(colour='"orange"'), "rule 'fever': colour must be 'red' or 'yellow', not 'orange'"),
        (rule(colour='"green"'), "rule 'fever': colour must be 'red' or 'yellow', not 'green'"),
        (rule(colour=None), "rule 'fever': colour must be 'red' or 'yellow', not None"),
        (
            rule(when="{ recoded = {} }", source='"recode"', colour='"red"'),
            "rule 'fever': colour must be left out for recoded (the recode decides it)",
        ),
        (rule(days="-3"), "rule 'fever': days must be a whole number of at least 1, not -3"),
        (rule(days="0"), "rule 'fever': days must be a whole number of at least 1, not 0"),
        (rule(days="1.5"), "rule 'fever': days must be a whole number of at least 1, not 1.5"),
        (rule(days='"14"'), "rule 'fever': days must be a whole number of at least 1, not '14'"),
        (
            rule(when="{ recoded = {} }", source='"recode"', colour=None, days="14"),
            "rule 'fever': days must be left out for recoded (the recode has its own end)",
        ),
        (
            rule(when="{ positive_test = {} }", source='"test"', colour='"red"'),
            "rule 'fever': days is required for positive_test (nothing else lifts it)",
        ),
        (
            rule(when="{ checkpoint_fever = { at_least = 37.3 } }", source='"checkpoint"'),
            "rule 'fever': days is required for checkpoint_fever (nothing else lifts it)",
        ),
        (rule(source='"list"'), "rule 'fever': source of declared_symptoms is 'declaration', not 'list'"),
        (
            rule(source='"rumour"'),
            "rule 'fever': source must be one of: declaration, list, risk_area, test, recode, checkpoint",
        ),
        # ids and keys
        (
            rule(id='"Fever Rule"'),
            "rule #1: id must be lower-case words joined by '.' or '_', e.g. 'travel.high'",
        ),
        (rule(id=None), "rule #1: id must be lower-case words joined by '.' or '_'"),
        (rule(severity="3"), "rule 'fever': unknown key 'severity' (known: colour, days, green_when, id, reason,"),
        (ruleset(rule(), rule()), "rule 'fever': duplicate id (rules #1 and #2)"),
        # texts
        (rule(reason='{ en = "You declared a fever." }'), "rule 'fever': reason: the zh_CN text is missing"),
        (rule(green_when='{ zh_CN = "请重新申报。" }'), "rule 'fever': green_when: the en text is missing"),
        (rule(reason=None), "rule 'fever': reason: required, a table of texts with zh_CN and en"),
        (
            rule(reason='{ zh_CN = "  ", en = "You declared a fever." }'),
            "rule 'fever': reason.zh_CN: must be a non-empty string",
        ),
        (
            rule(reason='{ zh_CN = "发热", en = "Fever", chinese = "发热" }'),
            "rule 'fever': reason: 'chinese' is not a language code like zh_CN or en",
        ),
        (
            rule(reason='{ zh_CN = "您到访过{region}", en = "Fever" }'),
            "rule 'fever': reason.zh_CN: unknown placeholder {region} (this rule offers: {declared_on})",
        ),
        (
            rule(green_when='{ zh_CN = "{green_on}起转为绿码", en = "Declare again." }'),
            "rule 'fever': green_when.zh_CN: unknown placeholder {green_on} (this rule offers: {declared_on})",
        ),
        (
            rule(reason='{ zh_CN = "发热", en = "On {declared_on:%Y}" }'),
            "rule 'fever': reason.en: placeholder {declared_on} takes no format or conversion",
        ),
        (
            rule(reason='{ zh_CN = "体温{", en = "Fever" }'),
            "rule 'fever': reason.zh_CN: Single '{' encountered in format string (write {{ and }} for literal braces)",
        ),
    ],
)
def test_each_problem_is_named(text: str, problem: str) -> None:
    found = problems_of(text if text.startswith("version") else ruleset(text))
    assert len(found) == 1, found
    assert found[0].startswith(problem)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("not = [toml", ["not valid TOML: "]),
        ('name = "x"\n' + rule(), ["version: required, a non-empty string"]),
        ('version = "1"\nname = ""\n' + rule(), ["name: required, a non-empty string"]),
        (HEADER, ["rule: at least one [[rule]] table is required"]),
        (
            HEADER + rule().replace("[[rule]]", "[[rules]]"),
            ["rules: unknown key (known: name, rule, version)", "rule: at least one [[rule]] table is required"],
        ),
    ],
)
def test_rule_set_level_problems(text: str, problems: list[str]) -> None:
    found = problems_of(text)
    assert len(found) == len(problems), found
    assert all(f.startswith(p) for f, p in zip(found, problems, strict=True))


def test_every_problem_is_reported_at_once() -> None:
    text = ruleset(
        rule(id='"travel.high"', when='{ travelled = { level = "high" } }', source='"risk_area"', days="-1"),
        rule(id='"travel.high"', when='{ travelled = { level = "high" } }', source='"risk_area"', colour='"pink"'),
        rule(id='"contact"', when="{ declared_contacts = {} }"),
        rule(id='"quarantine"', when="{ declared_quarantine = {} }", green_when='{ zh_CN = "重新申报" }'),
        header='version = "draft"\n',
    )
    assert problems_of(text) == [
        "name: required, a non-empty string",
        "rule 'travel.high': days must be a whole number of at least 1, not -1",
        "rule 'travel.high': duplicate id (rules #1 and #2)",
        "rule 'travel.high': colour must be 'red' or 'yellow', not 'pink'",
        "rule 'contact': when: unknown predicate 'declared_contacts' (known: on_list, declared_case, "
        "declared_quarantine, declared_contact, declared_symptoms, declared_temperature, travelled, "
        "positive_test, recoded, checkpoint_fever)",
        "rule 'quarantine': green_when: the en text is missing",
    ]


def test_the_error_is_a_value_error_that_lists_its_problems() -> None:
    with pytest.raises(ValueError, match=r"the rule set has 2 problem\(s\):\n- rule 'fever': colour") as caught:
        load_ruleset(ruleset(rule(colour='"blue"', days="-2")))
    assert isinstance(caught.value, RuleSetError)
    assert len(caught.value.problems) == 2
