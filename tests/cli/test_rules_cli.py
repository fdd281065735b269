"""``healthcode rules``: validate, explain against sample facts, activate, show (SPEC §5)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.domain.colours import RuleSetError, load_ruleset
from tests.cli.test_lists_cli import ADULT, HEADER, approved_card, card_colour, csv_file

runner = CliRunner()
DEFAULT = (
    Path(__file__).resolve().parents[2] / "src" / "healthcode" / "domain" / "colours" / "rulesets" / "default.toml"
)
BROKEN = """\
version = ""
name = "Draft"
owner = "me"

[[rule]]
id = "Travel High"
when = { travelled = { level = "extreme" } }
colour = "purple"
source = "list"
reason = { zh_CN = "到访过{place}。" }
green_when = { zh_CN = "满14天。", en = "After 14 days." }

[[rule]]
id = "fever"
when = { declared_symptoms = { any = ["fever"] }, positive_test = {} }
colour = "yellow"
days = 0
source = "declaration"
reason = { zh_CN = "发热。", en = "Fever." }
green_when = { zh_CN = "{green_on}", en = "{green_on}" }
"""
# Declared on a Sunday morning in Hohhot, explained four days later.
FEVER = {
    "declaration": {
        "declared_at": "2026-03-01T10:00:00+08:00",
        "temperature": 36.8,
        "symptoms": ["fever"],
        "travel_regions": [],
        "contact_with_case": False,
        "under_quarantine": False,
        "case_status": "none",
    }
}
AT = "2026-03-05T12:00"


@pytest.fixture
def env(env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared environment, with real-name checks decided at once."""
    monkeypatch.setenv("HEALTHCODE_REALNAME_DELAY_S", "0")
    return Settings()


def facts_file(tmp_path: Path, facts: object) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    return path


def default_copy(tmp_path: Path, version: str, *replacements: tuple[str, str]) -> Path:
    """The packaged default under another version, with some text replaced."""
    source = DEFAULT.read_text(encoding="utf-8").replace('version = "2026.1"', f'version = "{version}"')
    for old, new in replacements:
        assert old in source
        source = source.replace(old, new)
    path = tmp_path / f"rules-{version}.toml"
    path.write_text(source, encoding="utf-8")
    return path


