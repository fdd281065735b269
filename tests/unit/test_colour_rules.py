"""SPEC §5: the default colour rules, scenario by scenario.

Each row reads: given these facts, at this moment (12:00 on 5 March 2026 in Hohhot unless said),
the code is this colour, for these rules in this order, turns green by itself on this date (None:
it needs an action, or it is green already), and should be looked at again at ``next_change``.

Unless a row says otherwise, the resident declared at 10:00 on 1 March; risk areas and list
entries start on 20 February. Day counting is inclusive: the anchor day is day 1, so 14 days from
1 March lift at 00:00 on 15 March.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcode.domain.colours import (
    CASE_STATUSES,
    LIST_KINDS,
    SYMPTOMS,
    Colour,
    Declaration,
    Facts,
    FeverReading,
    ListEntry,
    Recode,
    RiskArea,
    Rule,
    TestResult,
    default_ruleset,
    evaluate,
)

ZONE = ZoneInfo("Asia/Shanghai")  # Hohhot keeps Beijing time
RULES = default_ruleset()
GREEN, YELLOW, RED = Colour.GREEN, Colour.YELLOW, Colour.RED

COUNTY = "420102"  # 湖北省武汉市江岸区
OTHER_COUNTY = "420103"  # 湖北省武汉市江汉区
CITY = "420100"  # 湖北省武汉市
OTHER_CITY = "420200"  # 湖北省黄石市
PROVINCE = "420000"  # 湖北省
HEBEI_COUNTY, HEBEI_CITY = "130102", "130100"  # 河北省石家庄市长安区, 石家庄市


def on(day: int, month: int = 3) -> date:
    return date(2026, month, day)


def local(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
    """A moment on the Hohhot wall clock, as the UTC the engine is given."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def midnight(day: int, month: int = 3) -> datetime:
    return local(day, 0, month=month)


NOW = local(5)


def declared(
    *,
    day: int = 1,
    hour: int = 10,
    minute: int = 0,
    temperature: float | None = 36.5,
    symptoms: Iterable[str] = (),
    travel: Iterable[str] = (),
    contact: bool = False,
    quarantine: bool = False,
    case: str = "none",
) -> Declaration:
    return Declaration(
        declared_at=local(day, hour, minute),
        temperature=temperature,
        symptoms=frozenset(symptoms),
        travel_regions=tuple(travel),
        contact_with_case=contact,
        under_quarantine=quarantine,
        case_status=case,
    )


LISTED_SINCE = AREA_SINCE = on(20, 2)
RECODED_AT, TESTED_AT, READ_AT = local(2, 9), local(2, 8), local(3, 8)


def area(code: str, level: str = "high", since: date = AREA_SINCE, until: date | None = None) -> RiskArea:
    return RiskArea(region_code=code, level=level, effective_from=since, effective_to=until, name="")


WUHAN = RiskArea(CITY, "high", on(20, 2), None, name="湖北省武汉市")


def listed(kind: str, since: date = LISTED_SINCE, until: date | None = None) -> ListEntry:
    return ListEntry(kind=kind, since=since, until=until)


def recoded(colour: Colour, at: datetime = RECODED_AT, until: datetime | None = None) -> Recode:
    return Recode(
        colour=colour,
        reason_code="R-TEST",
        effective_at=at,
        until=until,
        note="请居家，等待电话。",
        reason={"zh_CN": "经流调判定为密接", "en": "Close contact by tracing"},
    )


def positive(at: datetime = TESTED_AT) -> TestResult:
    return TestResult(taken_at=at, positive=True)


def reading(temperature: float, at: datetime = READ_AT) -> FeverReading:
    return FeverReading(taken_at=at, temperature=temperature)


def row(
    name: str,
    facts: Facts,
    colour: Colour,
    rules: tuple[str, ...] = (),
    green_on: date | None = None,
    next_change: datetime | None = None,
    now: datetime = NOW,
) -> object:
    return pytest.param(facts, now, colour, rules, green_on, next_change, id=name)


FEVER = declared(symptoms=["fever"])
HIGH_TRIP = declared(travel=[COUNTY])

