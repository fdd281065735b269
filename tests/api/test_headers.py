"""Security headers (SPEC §12): no inline script but the code page's own, no framing, the camera
only at the checkpoint desk, HSTS in production, nothing stored that does not say it may be, a
fresh CSRF token at every login."""

import re
import stat
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.migrate import upgrade
from healthcode.kit.assets import inline_hash
from healthcode.web.app import create_app
from tests.api.test_auth_api import PHONE, outbox_code

Client = AsyncTestClient[Litestar]


async def test_every_response_carries_the_policy(client: Client) -> None:
    for path in ("/login", "/api/v1/nothing", "/healthz", "/.well-known/healthcode/trust-list.json"):
        headers = (await client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert "'unsafe-inline'" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["permissions-policy"].startswith("camera=()"), path
        assert "strict-transport-security" not in headers, "HSTS only in production, behind TLS"
    script_sources = re.search(r"script-src ([^;]+)", policy)
    assert script_sources
    assert f"'{inline_hash('code.js')}'" in script_sources.group(1), "the code page's own inline script, by hash"


async def test_what_does_not_say_how_to_cache_it_is_not_stored(client: Client) -> None:
    for path in ("/login", "/api/v1/nothing", "/healthz", "/api/v1/me"):
        assert (await client.get(path)).headers.get_list("cache-control") == ["no-store"], path
    asset = await client.get("/static/site.css")
    assert asset.headers.get_list("cache-control") == ["no-cache"], "its own, not overwritten"


async def test_the_security_headers_come_once(client: Client) -> None:
    for path in ("/static/site.css", "/api/v1/nothing"):
        headers = (await client.get(path)).headers
        assert headers.get_list("x-content-type-options") == ["nosniff"], path
        assert len(headers.get_list("content-security-policy")) == 1, path


async def test_the_api_docs_page_runs_its_own_scripts(client: Client) -> None:
    docs = await client.get("/schema")
    assert "content-security-policy" not in docs.headers, "the docs page is drawn by its CDN's script"
    assert docs.headers["x-frame-options"] == "DENY"


async def test_only_the_checkpoint_desk_may_ask_for_the_camera(client: Client) -> None:
    desk = await client.get("/staff/checkpoint", follow_redirects=False)
    assert desk.headers["permissions-policy"].startswith("camera=(self)")


async def test_production_adds_hsts(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "prod"})
    async with AsyncTestClient(create_app(production)) as client:
        headers = (await client.get("/healthz")).headers
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_a_login_gets_a_new_csrf_token(client: Client, db: AsyncSession) -> None:
    page = await client.get("/login")
    before = client.cookies.get("hc_csrf")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert before
    assert token
    await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    done = await client.post(
        "/login",
        data={"phone": PHONE, "code": await outbox_code(db), "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.cookies.get("hc_csrf") not in (None, before), "the token from before the login is gone"


def test_secrets_and_the_sqlite_file_are_the_owners_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCODE_ENV", "dev")
    monkeypatch.setenv("HEALTHCODE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("HEALTHCODE_DATABASE_URL", raising=False)
    fresh = Settings()  # a fresh checkout: throwaway secrets are generated into the var folder
    assert stat.S_IMODE((tmp_path / "var" / "secrets.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    upgrade(fresh.database_url)  # `healthcode db upgrade` creates the database file
    assert stat.S_IMODE((tmp_path / "var" / "healthcode.db").stat().st_mode) == 0o600
