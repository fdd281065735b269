"""The administrators' retention page lists every kind of data with its period and setting."""

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from tests import factories

Client = AsyncTestClient[Litestar]


async def test_an_admin_sees_how_long_each_kind_of_data_is_kept(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await client.get("/prefs/language/en?next=/staff/login")
    admin = await factories.staff(db, settings, clock, roles=["admin"], username="admin")
    await factories.sign_in_staff(client, admin, clock)
    shell = await client.get("/staff")
    assert 'href="/staff/privacy"' in shell.text
    page = await client.get("/staff/privacy")
    assert page.status_code == 200
    photos = '<tr data-kind="photos"><td class="reason">Document photos after the application was decided'
    assert photos + "</td><td>7 days</td>" in page.text
    assert "<code>HEALTHCODE_RETENTION_TICKETS_DAYS</code>" in page.text


async def test_other_roles_do_not(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    clerk = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk")
    await factories.sign_in_staff(client, clerk, clock)
    assert (await client.get("/staff/privacy")).status_code == 403
