"""Languages: negotiation, a translation in every catalog for every text in code and templates,
and the Mongolian catalog's marks of translations no speaker has reviewed yet."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from healthcode.i18n import LANGUAGES, LOCALES_DIR, UNREVIEWED, awaits_review, negotiate, translate

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{\w*\}")
MONGOLIAN = re.compile("[\u1820-\u18aa]")
CYRILLIC = re.compile("[\u0400-\u04ff]")


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
        ("mn", None, "mn"),
        ("mn-Mong,zh;q=0.8", None, "mn"),
        ("mn-Mong-CN", None, "mn"),
        # Mongolia writes Cyrillic: its readers get their next choice, not the traditional script
        ("mn-MN,en;q=0.5", None, "en"),
        ("mn-Cyrl", None, "zh_CN"),
        ("zh-CN", "mn", "mn"),
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


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_placeholders_survive_translation(language: str) -> None:
    for message in extracted_messages():
        translated = translate(message, language)
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(translated)), (
            f"placeholders changed in the {language} translation of {message!r}"
        )


def test_every_mongolian_text_is_in_the_traditional_script_and_marked_unreviewed() -> None:
    """No speaker has read the Mongolian catalog yet: each entry says so, pages say so, and every
    text is written in the traditional script (Latin only for codes such as QR, SMS, CSV)."""
    with (LOCALES_DIR / "mn" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    entries = [m for m in catalog if m.id]
    assert "NOT YET REVIEWED BY A SPEAKER" in (catalog.header_comment or "")
    assert [m.id for m in entries if UNREVIEWED not in m.user_comments] == []
    assert awaits_review("mn")
    assert not awaits_review("zh_CN")
    for message in entries:
        words = PLACEHOLDER.sub("", str(message.string))
        assert MONGOLIAN.search(words), f"no traditional script in the translation of {message.id!r}"
        assert not CYRILLIC.search(words), f"Cyrillic in the translation of {message.id!r}"


def test_english_is_the_message_itself() -> None:
    assert translate("Get code", "en") == "Get code"
    assert translate("Get code", "zh_CN") == "获取验证码"
    assert translate("Get code", "mn") == "ᠪᠠᠲᠠᠯᠠᠬᠤ ᠺᠣᠳ ᠠᠪᠬᠤ"
