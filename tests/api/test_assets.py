"""Static files: under digest names and cached for a year, compressed, and the code page whole."""

import dataclasses
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthcode.kit.assets import asset_url, inline_asset

Client = AsyncTestClient[Litestar]


async def test_digest_names_are_cached_for_ever_and_compressed(client: Client) -> None:
    url = asset_url("site.css")
    assert re.fullmatch(r"/assets/site\.[0-9a-f]{10}\.css", url)
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/css")
    assert int(response.headers["content-length"]) < len(response.content) / 2, "compressed to under half"
    assert (await client.get("/assets/site.0000000000.css")).status_code == 404, "an old name is gone"
    stable = await client.get("/static/site.css")
    assert stable.headers["cache-control"] == "no-cache", "stable names are checked before each use"


async def test_pages_link_their_files_by_digest_name(client: Client) -> None:
    login = await client.get("/login")
    assert f'href="{asset_url("site.css")}"' in login.text
    assert f'src="{asset_url("login.js")}"' in login.text
    assert "/static/" not in login.text


def test_a_file_that_would_close_its_element_is_never_inlined(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "qrcode" in inline_asset("vendor/qrcode-generator-1.4.4.min.js")
    from healthcode.kit import assets

    found = assets._assets()["code.js"]
    monkeypatch.setitem(assets._assets(), "code.js", dataclasses.replace(found, content=b"x = '</Script>';"))
    with pytest.raises(ValueError, match="cannot be inlined"):
        inline_asset("code.js")


def test_only_the_files_the_security_policy_names_are_inlined() -> None:
    """Any other would be refused by the browser (and is not gzipped once)."""
    with pytest.raises(ValueError, match="not one of INLINE_SCRIPTS"):
        inline_asset("login.js")


async def test_only_mongolian_pages_load_the_mongolian_stylesheet_and_font(client: Client) -> None:
    sheet = asset_url("mongolian.css")
    chinese = await client.get("/login")
    assert sheet not in chinese.text
    assert "Noto Sans Mongolian" not in chinese.text
    mongolian = await client.get("/login", headers={"Accept-Language": "mn-Mong"})
    assert '<html lang="mn-Mong"' in mongolian.text
    assert f'<link rel="stylesheet" href="{sheet}">' in mongolian.text
    assert '<a href="/prefs/language/zh_CN' in mongolian.text, "the switch offers the others"
    assert "ᠮᠣᠩᠭᠣᠯ" in chinese.text, "and every page offers Mongolian by its own name"
    assert 'class="review-note"' in mongolian.text, "its readers are told no speaker has reviewed it yet"
    assert 'class="review-note"' not in chinese.text

    css = (await client.get(sheet)).text
    font = asset_url("fonts/noto-sans-mongolian.woff2")
    assert f"url({font})" in css, "the stylesheet names the font by its digest name"
    assert "font-display: swap" in css
    response = await client.get(font)
    assert response.status_code == 200
    assert response.headers["content-type"] == "font/woff2"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content.startswith(b"wOF2")


async def test_the_mongolian_code_page_carries_its_stylesheet_inside() -> None:
    assert "url(/assets/fonts/noto-sans-mongolian." in inline_asset("mongolian.css")
    assert "asset:" not in inline_asset("mongolian.css")
