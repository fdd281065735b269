"""The Jinja environment: every feature's ``templates/`` folder, translations and page globals."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from healthcode.config import Settings
from healthcode.domain.colours import COLOUR_WORDS
from healthcode.domain.devices import device_name
from healthcode.domain.i18n import N_
from healthcode.domain.names import is_chinese_character
from healthcode.i18n import LANGUAGES, awaits_review, current_language, in_language, ngettext, translate
from healthcode.kit.assets import asset_url, inline_asset
from healthcode.kit.requests import LARGE_TEXT_COOKIE, language_tag

PACKAGE = Path(__file__).resolve().parent.parent


def template_dirs() -> list[Path]:
    """``kit/templates`` first (the base layout), then each feature's own folder."""
    return [PACKAGE / "kit" / "templates", *sorted(p for p in PACKAGE.glob("*/templates") if p.parent.name != "kit")]


def make_environment(settings: Settings) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs()]),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=settings.env == "dev",  # elsewhere no stat() of every template on every page
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: translate(message), ngettext=ngettext, newstyle=False
    )

    def local_time(value: datetime) -> str:
        return value.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")

    def utc_offset_minutes(moment: datetime) -> int:
        offset = moment.astimezone(settings.zone).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    def person(name: str) -> Markup:
        """A person's (masked) name; a Chinese one on a page in another language is marked as
        Chinese, so that a screen reader's voice reads it right."""
        if not current_language.get().startswith("zh") and any(is_chinese_character(char) for char in name):
            return Markup('<span lang="zh-CN">{}</span>').format(name)
        return escape(name)

    def device_label(user_agent: str | None) -> str:
        """A login's device as a person recognises it: "微信 · Android (M2102J2SC)"."""
        named = device_name(user_agent or "")
        system = f"{named.system} ({named.model})" if named.system and named.model else named.system or named.model
        parts = [translate(named.browser) if named.browser else None, system]
        return " · ".join(part for part in parts if part) or translate(N_("Unknown device"))

    def region_name() -> str:
        """The region's name in the page's language (the configured name when it has none)."""
        return settings.region_name_translations.get(current_language.get(), settings.region_name)

    def large_text(request: Any) -> bool:
        return bool(request.cookies.get(LARGE_TEXT_COOKIE) == "1")

    env.filters["person"] = person
    env.globals.update(
        settings=settings,
        languages=LANGUAGES,
        current_language=current_language.get,
        language=lambda: LANGUAGES[current_language.get()],
        awaits_review=awaits_review,
        lang_tag=language_tag,
        large_text=large_text,
        local_time=local_time,
        words=in_language,
        utc_offset_minutes=utc_offset_minutes,
        colour_words=COLOUR_WORDS,
        asset_url=asset_url,
        device_label=device_label,
        region_name=region_name,
        inline_asset=inline_asset,
    )
    return env
