"""The statistics page: administrators and the health authority see every chart (SVG with its
table) and download each chart's figures as CSV; others get 403, nobody signed in the sign-in
page. Each view is audited. Read in English."""

from __future__ import annotations

import csv
import io

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import AuditRecord, Site
from healthcode.domain.clock import FixedClock
from healthcode.statistics.rollups import Rollups
from tests import factories
from tests.integration.test_statistics import seed

Client = AsyncTestClient[Litestar]


async def sign_in(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, *roles: str) -> int:
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=roles, username="stats", display_name="赵统计")
    await factories.sign_in_staff(client, account, clock)
    return account.account.id


@pytest.mark.parametrize("role", ["admin", "authority"])
async def test_admin_and_authority_see_every_chart_and_the_view_is_audited(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, role: str
) -> None:
    await seed(db, settings, clock)
    await Rollups(db, settings, clock).run()
    staff_id = await sign_in(client, db, settings, clock, role)

    shell = await client.get("/staff")
    assert shell.text.count('href="/staff/statistics"') == 1

    page = await client.get("/staff/statistics?from=2026-02-28&to=2026-03-01")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for name in ["applications", "queue", "colours", "declarations", "scans", "sites", "recodes"]:
        assert f'id="table-{name}"' in page.text
        assert f'href="/staff/statistics/{name}.csv?from=2026-02-28&amp;to=2026-03-01"' in page.text
    assert page.text.count('role="img"') == 5  # no recodes yet: that chart says so instead
    assert "Cards by colour at the end of each day" in page.text
    assert "赛罕区东门" in page.text
    assert "Real-name queue now: 1 applications waiting" in page.text
    assert '<option value="150105"' in page.text
    assert '<option value="150100"' in page.text  # the city above the districts
    viewed = await db.scalar(select(AuditRecord).where(AuditRecord.action == "statistics.view"))
    assert viewed is not None
    assert viewed.actor == f"staff:{staff_id}"
    assert '"start": "2026-02-28"' in viewed.detail


async def test_csv_holds_the_chart_figures(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await seed(db, settings, clock)
    await Rollups(db, settings, clock).run()
    await sign_in(client, db, settings, clock, "authority")

    colours = await client.get("/staff/statistics/colours.csv?from=2026-03-01&to=2026-03-01&region=150100")
    assert colours.status_code == 200
    assert colours.headers["content-type"].startswith("text/csv")
    assert 'filename="colours-2026-03-01-2026-03-01-150100.csv"' in colours.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(colours.content.decode("utf-8-sig"))))
    assert rows == [["date", "green", "yellow", "red", "none"], ["2026-03-01", "1", "0", "1", "0"]]

    scans = await client.get("/staff/statistics/scans.csv?from=2026-03-01&to=2026-03-01")
    rows = list(csv.reader(io.StringIO(scans.content.decode("utf-8-sig"))))
    assert rows[0] == ["hour", "scans", "fevers", "denied"]
    assert rows[1 + 8] == ["08:00", "3", "2", "1"]
    assert len(rows) == 25

    exported = await db.scalar(
        select(AuditRecord).where(AuditRecord.action == "statistics.view", AuditRecord.detail.like('%"csv"%'))
    )
    assert exported is not None
    assert '"chart": "scans"' in exported.detail or '"chart": "colours"' in exported.detail

    detail = await client.get("/staff/statistics/site_hours.csv?from=2026-03-01&to=2026-03-01&region=150105")
    rows = list(csv.reader(io.StringIO(detail.content.decode("utf-8-sig"))))
    assert rows[0] == ["date", "hour", "site_id", "site", "region", "scans", "fevers", "denied"]
    assert [row[1:2] + row[3:] for row in rows[1:]] == [
        ["07:00", "赛罕区东门", "150105", "1", "0", "0"],
        ["08:00", "赛罕区东门", "150105", "2", "1", "1"],
    ]

    missing = await client.get("/staff/statistics/people.csv")
    assert missing.status_code == 404


@pytest.mark.parametrize("role", ["support", "reviewer", "checkpoint", "clerk"])
async def test_other_roles_are_refused(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, role: str
) -> None:
    await sign_in(client, db, settings, clock, role)
    page = await client.get("/staff/statistics", headers={"Accept-Language": "en"})
    assert page.status_code == 403
    assert "This page needs the role: Administrator / Health authority." in page.text
    assert 'href="/staff/statistics"' not in (await client.get("/staff")).text
    assert (await client.get("/staff/statistics/colours.csv")).status_code == 403


async def test_nobody_signed_in_is_sent_to_sign_in(client: Client) -> None:
    page = await client.get("/staff/statistics", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
    if page.status_code != 401:
        assert page.headers["location"].startswith("/staff/login")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-03-05&to=2026-03-01", "to", "The last day comes before the first."),
        ("from=2026/03/01", "from", "Write the day as YYYY-MM-DD."),
        ("from=2024-01-01&to=2026-03-01", "to", "Choose at most 366 days."),
        ("region=abc", "region", "Choose a region from the list."),
    ],
)
async def test_a_bad_filter_is_shown_beside_its_field(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, query: str, field: str, message: str
) -> None:
    await sign_in(client, db, settings, clock, "admin")
    page = await client.get(f"/staff/statistics?{query}")
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text
    assert message in page.text


async def test_a_checkpoint_name_is_never_a_formula_in_the_csv(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    sites = await seed(db, settings, clock)
    site = await db.get(Site, sites["east"])
    assert site is not None
    site.name = '=HYPERLINK("http://example.com")'
    await db.commit()
    await Rollups(db, settings, clock).run()
    await sign_in(client, db, settings, clock, "admin")
    sheet = await client.get("/staff/statistics/sites.csv?from=2026-03-01&to=2026-03-01")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert rows[1][0] == '\'=HYPERLINK("http://example.com")'
