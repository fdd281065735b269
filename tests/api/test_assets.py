"""Static files: under digest names and cached for a year, compressed, and the code page whole."""

import dataclasses
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthcode.web.assets import asset_url, inline_asset

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
    from healthcode.web import assets

    found = assets._assets()["code.js"]
    monkeypatch.setitem(assets._assets(), "code.js", dataclasses.replace(found, content=b"x = '</Script>';"))
    with pytest.raises(ValueError, match="cannot be inlined"):
        inline_asset("code.js")