SCENARIOS = [
    # --- Green -------------------------------------------------------------------------------
    row("nothing known: green", Facts(), GREEN),
    row("a healthy declaration: green", Facts(declared()), GREEN),
    row(
        "fatigue, diarrhoea and lost taste alone are not respiratory: green",
        Facts(declared(symptoms=["fatigue", "diarrhoea", "taste_smell_loss"])),
        GREEN,
    ),
    row("no temperature declared: green", Facts(declared(temperature=None)), GREEN),
    row("declared 37.2 °C: green", Facts(declared(temperature=37.2)), GREEN),
    row("a negative test: green", Facts(tests=(TestResult(local(2, 8), positive=False),)), GREEN),
    row("a checkpoint reading of 37.2 °C: green", Facts(fever_readings=(reading(37.2),)), GREEN),
    # --- The resident's own declaration ------------------------------------------------------
    row("declared fever: yellow until declaring again", Facts(FEVER), YELLOW, ("declared.symptoms",)),
    row("declared cough: yellow", Facts(declared(symptoms=["cough"])), YELLOW, ("declared.symptoms",)),
    row("declared sore throat: yellow", Facts(declared(symptoms=["sore_throat"])), YELLOW, ("declared.symptoms",)),
    row("declared short breath: yellow", Facts(declared(symptoms=["short_breath"])), YELLOW, ("declared.symptoms",)),
    row("declared 37.3 °C: yellow", Facts(declared(temperature=37.3)), YELLOW, ("declared.temperature",)),
    row(
        "declared fever and 38.0 °C: yellow, both reasons in rule order",
        Facts(declared(symptoms=["fever"], temperature=38.0)),
        YELLOW,
        ("declared.symptoms", "declared.temperature"),
    ),
    row(
        "declared contact with a case: red for 14 days",
        Facts(declared(contact=True)),
        RED,
        ("declared.contact",),
        on(15),
        midnight(15),
    ),
    row(
        "declared contact, day 14 at 23:59: still red",
        Facts(declared(contact=True)),
        RED,
        ("declared.contact",),
        on(15),
        midnight(15),
        now=local(14, 23, 59),
    ),
    row("declared contact, day 15 at 00:00: green", Facts(declared(contact=True)), GREEN, now=midnight(15)),
    row(
        "declared at 23:30: that evening is day 1",
        Facts(declared(hour=23, minute=30, contact=True)),
        RED,
        ("declared.contact",),
        on(15),
        midnight(15),
    ),
    row(
        "declared at 00:30 on 2 March (still 1 March in UTC): day 1 is 2 March",
        Facts(declared(day=2, hour=0, minute=30, contact=True)),
        RED,
        ("declared.contact",),
        on(16),
        midnight(16),
    ),
    row(
        "declared quarantine: red until declaring again",
        Facts(declared(quarantine=True)),
        RED,
        ("declared.quarantine",),
    ),
    row("declared confirmed case: red", Facts(declared(case="confirmed")), RED, ("declared.case",)),
    row("declared suspected case: red", Facts(declared(case="suspected")), RED, ("declared.case",)),
    row("declared asymptomatic infection: red", Facts(declared(case="asymptomatic")), RED, ("declared.case",)),
    row(
        "a declaration dated after now does not count yet",
        Facts(declared(day=6, symptoms=["fever"])),
        GREEN,
        next_change=local(6, 10),
    ),
    # --- Travel ------------------------------------------------------------------------------
    row(
        "county in a high-risk county: red 14 days",
        Facts(HIGH_TRIP, risk_areas=(area(COUNTY),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "county in a high-risk city (xxxx00): red",
        Facts(HIGH_TRIP, risk_areas=(area(CITY),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "county in a high-risk province (xx0000): red",
        Facts(HIGH_TRIP, risk_areas=(area(PROVINCE),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "a neighbouring high-risk county does not cover it: green",
        Facts(HIGH_TRIP, risk_areas=(area(OTHER_COUNTY),)),
        GREEN,
    ),
    row("another city's area does not cover it: green", Facts(HIGH_TRIP, risk_areas=(area(OTHER_CITY),)), GREEN),
    row(
        "a whole-city trip is not covered by one high-risk county in it: green",
        Facts(declared(travel=[CITY]), risk_areas=(area(COUNTY),)),
        GREEN,
    ),
    row(
        "medium-risk area: yellow 7 days",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, "medium"),)),
        YELLOW,
        ("travel.medium",),
        on(8),
        midnight(8),
    ),
    row("medium-risk area, day 8: green", Facts(HIGH_TRIP, risk_areas=(area(CITY, "medium"),)), GREEN, now=midnight(8)),
    row(
        "area lifted on 15 February, before the window (15 Feb - 1 Mar) opened: green",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, since=on(1, 2), until=on(15, 2)),)),
        GREEN,
    ),
    row(
        "area lifted on 16 February, still effective on the window's first day: red",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, since=on(1, 2), until=on(16, 2)),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "area lifted after the declaration: the visit was risky, still red",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, until=on(3)),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "area effective only from the day after the declaration: green",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, since=on(2)),)),
        GREEN,
    ),
    row(
        "area effective from the declaration day: red",
        Facts(HIGH_TRIP, risk_areas=(area(CITY, since=on(1)),)),
        RED,
        ("travel.high",),
        on(15),
        midnight(15),
    ),
    row(
        "high- and medium-risk trips: red first, then yellow; looked at again when the yellow lifts",
        Facts(declared(travel=[COUNTY, HEBEI_COUNTY]), risk_areas=(area(CITY), area(HEBEI_CITY, "medium"))),
        RED,
        ("travel.high", "travel.medium"),
        on(15),
        midnight(8),
    ),
    # --- Authority lists ---------------------------------------------------------------------
    row(
        "confirmed list: red until the authority clears", Facts(lists=(listed("confirmed"),)), RED, ("list.confirmed",)
    ),
    row("suspected list: red", Facts(lists=(listed("suspected"),)), RED, ("list.suspected",)),
    row("asymptomatic list: red", Facts(lists=(listed("asymptomatic"),)), RED, ("list.asymptomatic",)),
    row("isolation list: red", Facts(lists=(listed("isolation"),)), RED, ("list.isolation",)),
    row(
        "close contact released on 10 March: red until then",
        Facts(lists=(listed("close_contact", until=on(10)),)),
        RED,
        ("list.close_contact",),
        on(10),
        midnight(10),
    ),
    row("close contact released on 4 March: green", Facts(lists=(listed("close_contact", until=on(4)),)), GREEN),
    row(
        "close contact from tomorrow: green now, red at midnight",
        Facts(lists=(listed("close_contact", since=on(6)),)),
        GREEN,
        next_change=midnight(6),
    ),
    row(
        "secondary contact since 25 February: yellow 14 days",
        Facts(lists=(listed("secondary_contact", since=on(25, 2)),)),
        YELLOW,
        ("list.secondary_contact",),
        on(11),
        midnight(11),
    ),
    row(
        "secondary contact with the authority's own end date: that date wins",
        Facts(lists=(listed("secondary_contact", since=on(25, 2), until=on(20)),)),
        YELLOW,
        ("list.secondary_contact",),
        on(20),
        midnight(20),
    ),
    row(
        "secondary contact since 19 February: lifted on 5 March",
        Facts(lists=(listed("secondary_contact", since=on(19, 2)),)),
        GREEN,
    ),
    # --- Tests and checkpoints ---------------------------------------------------------------
    row(
        "positive test on 2 March: red 14 days",
        Facts(tests=(positive(),)),
        RED,
        ("test.positive",),
        on(16),
        midnight(16),
    ),
    row("positive test on 19 February: lifted on 5 March", Facts(tests=(positive(local(19, 8, month=2)),)), GREEN),
    row(
        "checkpoint reading of 37.3 °C on 3 March: yellow 7 days",
        Facts(fever_readings=(reading(37.3),)),
        YELLOW,
        ("checkpoint.fever",),
        on(10),
        midnight(10),
    ),
    row(
        "checkpoint fever on 26 February: lifted on 5 March",
        Facts(fever_readings=(reading(38.0, local(26, 8, month=2)),)),
        GREEN,
    ),
    row(
        "two checkpoint fevers: the later one sets the date",
        Facts(fever_readings=(reading(37.5, local(2, 8)), reading(38.0, local(4, 8)))),
        YELLOW,
        ("checkpoint.fever",),
        on(11),
        midnight(11),
    ),
    # --- Recodes -----------------------------------------------------------------------------
    row("red recode: red until lifted", Facts(recodes=(recoded(RED),)), RED, ("recode",)),
    row(
        "yellow recode until 15:00 on 9 March",
        Facts(recodes=(recoded(YELLOW, until=local(9, 15)),)),
        YELLOW,
        ("recode",),
        on(9),
        local(9, 15),
    ),
    row(
        "red recode from tomorrow: green now",
        Facts(recodes=(recoded(RED, at=local(6, 9)),)),
        GREEN,
        next_change=local(6, 9),
    ),
    row(
        "a yellow recode never lowers a red list entry",
        Facts(lists=(listed("close_contact"),), recodes=(recoded(YELLOW),)),
        RED,
        ("list.close_contact", "recode"),
    ),
    row("green recode clears the symptoms declared before it", Facts(FEVER, recodes=(recoded(GREEN),)), GREEN),
    row(
        "green recode does not clear a declaration made after it",
        Facts(declared(day=3, symptoms=["fever"]), recodes=(recoded(GREEN),)),
        YELLOW,
        ("declared.symptoms",),
    ),
    row(
        "green recode clears a high-risk trip declared before it",
        Facts(HIGH_TRIP, risk_areas=(area(CITY),), recodes=(recoded(GREEN),)),
        GREEN,
    ),
    row(
        "green recode clears a checkpoint fever taken before it",
        Facts(fever_readings=(reading(38.0, local(1, 8)),), recodes=(recoded(GREEN),)),
        GREEN,
    ),
    row(
        "green recode never clears an authority list",
        Facts(lists=(listed("confirmed"),), recodes=(recoded(GREEN),)),
        RED,
        ("list.confirmed",),
    ),
    row(
        "green recode never clears a positive test",
        Facts(tests=(positive(local(2, 8)),), recodes=(recoded(GREEN),)),
        RED,
        ("test.positive",),
        on(16),
        midnight(16),
    ),
    row(
        "green recode until 8 March: green now, yellow again when it ends",
        Facts(FEVER, recodes=(recoded(GREEN, until=local(8, 9)),)),
        GREEN,
        next_change=local(8, 9),
    ),
    row(
        "green recode that ended on 4 March: the declared yellow is back",
        Facts(FEVER, recodes=(recoded(GREEN, until=local(4, 9)),)),
        YELLOW,
        ("declared.symptoms",),
    ),
    row(
        "a later green recode replaces a red one",
        Facts(recodes=(recoded(RED, at=local(2, 9)), recoded(GREEN, at=local(3, 9)))),
        GREEN,
    ),
    row(
        "a later red recode replaces a green one",
        Facts(recodes=(recoded(GREEN, at=local(2, 9)), recoded(RED, at=local(3, 9)))),
        RED,
        ("recode",),
    ),
    # --- Corrections (FAQ 13/14): only the latest declaration counts -------------------------
    row("declaring again on 3 March without the fever: green", Facts(declared(day=3)), GREEN),
    row(
        "declaring again never clears an authority list",
        Facts(declared(day=3), lists=(listed("close_contact"),)),
        RED,
        ("list.close_contact",),
    ),
    row("declaring again never clears a recode", Facts(declared(day=3), recodes=(recoded(RED),)), RED, ("recode",)),
    row(
        "declaring again with the same trip starts the 14 days again",
        Facts(declared(day=3, travel=[COUNTY]), risk_areas=(area(CITY),)),
        RED,
        ("travel.high",),
        on(17),
        midnight(17),
    ),
    # --- Combinations ------------------------------------------------------------------------
    row(
        "worst wins: a red list before a declared yellow, both shown",
        Facts(FEVER, lists=(listed("confirmed"),)),
        RED,
        ("list.confirmed", "declared.symptoms"),
    ),
    row(
        "all lift by themselves: green on the latest date, looked at again at the first",
        Facts(declared(contact=True), fever_readings=(reading(37.8),)),
        RED,
        ("declared.contact", "checkpoint.fever"),
        on(15),
        midnight(10),
    ),
    row(
        "one reason needs an action: no green date",
        Facts(declared(contact=True, quarantine=True)),
        RED,
        ("declared.quarantine", "declared.contact"),
        None,
        midnight(15),
    ),
    row(
        "everything at once: reds in rule order, then yellows",
        Facts(
            declared(
                travel=[COUNTY, HEBEI_COUNTY],
                contact=True,
                quarantine=True,
                case="confirmed",
                symptoms=["fever"],
                temperature=38.0,
            ),
            lists=(listed("confirmed"), listed("secondary_contact", since=on(1))),
            risk_areas=(area(CITY), area(HEBEI_CITY, "medium")),
            tests=(positive(),),
            recodes=(recoded(RED),),
            fever_readings=(reading(37.6),),
        ),
        RED,
        (
            "list.confirmed",
            "recode",
            "test.positive",
            "travel.high",
            "declared.case",
            "declared.quarantine",
            "declared.contact",
            "list.secondary_contact",
            "travel.medium",
            "declared.symptoms",
            "declared.temperature",
            "checkpoint.fever",
        ),
        None,
        midnight(8),
    ),
]


