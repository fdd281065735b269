"""The staff API (API.md "Staff API"): keys of staff accounts narrowed to scopes, every call
audited under the account; authorities upload lists and follow them, devices record scans.

The import job's step is run by the test itself (as in tests/pages/test_list_pages.py), with the
app's own job loop off, so nothing depends on its timing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.apikeys.service import ApiKeyService
from healthcode.checkpoints.sites import SiteService
from healthcode.codes.keys import KeyService
from healthcode.codes.live import code_for
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, Card, FeverRecord, Scan, StaffAccount
from healthcode.domain.clock import FixedClock
from healthcode.statistics.rollups import Rollups
from tests import factories
from tests.api.test_auth_api import assert_error
from tests.integration.test_statistics import seed
from tests.pages.test_list_pages import CASES_CSV, LISTED, run_queued_import

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0, jobs_in_server=False)
LISTS = "/api/v1/authority/lists"
SCANS = "/api/v1/checkpoint/scans"
COLOURS = "/api/v1/statistics/colours"
OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


async def key_of(
    db: AsyncSession, settings: Settings, clock: FixedClock, username: str, roles: list[str], scopes: list[str]
) -> tuple[dict[str, str], str, int]:
    """A new account holding ``roles`` and a key of it for ``scopes``: its header, key id, account id."""
    account = await factories.staff(db, settings, clock, roles=roles, username=username)
    made = await ApiKeyService(db, settings, clock).create(username, scopes, "tests")
    return {"Authorization": f"Bearer {made.key}"}, made.row.key_id, account.account.id


async def audit_rows(db: AsyncSession, action: str) -> list[AuditRecord]:
    return list(await db.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)))


async def test_calls_without_a_working_key_answer_401_in_the_one_error_shape(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, _, _ = await key_of(db, settings, clock, "official", ["authority"], ["lists"])
    missing = await client.get(f"{LISTS}/1")
    assert missing.status_code == 401
    assert_error(missing.json(), "api_key_required")
    wrong_secret = headers["Authorization"][:-4] + "AAAA"
    for bad in ("Bearer nonsense", f"Bearer hcsk_{'0' * 12}_{'A' * 43}", wrong_secret):
        refused = await client.get(f"{LISTS}/1", headers={"Authorization": bad})
        assert refused.status_code == 401
        assert_error(refused.json(), "api_key_invalid")
    resident = await factories.logged_in_resident(db, settings, clock)
    as_resident = await client.get(f"{LISTS}/1", headers={"Authorization": f"Bearer {resident.token}"})
    assert as_resident.status_code == 401, "a resident's login is not a staff key"
    client.cookies.set("hc_staff", headers["Authorization"][7:])
    assert (await client.get(f"{LISTS}/1")).status_code == 401, "a key is never taken from a cookie"
    client.cookies.clear()
    english = await client.get(f"{LISTS}/1", headers={"Accept-Language": "en"})
    assert english.json()["error"]["message"] == "Send a staff API key: Authorization: Bearer <key>."
    assert await audit_rows(db, "staff_api.call") == [], "no account is known: nothing is audited"


async def test_a_key_answers_403_without_the_scope_and_is_audited_under_its_account(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, key_id, staff_id = await key_of(db, settings, clock, "both", ["authority", "checkpoint"], ["checkpoint"])
    refused = await client.get(f"{LISTS}/1", headers=headers)
    assert refused.status_code == 403
    assert_error(refused.json(), "api_key_scope_missing")
    assert refused.json()["error"]["scope"] == "lists"
    (row,) = await audit_rows(db, "staff_api.refused")
    assert (row.actor, row.subject) == (f"staff:{staff_id}", f"staff:{staff_id}")
    assert json.loads(row.detail) == {
        "key": key_id,
        "call": "GET /api/v1/authority/lists/1",
        "code": "api_key_scope_missing",
    }


async def test_a_key_stops_working_when_revoked_or_its_account_is_locked_disabled_or_loses_the_role(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, key_id, staff_id = await key_of(db, settings, clock, "official", ["authority"], ["lists"])
    working = await client.get("/api/v1/staff/api-key", headers=headers)
    assert working.status_code == 200
    assert working.json() | {"created_at": None} == {
        "key_id": key_id,
        "username": "official",
        "scopes": ["lists"],
        "label": "tests",
        "created_at": None,
    }
    assert (await client.get(f"{LISTS}/99", headers=headers)).status_code == 404

    async def account(**changes: Any) -> None:
        row = await db.get(StaffAccount, staff_id, populate_existing=True)
        assert row is not None
        for name, value in changes.items():
            setattr(row, name, value)
        await db.commit()

    await account(locked_until=clock.now() + timedelta(minutes=15))
    locked = await client.get(f"{LISTS}/99", headers=headers)
    assert locked.status_code == 401
    assert_error(locked.json(), "api_key_account_locked")
    await account(locked_until=clock.now() - timedelta(seconds=1))
    assert (await client.get(f"{LISTS}/99", headers=headers)).status_code == 404, "a lockout that ended"

    await account(active=False)
    disabled = await client.get(f"{LISTS}/99", headers=headers)
    assert disabled.status_code == 401
    assert_error(disabled.json(), "api_key_account_disabled")
    await account(active=True, roles=["reviewer"])
    no_role = await client.get(f"{LISTS}/99", headers=headers)
    assert no_role.status_code == 403
    assert_error(no_role.json(), "api_key_role_missing")
    await account(roles=["authority"])

    await ApiKeyService(db, settings, clock).revoke(key_id, actor="staff:1")
    revoked = await client.get(f"{LISTS}/99", headers=headers)
    assert revoked.status_code == 401
    assert_error(revoked.json(), "api_key_revoked")
    codes = [json.loads(row.detail)["code"] for row in await audit_rows(db, "staff_api.refused")]
    assert codes == ["api_key_account_locked", "api_key_account_disabled", "api_key_role_missing", "api_key_revoked"]


async def test_an_authority_list_uploaded_through_the_api_turns_a_card_red(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """End to end: the key's upload is queued, the import job runs it as the desk's import, the
    listed person's card turns red, and the API reports the import's progress."""
    await KeyService(db, settings, clock).generate("test")
    owner = await factories.logged_in_resident(db, settings, clock)
    view = await factories.card_application(
        db, settings, clock, owner.resident.id, document_type="resident_id", number=LISTED
    )
    code = f"/api/v1/cards/{view.card.public_id}/code"
    resident = {"Authorization": f"Bearer {owner.token}"}
    assert (await client.get(code, headers=resident)).json()["colour"] == "green"
    headers, key_id, staff_id = await key_of(db, settings, clock, "official", ["authority"], ["lists"])

    uploaded = await client.post(
        LISTS, data={"kind": "cases"}, files={"file": ("cases.csv", CASES_CSV, "text/csv")}, headers=headers
    )
    assert uploaded.status_code == 202, uploaded.text
    import_id = uploaded.json()["import_id"]
    assert uploaded.json() == {"import_id": import_id, "state": "queued"}
    queued = await client.get(f"{LISTS}/{import_id}", headers=headers)
    assert queued.json()["state"] == "queued"

    done = await run_queued_import(db, settings, clock)
    assert done.id == import_id

    finished = await client.get(f"{LISTS}/{import_id}", headers=headers)
    assert finished.status_code == 200
    assert finished.json() == {
        "import_id": import_id,
        "kind": "cases",
        "state": "done",
        "rows_total": 2,
        "rows_accepted": 1,
        "rows_rejected": 1,
        "cards_recoloured": 1,
        "rows_processed": 2,
        "error": None,
    }
    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    assert card.colour == "red"
    assert (await client.get(code, headers=resident)).json()["colour"] == "red", "the resident's code is red"

    calls = await audit_rows(db, "staff_api.call")
    assert [(row.actor, json.loads(row.detail)) for row in calls] == [
        (f"staff:{staff_id}", {"key": key_id, "call": f"{method} {path}"})
        for method, path in (("POST", LISTS), ("GET", f"{LISTS}/{import_id}"), ("GET", f"{LISTS}/{import_id}"))
    ]
    (upload,) = await audit_rows(db, "lists.upload")
    assert upload.actor == f"staff:{staff_id}"


async def test_a_file_that_is_no_list_is_refused_at_once_and_a_broken_one_is_refused_when_run(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, _, _ = await key_of(db, settings, clock, "official", ["authority"], ["lists"])
    not_a_list = await client.post(
        LISTS,
        data={"kind": "cases"},
        files={"file": ("cases.xls", OLD_EXCEL, "application/octet-stream")},
        headers=headers,
    )
    assert not_a_list.status_code == 422
    assert not_a_list.json()["error"]["field"] == "file"
    unknown_kind = await client.post(
        LISTS, data={"kind": "people"}, files={"file": ("cases.csv", CASES_CSV, "text/csv")}, headers=headers
    )
    assert unknown_kind.status_code == 422
    assert_error(unknown_kind.json(), "list_kind_unknown", "kind")

    no_columns = await client.post(
        LISTS, data={"kind": "cases"}, files={"file": ("cases.csv", b"a,b\n1,2\n", "text/csv")}, headers=headers
    )
    assert no_columns.status_code == 202
    await run_queued_import(db, settings, clock)
    refused = await client.get(
        f"{LISTS}/{no_columns.json()['import_id']}", headers={**headers, "Accept-Language": "en"}
    )
    assert refused.json()["state"] == "refused"
    assert refused.json()["error"]


@pytest.fixture
async def device(db: AsyncSession, settings: Settings, clock: FixedClock) -> dict[str, str]:
    """A checkpoint account bound to a site, and its key's header."""
    headers, _, _ = await key_of(db, settings, clock, "gate", ["checkpoint"], ["checkpoint"])
    site = await SiteService(db, settings, clock).create("东门", "150102")
    await SiteService(db, settings, clock).bind("gate", site.id)
    return headers


