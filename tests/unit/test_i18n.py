"""Languages: negotiation, and a zh-CN translation for every text in code and templates."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from healthcode.i18n import LANGUAGES, LOCALES_DIR, negotiate, translate

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("accept", "cookie", "chosen"),
    [
        (None, None, "zh_CN"),
        ("en-US,en;q=0.9", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh_CN"),
        ("fr-FR,en;q=0.5", None, "en"),
        ("fr-FR", None, "zh_CN"),
        ("en;q=0.2,zh;q=0.9", None, "zh_CN"),
        ("en", "zh_CN", "zh_CN"),
        ("zh", "en", "en"),
        ("en;q=bogus", "xx", "zh_CN"),
    ],
)
def test_negotiation(accept: str | None, cookie: str | None, chosen: str) -> None:
    assert negotiate(accept, cookie) == chosen


def extracted_messages() -> set[str]:
    method_map = [("src/healthcode/**.py", "python"), ("src/healthcode/**/templates/**.html", "jinja2")]
    options = {"src/healthcode/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords={"_": None, "N_": None, "translate": None, "gettext": None}
    ):
        if isinstance(message, str) and message:
            found.add(message)
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_text_is_translated(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    messages = extracted_messages()
    assert len(messages) > 50
    untranslated = sorted(m for m in messages if not catalog.get(m))
    assert untranslated == [], "run `make messages` and translate these"


def test_placeholders_survive_translation() -> None:
    for message in extracted_messages():
        zh = translate(message, "zh_CN")
        for name in ("{retry_after}", "{attempts_left}", "{daily_limit}", "{minutes}", "{code}", "{n}", "{phone}"):
            assert (name in message) == (name in zh), f"{name} lost in the translation of {message!r}"


def test_english_is_the_message_itself() -> None:
    assert translate("Get code", "en") == "Get code"
    assert translate("Get code", "zh_CN") == "获取验证码"