@pytest.mark.parametrize(("facts", "now", "colour", "rules", "green_on", "next_change"), SCENARIOS)
def test_default_rules(
    facts: Facts,
    now: datetime,
    colour: Colour,
    rules: tuple[str, ...],
    green_on: date | None,
    next_change: datetime | None,
) -> None:
    decision = evaluate(RULES, facts, now, ZONE)
    assert decision.colour is colour
    assert tuple(reason.rule_id for reason in decision.reasons) == rules
    assert decision.green_on == green_on
    assert decision.next_change_at == next_change


def test_there_are_enough_scenarios_to_specify_the_rules() -> None:
    assert len(SCENARIOS) >= 40


# --- Words -------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda rule: rule.id)
def test_every_rule_speaks_chinese_and_english(rule: Rule) -> None:
    for texts in (rule.reason, rule.green_when):
        assert set(texts) >= {"zh_CN", "en"}
        assert CJK.search(texts["zh_CN"])
        assert not CJK.search(texts["en"])


@pytest.mark.parametrize(("facts", "now", "colour", "rules", "green_on", "next_change"), SCENARIOS)
def test_every_reason_shown_is_worded_in_every_language(
    facts: Facts, now: datetime, colour: Colour, rules: object, green_on: object, next_change: object
) -> None:
    for reason in evaluate(RULES, facts, now, ZONE).reasons:
        for texts in (reason.text, reason.green_when):
            assert set(texts) == {"zh_CN", "en", "mn"}
            assert all(text.strip() and "{" not in text and "}" not in text for text in texts.values())