async def token_of(db: AsyncSession, settings: Settings, clock: FixedClock, colour: str) -> tuple[str, int]:
    """A live token of a declared card, in ``colour``, and the card's row id."""
    owner = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, owner.id)
    card = await db.get(Card, view.card.id)
    assert card is not None
    key = await KeyService(db, settings, clock).signing_key()
    return code_for(settings, clock, key, card.id, colour, card.masked_name, card.masked_document).token, card.id


async def test_a_device_records_scans_by_the_desks_rules(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, device: dict[str, str]
) -> None:
    await KeyService(db, settings, clock).generate("test")
    green, card_id = await token_of(db, settings, clock, "green")
    at = clock.now().isoformat()
    allowed = await client.post(
        SCANS, json={"token": green, "temperature": 36.6, "decision": "allow", "scanned_at": at}, headers=device
    )
    assert allowed.status_code == 201, allowed.text
    body = allowed.json()
    assert body["verification"]["valid"] is True
    assert body["verification"]["colour"] == "green"
    scan = await db.get(Scan, body["scan_id"])
    assert scan is not None
    assert (scan.decision, scan.temperature, scan.exception_reason) == ("allow", 36.6, None)
    assert scan.device.startswith("api key ")

    red = code_for(
        settings,
        clock,
        await KeyService(db, settings, clock).signing_key(),
        card_id,
        "red",
        scan.masked_name or "",
        scan.masked_document or "",
    ).token
    before = len(list(await db.scalars(select(Scan.id))))
    plain = await client.post(
        SCANS,
        json={"token": red, "temperature": None, "decision": "allow", "scanned_at": at},
        headers={**device, "Accept-Language": "en"},
    )
    assert plain.status_code == 422
    assert_error(plain.json(), "exception_reason_required", "exception_reason")
    assert len(list(await db.scalars(select(Scan.id)))) == before, "a refused decision logs nothing"

    excepted = await client.post(
        SCANS,
        json={
            "token": red,
            "temperature": None,
            "decision": "allow",
            "scanned_at": at,
            "exception_reason": "fever_clinic",
        },
        headers=device,
    )
    assert excepted.status_code == 201
    (exception,) = await audit_rows(db, "checkpoint.exception")
    assert json.loads(exception.detail)["exception"] == "fever_clinic"
    denied = await client.post(
        SCANS, json={"token": red, "temperature": None, "decision": "deny", "scanned_at": at}, headers=device
    )
    assert denied.status_code == 201

    fever = await client.post(
        SCANS, json={"token": green, "temperature": 38.2, "decision": "deny", "scanned_at": at}, headers=device
    )
    assert fever.status_code == 201
    assert (await db.scalar(select(FeverRecord.card_id))) == card_id
    assert (await db.get(Card, card_id, populate_existing=True)).colour != "green"  # type: ignore[union-attr]

    with_ref = {"token": green, "temperature": None, "decision": "deny", "scanned_at": at, "ref": "dev1-000042"}
    first = await client.post(SCANS, json=with_ref, headers=device)
    again = await client.post(SCANS, json=with_ref, headers=device)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["scan_id"] == again.json()["scan_id"], "a scan sent again is logged once"
    bad_ref = await client.post(SCANS, json={**with_ref, "ref": "no spaces allowed"}, headers=device)
    assert bad_ref.status_code == 400
    assert bad_ref.json()["error"]["field"] == "ref"

    for bad, field in (
        ({"temperature": 50.0}, "temperature"),
        ({"decision": "maybe"}, "decision"),
        ({"scanned_at": (clock.now() - timedelta(days=8)).isoformat()}, "scanned_at"),
    ):
        refused = await client.post(
            SCANS,
            json={"token": green, "temperature": None, "decision": "deny", "scanned_at": at, **bad},
            headers=device,
        )
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["field"] == field


