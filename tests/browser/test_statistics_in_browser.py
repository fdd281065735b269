"""The statistics page in chromium: an administrator filters by region, reads each chart (SVG
named for screen readers) with its table, downloads a chart's CSV; axe finds nothing serious at a
desktop's width or a phone's, and the page fits a 375-pixel screen."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from healthcode.config import Settings
from healthcode.db.models import StatisticsMark
from healthcode.domain.clock import SystemClock
from tests.browser.conftest import LiveServer, fits_the_screen, serious_accessibility_problems, staff_page
from tests.integration.test_statistics import seed


def seed_live(live_server: LiveServer) -> None:
    """The integration tests' sites, cards, declarations, applications and scans on the server's
    database (in a thread: Playwright's loop runs in this one), then a rollup pass."""
    env = live_server.env

    async def work() -> None:
        settings = Settings(
            env="test", var_dir=Path(env["HEALTHCODE_VAR_DIR"]), database_url=env["HEALTHCODE_DATABASE_URL"]
        )
        engine = create_async_engine(settings.database_url)
        async with AsyncSession(engine, expire_on_commit=False) as db:
            await seed(db, settings, SystemClock())  # type: ignore[arg-type]
            # The server's own passes (other tests ran first) have counted up to today; the seeded
            # days are months old: the next pass counts from the first raw row, as a first pass does.
            await db.execute(update(StatisticsMark).values(day=None))
            await db.commit()
        await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()
    live_server.cli("data", "roll-up")


def test_an_administrator_reads_the_statistics(browser: Any, live_server: LiveServer) -> None:
    seed_live(live_server)
    context, desk = staff_page(browser, live_server, "stats.admin", "admin", width=1280)
    try:
        desk.get_by_role("link", name="统计").click()
        desk.wait_for_url("**/staff/statistics")
        assert desk.get_by_role("img", name="每日结束时各颜色健康码数量").count() == 1  # today's count
        assert serious_accessibility_problems(desk) == []

        # the seeded scans are of 2026-03-01, at a checkpoint in each of two districts
        desk.get_by_label("开始日期").fill("2026-02-28")
        desk.get_by_label("结束日期").fill("2026-03-01")
        desk.get_by_role("button", name="查看").click()
        desk.wait_for_url("**to=2026-03-01**")
        sites = desk.locator("#table-sites")
        assert sites.get_by_text("赛罕区东门").count() == 1
        assert sites.get_by_text("新城区北站").count() == 1
        desk.get_by_label("地区").select_option("150105")
        desk.get_by_role("button", name="查看").click()
        desk.wait_for_url("**region=150105")
        assert sites.get_by_text("赛罕区东门").count() == 1
        assert sites.get_by_text("新城区北站").count() == 0
        assert desk.get_by_role("img", name="卡口按小时扫码数及发热人数").count() == 1

        with desk.expect_download() as download:
            desk.locator("#chart-colours").get_by_role("link", name="下载这些数据(CSV)").click()
        assert download.value.suggested_filename.startswith("colours-")
        assert (
            Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[0] == "date,green,yellow,red,none"
        )

        desk.set_viewport_size({"width": 375, "height": 667})
        assert fits_the_screen(desk)
        assert serious_accessibility_problems(desk) == []
    finally:
        context.close()