def test_placeholders_are_filled_from_the_matched_facts() -> None:
    facts = Facts(HIGH_TRIP, risk_areas=(WUHAN,), fever_readings=(reading(37.5),))
    travel, fever = evaluate(RULES, facts, NOW, ZONE).reasons
    assert travel.text["zh_CN"] == "您申报14天内到访过高风险地区（湖北省武汉市）。"
    assert "2026年3月15日" in travel.green_when["zh_CN"]
    assert "2026-03-15" in travel.green_when["en"]
    assert fever.text["zh_CN"] == "您于2026年3月3日在防疫检查点测得体温37.5℃。"
    assert fever.text["en"] == "A checkpoint measured your temperature at 37.5 °C on 2026-03-03."


def test_an_area_without_a_name_is_shown_by_its_code() -> None:
    (reason,) = evaluate(RULES, Facts(HIGH_TRIP, risk_areas=(area(CITY),)), NOW, ZONE).reasons
    assert f"（{CITY}）" in reason.text["zh_CN"]


def test_a_recode_shows_its_reason_in_words_and_the_note_for_the_resident() -> None:
    (reason,) = evaluate(RULES, Facts(recodes=(recoded(RED),)), NOW, ZONE).reasons
    assert reason.source == "recode"
    assert reason.text["zh_CN"] == "卫生健康部门已对您的健康码进行人工赋码。原因：经流调判定为密接。请居家，等待电话。"
    assert reason.text["en"] == (
        "The health authority has set your code by hand. Reason: Close contact by tracing. 请居家，等待电话。"
    )
    bare = Recode(colour=RED, reason_code="R-TEST", effective_at=RECODED_AT, until=None)
    (reason,) = evaluate(RULES, Facts(recodes=(bare,)), NOW, ZONE).reasons
    assert reason.text["en"] == "The health authority has set your code by hand. Reason: R-TEST.", "no note, no words"


