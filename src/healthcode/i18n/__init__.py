"""Translations: gettext catalogs kept as ``.po`` files under ``i18n/locales/<lang>/LC_MESSAGES``.

Message ids are English; ``zh_CN`` is the default language, and Mongolian in the traditional script
(``mn``, written vertically) is the third. A new language is one more ``.po`` file and a line in
:data:`LANGUAGES`: no code reads the texts any other way. Catalogs are compiled in memory at
start-up, so there is no build step, and a test checks that every text in the code and templates
has a translation in every catalog.

A translation no speaker of its language has read yet carries the translator comment
:data:`UNREVIEWED`; while a catalog has any, its pages tell their readers (:func:`awaits_review`).
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"


@dataclass(frozen=True)
class Language:
    """A language the platform speaks: its catalog code, BCP 47 tag, own name, the direction its
    script runs in, and the stylesheet its pages add after the common one (its font, and its
    writing mode where a layout allows it)."""

    code: str
    tag: str
    native_name: str
    writing_mode: str = "horizontal-tb"
    stylesheet: str | None = None


LANGUAGES = {
    "zh_CN": Language("zh_CN", "zh-CN", "简体中文"),
    "en": Language("en", "en", "English"),
    "mn": Language("mn", "mn-Mong", "ᠮᠣᠩᠭᠣᠯ", "vertical-lr", "mongolian.css"),
}
UNREVIEWED = "unreviewed"
"""Translator comment on a translation that no speaker of the language has reviewed yet."""
CYRILLIC_MONGOLIAN = ("mn-cyrl", "mn-mn")
"""Mongolian as written in Mongolia: its readers are not offered the traditional script."""
DEFAULT_LANGUAGE = "zh_CN"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def _parsed(code: str) -> Catalog | None:
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with po.open("rb") as f:
        return read_po(f, locale=code)


@cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of ``code`` (English needs none: its ids are the texts)."""
    parsed = _parsed(code)
    if parsed is None:
        return gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, parsed)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@cache
def awaits_review(code: str) -> bool:
    """Whether some translation of ``code`` has not been reviewed by a speaker yet."""
    parsed = _parsed(code)
    return parsed is not None and any(UNREVIEWED in message.user_comments for message in parsed if message.id)


def translate(message: str, language: str | None = None, **params: Any) -> str:
    """``message`` in ``language`` (default: the current request's), placeholders filled."""
    text = catalog(language or current_language.get()).gettext(message)
    return text.format(**params) if params else text


def in_language(texts: dict[str, str], language: str | None = None) -> str:
    """A text kept in several languages (rule reasons), in ``language`` (default: the request's),
    falling back to the default language, then to any."""
    chosen = language or current_language.get()
    return texts.get(chosen) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(current_language.get()).ngettext(singular, plural, n)


def negotiate(accept_language: str | None, cookie: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick the language: an explicit choice (cookie) first, then the browser's preferences."""
    if cookie is not None and cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        ranked.append((weight, tag.strip().lower()))
    for _weight, tag in sorted(ranked, key=lambda r: -r[0]):
        primary = tag.split("-")[0]
        if primary == "zh":
            return "zh_CN"
        if tag.startswith(CYRILLIC_MONGOLIAN):
            continue
        if primary in LANGUAGES:
            return primary
    return default if default in LANGUAGES else DEFAULT_LANGUAGE
