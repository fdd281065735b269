"""SPEC §7, §12: nothing a resident can reach shows a full document number or full name, and the
database holds neither in clear."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.test_cards_api import apply, auth, jpeg_file
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]
NAME = "欧阳娜娜"


async def everything_stored(db: AsyncSession) -> list[object]:
    metadata = MetaData()
    await (await db.connection()).run_sync(lambda sync: metadata.reflect(bind=sync))
    values: list[object] = []
    for table in metadata.sorted_tables:
        for row in (await db.execute(select(table))).all():
            values.extend(row)
    return values


@pytest.mark.settings(realname_delay_s=0)
async def test_no_full_number_or_name_anywhere(client: Client, db: AsyncSession) -> None:
    headers = await auth(client, db)
    card = await apply(client, headers, name=NAME, document_type="resident_id", document_number=ADULT)
    seen = [str(card)]
    for side in ("front", "back"):
        response = await client.post(
            f"/api/v1/cards/{card['card_id']}/photos", data={"side": side}, files={"file": jpeg_file()}, headers=headers
        )
        seen.append(response.text)
    seen.append((await client.get("/api/v1/cards", headers=headers)).text)
    seen.append((await client.get(f"/api/v1/cards/{card['card_id']}", headers=headers)).text)
    client.cookies.set("hc_session", headers["Authorization"].removeprefix("Bearer "))
    for path in ("/", f"/cards/{card['card_id']}", "/account/sessions"):
        page = await client.get(path)
        assert page.status_code == 200, path
        seen.append(page.text)

    everything = "\n".join(seen)
    assert "欧**娜" in everything, "the masked name is shown"
    assert ADULT not in everything
    assert NAME not in everything
    assert not re.search(ADULT[:6] + r"\d{8}", everything), "no unmasked birth date next to the region"

    stored = await everything_stored(db)
    assert stored, "the scan read the tables"
    for value in stored:
        if isinstance(value, bytes):
            assert ADULT.encode() not in value
            assert NAME.encode() not in value
        elif isinstance(value, str):
            assert ADULT not in value
            assert NAME not in value