def test_a_green_recode_keeps_what_it_cleared_in_view() -> None:
    decision = evaluate(RULES, Facts(FEVER, lists=(listed("confirmed"),), recodes=(recoded(GREEN),)), NOW, ZONE)
    assert [reason.rule_id for reason in decision.reasons] == ["list.confirmed"]
    assert [reason.rule_id for reason in decision.cleared] == ["declared.symptoms"]


def test_a_correction_turns_the_code_green_at_once() -> None:
    before = evaluate(RULES, Facts(FEVER), local(3, 9), ZONE)
    after = evaluate(RULES, Facts(declared(day=3, hour=9)), local(3, 9), ZONE)
    assert (before.colour, after.colour) == (YELLOW, GREEN)
    assert after.reasons == ()


def test_the_clock_is_a_parameter_and_must_know_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(RULES, Facts(), datetime(2026, 3, 5, 12), ZONE)  # noqa: DTZ001 - the point of the test
    declared_naive = datetime(2026, 3, 1, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="declared_at"):
        Declaration(declared_naive, None, frozenset(), (), False, False, "none")


def test_colours_order_by_severity_not_by_spelling() -> None:
    assert GREEN.rank < YELLOW.rank < RED.rank
    assert sorted(Colour, key=lambda c: c.rank) == [GREEN, YELLOW, RED]


