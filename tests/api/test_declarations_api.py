"""The declarations API of API.md: ``POST /api/v1/cards/{card_id}/declarations`` and friends."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.test_cards_api import apply, auth, jpeg_file
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]
HEALTHY: dict[str, Any] = {
    "temperature": 36.6,
    "symptoms": [],
    "travel_regions": [],
    "contact_with_case": False,
    "under_quarantine": False,
    "case_status": "none",
    "address_region": "150102",
    "address_detail": "新华大街1号",
    "pledge": True,
}


async def issued(client: Client, db: AsyncSession) -> tuple[dict[str, str], str]:
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三", document_type="resident_id", document_number=ADULT)
    for side in ("front", "back"):
        await client.post(
            f"/api/v1/cards/{card['card_id']}/photos", data={"side": side}, files={"file": jpeg_file()}, headers=headers
        )
    return headers, card["card_id"]


@pytest.mark.settings(realname_delay_s=0)
async def test_declare_correct_and_read_back(client: Client, db: AsyncSession) -> None:
    headers, card = await issued(client, db)
    url = f"/api/v1/cards/{card}/declarations"
    fever = await client.post(url, json={**HEALTHY, "temperature": 38.4, "symptoms": ["fever"]}, headers=headers)
    assert fever.status_code == 201
    body = fever.json()
    assert (body["colour"], body["version"]) == ("yellow", 1)
    assert [r["rule"] for r in body["reasons"]] == ["declared.symptoms", "declared.temperature"]
    assert all(r["text"] and r["green_when"] for r in body["reasons"])
    english = await client.post(
        f"{url}/preview", json={**HEALTHY, "symptoms": ["cough"]}, headers={**headers, "Accept-Language": "en"}
    )
    assert english.json()["colour"] == "yellow"
    assert "cough" in english.json()["reasons"][0]["text"].lower()

    corrected = await client.post(url, json=HEALTHY, headers=headers)
    assert (corrected.json()["colour"], corrected.json()["reasons"], corrected.json()["version"]) == ("green", [], 2)
    card_now = (await client.get(f"/api/v1/cards/{card}", headers=headers)).json()
    assert (card_now["colour"], card_now["reasons"]) == ("green", [])
    versions = (await client.get(url, headers=headers)).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert "address_detail" not in versions[0]


@pytest.mark.settings(realname_delay_s=0)
async def test_preview_keeps_nothing(client: Client, db: AsyncSession) -> None:
    headers, card = await issued(client, db)
    preview = await client.post(
        f"/api/v1/cards/{card}/declarations/preview", json={**HEALTHY, "under_quarantine": True}, headers=headers
    )
    assert preview.json()["colour"] == "red"
    assert (await client.get(f"/api/v1/cards/{card}/declarations", headers=headers)).json() == []


@pytest.mark.settings(realname_delay_s=0)
@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"temperature": 45.0}, 422, "temperature_out_of_range", "temperature"),
        ({"pledge": False}, 422, "pledge_required", "pledge"),
        ({"travel_regions": ["12345"]}, 422, "region_unknown", "travel_regions"),
        ({"symptoms": ["sneezing"]}, 422, "symptom_unknown", "symptoms"),
        ({"temperature": "hot"}, 400, "invalid_request", "temperature"),
    ],
)
async def test_bad_declarations_change_nothing(
    client: Client, db: AsyncSession, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    headers, card = await issued(client, db)
    response = await client.post(f"/api/v1/cards/{card}/declarations", json={**HEALTHY, **change}, headers=headers)
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert (await client.get(f"/api/v1/cards/{card}/declarations", headers=headers)).json() == []


@pytest.mark.settings(realname_delay_s=60)
async def test_pending_card_cannot_declare(client: Client, db: AsyncSession) -> None:
    headers, card = await issued(client, db)
    response = await client.post(f"/api/v1/cards/{card}/declarations", json=HEALTHY, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "card_not_approved")