async def test_a_checkpoint_key_of_an_account_without_a_site_is_refused(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, _, _ = await key_of(db, settings, clock, "gate", ["checkpoint"], ["checkpoint"])
    body = {"token": "HC1:nothing", "temperature": None, "decision": "deny", "scanned_at": clock.now().isoformat()}
    refused = await client.post(SCANS, json=body, headers=headers)
    assert refused.status_code == 403
    assert_error(refused.json(), "checkpoint_site_missing")
    lists_key, _, _ = await key_of(db, settings, clock, "official", ["authority"], ["lists"])
    assert (await client.post(SCANS, json=body, headers=lists_key)).status_code == 403


async def test_statistics_give_cards_by_colour_per_day_from_the_rollups(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await seed(db, settings, clock)
    await Rollups(db, settings, clock).run()
    headers, key_id, staff_id = await key_of(db, settings, clock, "analyst", ["authority"], ["statistics"])
    answer = await client.get(COLOURS, params={"from": "2026-03-01", "to": "2026-03-02"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "days": [{"date": "2026-03-01", "region": None, "green": 1, "yellow": 0, "red": 1, "none": 1}]
    }, "a day not counted yet is left out"
    in_district = await client.get(
        COLOURS, params={"from": "2026-03-01", "to": "2026-03-01", "region": "150102"}, headers=headers
    )
    assert in_district.json()["days"] == [
        {"date": "2026-03-01", "region": "150102", "green": 0, "yellow": 0, "red": 1, "none": 0}
    ]
    [call, _] = await audit_rows(db, "staff_api.call")
    assert (call.actor, json.loads(call.detail)) == (f"staff:{staff_id}", {"key": key_id, "call": f"GET {COLOURS}"})

    for params, code, field in (
        ({"to": "2026-03-01"}, "date_required", "from"),
        ({"from": "2026-3-1", "to": "2026-03-01"}, "date_invalid", "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "range_reversed", "to"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "range_too_long", "to"),
        ({"from": "2026-03-01", "to": "2026-03-01", "region": "15"}, "region_invalid", "region"),
    ):
        refused = await client.get(COLOURS, params=params, headers=headers)
        assert refused.status_code == 422, params
        assert_error(refused.json(), code, field)

    lists_only, _, _ = await key_of(db, settings, clock, "uploader", ["authority"], ["lists"])
    assert (
        await client.get(COLOURS, params={"from": "2026-03-01", "to": "2026-03-01"}, headers=lists_only)
    ).status_code == 403
    assert (await client.get(COLOURS, params={"from": "2026-03-01", "to": "2026-03-01"})).status_code == 401