def test_rule_ids_of_the_default_set_are_stable() -> None:
    """Ids are stored with decisions: this list may grow, never change (see ruleset.py)."""
    assert [rule.id for rule in RULES.rules] == [
        "list.confirmed",
        "list.suspected",
        "list.asymptomatic",
        "list.close_contact",
        "list.isolation",
        "list.secondary_contact",
        "recode",
        "test.positive",
        "travel.high",
        "travel.medium",
        "declared.case",
        "declared.quarantine",
        "declared.contact",
        "declared.symptoms",
        "declared.temperature",
        "checkpoint.fever",
    ]


# --- Properties --------------------------------------------------------------------------------

START = local(10, 0, month=2)
_days = st.integers(min_value=0, max_value=45).map(lambda n: START.astimezone(ZONE).date() + timedelta(days=n))
_moments = st.integers(min_value=0, max_value=45 * 24 * 4).map(lambda n: START + timedelta(minutes=15 * n))
_codes = st.sampled_from([COUNTY, OTHER_COUNTY, CITY, PROVINCE, HEBEI_COUNTY, HEBEI_CITY])
_lists = st.lists(st.builds(ListEntry, st.sampled_from(sorted(LIST_KINDS)), _days, st.none() | _days), max_size=2)
_areas = st.lists(
    st.builds(RiskArea, _codes, st.sampled_from(["high", "medium"]), _days, st.none() | _days), max_size=3
)
_tests = st.lists(st.builds(TestResult, _moments, st.booleans()), max_size=2)
_readings = st.lists(st.builds(FeverReading, _moments, st.sampled_from([36.5, 37.2, 37.3, 38.5])), max_size=2)
_recodes = st.lists(
    st.builds(Recode, st.sampled_from(list(Colour)), st.just("R"), _moments, st.none() | _moments, st.just("")),
    max_size=2,
)
_declarations = st.builds(
    Declaration,
    _moments,
    st.none() | st.sampled_from([36.5, 37.2, 37.3, 38.5]),
    st.frozensets(st.sampled_from(sorted(SYMPTOMS)), max_size=3),
    st.lists(_codes, max_size=2).map(tuple),
    st.booleans(),
    st.booleans(),
    st.sampled_from(sorted(CASE_STATUSES)),
)
_facts = st.builds(
    Facts,
    st.none() | _declarations,
    _lists.map(tuple),
    _areas.map(tuple),
    _tests.map(tuple),
    _recodes.map(tuple),
    _readings.map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(base=_facts, lists=_lists, areas=_areas, tests=_tests, readings=_readings, now=_moments)
def test_facts_that_only_add_never_lower_the_colour(
    base: Facts,
    lists: list[ListEntry],
    areas: list[RiskArea],
    tests: list[TestResult],
    readings: list[FeverReading],
    now: datetime,
) -> None:
    more = Facts(
        base.declaration,
        base.lists + tuple(lists),
        base.risk_areas + tuple(areas),
        base.tests + tuple(tests),
        base.recodes,
        base.fever_readings + tuple(readings),
    )
    before, after = evaluate(RULES, base, now, ZONE), evaluate(RULES, more, now, ZONE)
    assert after.colour.rank >= before.colour.rank
    assert {r.rule_id for r in before.reasons} <= {r.rule_id for r in after.reasons}


@settings(max_examples=300, deadline=None)
@given(facts=_facts, now=_moments)
def test_next_change_at_is_exactly_when_the_decision_changes(facts: Facts, now: datetime) -> None:
    decision = evaluate(RULES, facts, now, ZONE)
    change = decision.next_change_at
    if change is None:
        assert evaluate(RULES, facts, now + timedelta(days=400), ZONE).reasons == decision.reasons
        return
    assert change > now
    for moment in (now + (change - now) / 2, change - timedelta(microseconds=1)):
        assert evaluate(RULES, facts, moment, ZONE).reasons == decision.reasons
    assert evaluate(RULES, facts, change, ZONE).reasons != decision.reasons