def test_validate_summarises_the_packaged_default(env: Settings) -> None:
    result = runner.invoke(app, ["rules", "validate", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert "version: 2026.1" in result.stdout
    assert "16 rules:" in result.stdout
    assert '- travel.high: red for 14 days (source risk_area) when travelled {level = "high"}' in result.stdout
    assert "- recode: the recode's colour (source recode) when recoded" in result.stdout
    assert result.stdout.rstrip().endswith("valid")


def test_validate_lists_every_problem_of_a_broken_rule_set(tmp_path: Path) -> None:
    broken = tmp_path / "draft.toml"
    broken.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RuleSetError) as expected:
        load_ruleset(BROKEN)
    assert len(expected.value.problems) >= 8

    result = runner.invoke(app, ["rules", "validate", str(broken)])

    assert result.exit_code == 1
    assert f"{len(expected.value.problems)} problem(s)" in result.stderr
    for problem in expected.value.problems:
        assert f"- {problem}" in result.stderr
    assert result.stdout == ""


def test_validate_refuses_a_file_that_is_not_toml(tmp_path: Path) -> None:
    broken = tmp_path / "draft.toml"
    broken.write_text("version = \n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "validate", str(broken)])
    assert result.exit_code == 1
    assert "not valid TOML" in result.stderr


def test_explain_a_fever_declaration_in_both_languages(env: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "explain", "--facts", str(facts_file(tmp_path, FEVER)), "--at", AT])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "rules: 2026.1 (the packaged default: no rule set has been activated)" in out
    assert "at: 2026-03-05 12:00 Asia/Shanghai" in out
    assert "colour: YELLOW" in out
    assert "1. yellow by rule declared.symptoms (source: declaration)" in out
    assert "why [zh_CN]: 您申报有发热、咳嗽、咽痛或气促等症状。" in out
    assert "why [en]: You declared fever, a cough, a sore throat or shortness of breath." in out
    assert "turns green [zh_CN]: 症状消失后，请重新申报健康信息" in out
    assert "turns green [en]: Declare again once the symptoms have gone." in out
    assert "green on: not by time alone" in out
    assert "next change: none by time" in out


def test_explain_as_json(env: Settings, tmp_path: Path) -> None:
    facts = {
        **FEVER,
        "lists": [{"kind": "secondary_contact", "since": "2026-03-02", "until": None}],
    }
    result = runner.invoke(
        app,
        [
            "rules",
            "explain",
            "--facts",
            str(facts_file(tmp_path, facts)),
            "--at",
            AT,
            "--json",
            "--rules",
            str(DEFAULT),
        ],
    )

    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["colour"] == "yellow"
    assert decision["ruleset"]["version"] == "2026.1"
    assert decision["at"] == "2026-03-05T04:00:00+00:00"
    assert [r["rule"] for r in decision["reasons"]] == ["list.secondary_contact", "declared.symptoms"]
    symptoms = decision["reasons"][1]
    assert set(symptoms["text"]) == {"zh_CN", "en", "mn"}
    assert symptoms["green_on"] is None
    assert decision["reasons"][0]["green_on"] == "2026-03-16"
    assert "2026年3月16日" in decision["reasons"][0]["green_when"]["zh_CN"]
    assert decision["green_on"] is None
    # 14 days from 2 March lift at 00:00 on 16 March, Hohhot time
    assert decision["next_change_at"] == "2026-03-15T16:00:00+00:00"
    assert decision["cleared"] == []


def test_explain_names_every_problem_of_the_facts(env: Settings, tmp_path: Path) -> None:
    facts = {
        "declaration": {"temperature": "hot", "symptoms": ["sneezing"], "pledge": True},
        "lists": [{"kind": "friends", "since": "yesterday"}],
        "weather": "fine",
    }
    result = runner.invoke(app, ["rules", "explain", "--facts", str(facts_file(tmp_path, facts))])

    assert result.exit_code == 1
    for problem in (
        "weather: unknown key",
        "declaration.declared_at: required",
        "declaration.temperature: must be a number",
        "declaration.symptoms: unknown sneezing",
        "lists[0].kind: must be one of",
        "lists[0].since: must be a date written YYYY-MM-DD",
    ):
        assert problem in result.stderr
    assert "pledge" not in result.stderr, "API fields the rules do not read are accepted"


def import_close_contact(tmp_path: Path) -> None:
    listed = csv_file(tmp_path / "cases.csv", [HEADER, ["resident_id", ADULT, "close_contact", "2020-02-05", ""]])
    result = runner.invoke(app, ["lists", "import", "--kind", "cases", str(listed)])
    assert result.exit_code == 0, result.output


def test_activate_a_new_version_recolours_cards_and_is_audited(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    import_close_contact(tmp_path)
    assert card_colour(env, card_id) == "red"
    milder = default_copy(
        tmp_path,
        "2026.2",
        (
            'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "red"',
            'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "yellow"',
        ),
    )

    result = runner.invoke(app, ["rules", "activate", str(milder), "--actor", "zhou"])

    assert result.exit_code == 0, result.output
    assert "rule set 2026.2 is active (was default 2026.1)" in result.stdout
    assert "1 approved cards recomputed, 1 changed colour" in result.stdout
    assert card_colour(env, card_id) == "yellow"
    tail = runner.invoke(app, ["audit", "tail", "--json", "--limit", "1"])
    entry = json.loads(tail.stdout)
    assert (entry["action"], entry["actor"], entry["subject"]) == ("rules.activate", "cli:zhou", "ruleset:2026.2")
    assert entry["detail"]["version"] == "2026.2"
    assert entry["detail"]["previous"] == "default 2026.1"
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0

    shown = runner.invoke(app, ["rules", "show"])
    assert shown.exit_code == 0, shown.output
    assert "active: 2026.2" in shown.stdout
    assert "by cli:zhou" in shown.stdout
    assert "- list.close_contact: yellow (source list)" in shown.stdout

    explained = runner.invoke(app, ["rules", "explain", "--facts", str(facts_file(tmp_path, FEVER)), "--at", AT])
    assert "rules: 2026.2 (active in the database)" in explained.stdout


def test_activating_a_stored_version_again_is_refused(env: Settings, tmp_path: Path) -> None:
    first = default_copy(tmp_path, "2026.2")
    assert runner.invoke(app, ["rules", "activate", str(first)]).exit_code == 0
    third = default_copy(tmp_path, "2026.3")
    assert runner.invoke(app, ["rules", "activate", str(third)]).exit_code == 0

    again = runner.invoke(app, ["rules", "activate", str(first)])

    assert again.exit_code == 1
    assert "refused: version 2026.2 is already stored" in again.stderr
    assert "active: 2026.3" in runner.invoke(app, ["rules", "show"]).stdout
    actions = [
        json.loads(line)["action"] for line in runner.invoke(app, ["audit", "tail", "--json"]).stdout.splitlines()
    ]
    assert actions.count("rules.activate") == 2


def test_show_names_the_packaged_default_before_any_activation(env: Settings) -> None:
    shown = runner.invoke(app, ["rules", "show"])
    assert shown.exit_code == 0, shown.output
    assert "no rule set has been activated: the packaged default is in force" in shown.stdout
    assert "version: 2026.1" in shown.stdout


def test_activate_refuses_a_rule_id_given_another_meaning(env: Settings, tmp_path: Path) -> None:
    changed = default_copy(
        tmp_path,
        "2026.2",
        (
            'id = "declared.contact"\nwhen = { declared_contact = {} }',
            'id = "declared.contact"\nwhen = { declared_quarantine = {} }',
        ),
    )

    result = runner.invoke(app, ["rules", "activate", str(changed)])

    assert result.exit_code == 1
    assert "rule 'declared.contact': the packaged default 2026.1 used this id for declared_contact" in result.stderr
    assert "no rule set has been activated" in runner.invoke(app, ["rules", "show"]).stdout


def test_activate_refuses_the_default_version_with_other_rules(env: Settings, tmp_path: Path) -> None:
    changed = default_copy(tmp_path, "2026.1", ("at_least = 37.3 } }\ncolour", "at_least = 37.5 } }\ncolour"))
    result = runner.invoke(app, ["rules", "activate", str(changed)])
    assert result.exit_code == 1
    assert "is the packaged default's" in result.stderr


def test_activate_warns_when_a_retired_rule_id_comes_back(env: Settings, tmp_path: Path) -> None:
    without = DEFAULT.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.2"')
    without = without[: without.index("# --- Checkpoints")]
    (tmp_path / "without.toml").write_text(without, encoding="utf-8")
    assert runner.invoke(app, ["rules", "activate", str(tmp_path / "without.toml")]).exit_code == 0

    result = runner.invoke(app, ["rules", "activate", str(default_copy(tmp_path, "2026.3"))])

    assert result.exit_code == 0, result.output
    assert "warning: rule 'checkpoint.fever' was retired by version 2026.2" in result.stdout
