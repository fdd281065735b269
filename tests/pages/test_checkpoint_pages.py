"""The checkpoint desk pages (SPEC §8): scan, full-screen verdict, decision, manual check.

The pages are read in English, so the assertions hold before and after the zh-CN catalog grows.
"""

import json
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.codes.keys import KeyService
from healthcode.codes.live import card_of_claims
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, Card, FeverRecord, Scan, StaffAccount
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens.format import decode_claims, open_envelope
from healthcode.kit.assets import asset_url
from tests import factories
from tests.api.test_verifications import tampered
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)
DESK = "/staff/checkpoint"


@pytest.fixture
async def token(db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A live token for an approved resident-ID card."""
    resident = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, resident.id, document_type="resident_id", number=ADULT)
    await KeyService(db, settings, clock).generate("test")
    return await factories.live_token(db, settings, clock, view.card.public_id)


@pytest.fixture
async def official(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A checkpoint official bound to a site, signed in, reading English; the CSRF token."""
    account = await factories.staff(db, settings, clock, roles=["checkpoint"], username="gate")
    sites = SiteService(db, settings, clock)
    await sites.bind("gate", (await sites.create("新华广场东门", "150102")).id)
    await client.get("/prefs/language/en?next=/staff/login")
    return await factories.sign_in_staff(client, account, clock)


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (tags inside it, such as a name's language, dropped)."""
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no #{element_id} on the page"
    return re.sub(r"<[^>]+>", "", found.group(2)).strip()


async def test_a_scanned_code_fills_the_screen_and_the_decision_is_logged(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    shell = await client.get("/staff")
    assert f'href="{DESK}"' in shell.text
    assert "Checkpoint: scan codes" in shell.text

    desk = await client.get(DESK)
    assert desk.status_code == 200
    assert "新华广场东门" in desk.text
    assert re.search(r'<input id="token" name="token"[^>]*autofocus', desk.text)
    assert f'<script src="{asset_url("checkpoint.js")}"' in desk.text

    result = await client.post(
        f"{DESK}/scan",
        data={"token": token + "\r\n", "_csrf_token": official},
        headers={"User-Agent": "GateScanner/2.1"},
    )
    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-store"
    assert 'class="checkpoint-result colour-green"' in result.text
    assert text_of(result.text, "verdict") == "Green code"
    assert text_of(result.text, "masked-name") == "张*丰"
    assert '<span lang="zh-CN">张*丰</span>' in result.text, "a Chinese name on an English page says so"
    assert text_of(result.text, "last-four") == ADULT[-4:]
    assert ADULT not in result.text

    scan = await db.scalar(select(Scan))
    assert scan is not None
    assert (scan.reason, scan.colour, scan.device, scan.token_kind) == ("ok", "green", "GateScanner/2.1", "live")
    assert scan.staff_id is not None
    assert scan.site_id is not None
    action = re.search(r'action="(/staff/checkpoint/scans/\d+/decision)"', result.text)
    assert action
    assert action.group(1) == f"{DESK}/scans/{scan.id}/decision"

    refused = await client.post(
        action.group(1), data={"decision": "allow", "temperature": "hot", "_csrf_token": official}
    )
    assert refused.status_code == 422
    assert "Enter a body temperature between 34.0 and 43.0 °C, such as 36.5." in refused.text

    done = await client.post(
        action.group(1),
        data={"decision": "allow", "temperature": "36.6", "_csrf_token": official},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{DESK}?done=allow")
    back = await client.get(done.headers["location"])
    assert "Allowed. Ready for the next person." in back.text
    assert f'data-scan="{scan.id}"' in back.text
    await db.refresh(scan)
    assert (scan.decision, scan.temperature) == ("allow", 36.6)


def log_line(html: str, scan_id: int | None = None) -> str:
    """The words of a scan's line in the desk's log (the newest line without ``scan_id``)."""
    which = str(scan_id) if scan_id else r"\d+"
    line = re.search(rf'<li data-scan="{which}"[^>]*>(.*?)</li>', html, re.S)
    assert line, "no such line in the log"
    return " ".join(re.sub(r"<[^>]+>", "", line.group(1)).replace("&nbsp;", " ").split())


def submit_buttons(html: str) -> list[tuple[str, str]]:
    """The verdict form's submit buttons in page order, as (id, value): the first is what Enter presses."""
    return re.findall(r'<button[^>]*type="submit" name="decision" value="(\w+)" id="([\w-]+)"', html)


async def test_refusing_is_the_default_on_anything_but_a_valid_green_code(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    green = await client.post(f"{DESK}/scan", data={"token": token, "_csrf_token": official})
    assert submit_buttons(green.text) == [("allow", "allow"), ("deny", "deny")]

    bad = await client.post(f"{DESK}/scan", data={"token": tampered(token), "_csrf_token": official})
    assert submit_buttons(bad.text) == [("deny", "deny"), ("allow", "allow-exception")], "Enter refuses"
    assert re.search(r'<details class="exception" id="exception">', bad.text), "the exception is folded away"
    assert 'name="exception_reason" value="fever_clinic"' in bad.text
    action = re.search(r'action="(/staff/checkpoint/scans/\d+/decision)"', bad.text)
    assert action

    refused = await client.post(
        action.group(1), data={"decision": "allow", "temperature": "36.5", "_csrf_token": official}
    )
    assert refused.status_code == 422
    assert "This is not a valid green code: refuse, or choose why the person is let through anyway." in refused.text
    assert re.search(r'<details class="exception" id="exception" open>', refused.text), "opened at the error"
    assert 'value="36.5"' in refused.text, "the temperature typed is kept"
    scan = await db.scalar(select(Scan).where(Scan.reason == "bad_signature"))
    assert scan is not None
    assert scan.decision is None

    done = await client.post(
        action.group(1),
        data={"decision": "allow", "temperature": "36.5", "exception_reason": "escorted", "_csrf_token": official},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{DESK}?done=exception")
    desk = await client.get(done.headers["location"])
    assert "Let through as an exception; recorded. Ready for the next person." in desk.text
    words = log_line(desk.text, scan.id)
    assert "No colour · Altered or forged code · 36.5 °C" in words
    assert "Let through as an exception: Escorted by staff, not mixing with others" in words

    fever = await client.post(f"{DESK}/scan", data={"token": token, "_csrf_token": official})
    fever_action = re.search(r'action="(/staff/checkpoint/scans/\d+/decision)"', fever.text)
    assert fever_action
    hot = await client.post(
        fever_action.group(1), data={"decision": "allow", "temperature": "38.4", "_csrf_token": official}
    )
    assert hot.status_code == 422, "a fever at the gate is not let through as usual"
    assert submit_buttons(hot.text)[0] == ("deny", "deny")
    denied = await client.post(
        fever_action.group(1),
        data={"decision": "deny", "temperature": "38.4", "token": token, "_csrf_token": official},
    )
    assert denied.status_code == 200
    assert "Refused. Ready for the next person." in denied.text
    assert log_line(denied.text).endswith("张*丰 · Yellow code · 38.4 °C · Refused"), "colour and decision in words"


async def test_a_tampered_or_unreadable_code_says_why_in_words(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    bad = await client.post(f"{DESK}/scan", data={"token": tampered(token), "_csrf_token": official})
    assert 'class="checkpoint-result unacceptable"' in bad.text
    assert text_of(bad.text, "verdict") == "Not acceptable"
    assert text_of(bad.text, "reason") == "Bad signature: this code was altered or forged. Do not accept it."
    garbage = await client.post(f"{DESK}/scan", data={"token": "hello", "_csrf_token": official})
    assert text_of(garbage.text, "reason").startswith("Not a health code")
    reasons = list(await db.scalars(select(Scan.reason).order_by(Scan.id)))
    assert reasons == ["bad_signature", "malformed"]


async def test_a_manual_check_with_a_fever_turns_the_card_yellow(
    client: Client, official: str, token: str, db: AsyncSession, settings: Settings
) -> None:
    missing = await client.post(
        f"{DESK}/manual",
        data={"document_type": "resident_id", "document_number": "", "temperature": "", "_csrf_token": official},
    )
    assert missing.status_code == 422
    assert 'id="document_number-error"' in missing.text

    checked = await client.post(
        f"{DESK}/manual",
        data={"document_type": "resident_id", "document_number": ADULT, "temperature": "38.0", "_csrf_token": official},
    )
    assert checked.status_code == 200
    assert 'class="checkpoint-result colour-yellow"' in checked.text
    assert text_of(checked.text, "verdict") == "Yellow code"
    assert text_of(checked.text, "last-four") == ADULT[-4:]
    card = await db.scalar(select(Card).execution_options(populate_existing=True))
    assert card is not None
    assert card.colour == "yellow"
    [reason] = factories.reasons_of(settings, card)
    assert reason["rule"] == "checkpoint.fever"
    assert "38.0" in reason["text"]["en"]


async def test_a_fever_after_scanning_a_phone_code_turns_that_card_yellow(
    client: Client, official: str, token: str, db: AsyncSession, clock: FixedClock, settings: Settings
) -> None:
    card = await db.scalar(select(Card))
    assert card is not None
    result = await client.post(f"{DESK}/scan", data={"token": token, "_csrf_token": official})
    assert 'class="checkpoint-result colour-green"' in result.text
    scan = await db.scalar(select(Scan))
    assert scan is not None
    assert scan.card_id is None, "a scan names no card: the log is no movement record"
    sent_back = re.search(r'name="token" value="([^"]+)"', result.text)
    assert sent_back
    assert sent_back.group(1) == token, "the code goes back with the decision"

    # a normal temperature ties nothing to the card
    await client.post(
        f"{DESK}/scans/{scan.id}/decision",
        data={"decision": "allow", "temperature": "36.5", "token": token, "_csrf_token": official},
    )
    await db.refresh(scan)
    assert (scan.card_id, scan.temperature) == (None, 36.5)

    clock.advance(minutes=5)  # the live code has expired since: the card is found as of the scan
    decided = await client.post(
        f"{DESK}/scans/{scan.id}/decision",
        data={"decision": "deny", "temperature": "38.4", "token": token, "_csrf_token": official},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    await db.refresh(card)
    await db.refresh(scan)
    assert (card.colour, factories.reasons_of(settings, card)[0]["rule"]) == ("yellow", "checkpoint.fever")
    assert (scan.colour, scan.temperature, scan.decision, scan.card_id) == ("yellow", 38.4, "deny", card.id)
    audited = await db.scalar(select(AuditRecord).where(AuditRecord.action == "checkpoint.fever"))
    assert audited is not None
    assert audited.subject == f"card:{card.public_id}"


async def test_a_fever_on_a_code_that_is_not_valid_stays_on_the_scan(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    forged = tampered(token)
    result = await client.post(f"{DESK}/scan", data={"token": forged, "_csrf_token": official})
    assert 'name="token"' not in result.text
    scan = await db.scalar(select(Scan))
    assert scan is not None
    await client.post(
        f"{DESK}/scans/{scan.id}/decision",
        data={"decision": "deny", "temperature": "39.0", "token": token, "_csrf_token": official},
    )
    await db.refresh(scan)
    card = await db.scalar(select(Card).execution_options(populate_existing=True))
    assert card is not None
    assert (scan.temperature, scan.card_id, card.colour) == (39.0, None, "green"), "a swapped token ties nothing"


async def test_a_scan_posted_twice_by_the_page_is_logged_once(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    for _ in range(2):
        answer = await client.post(
            f"{DESK}/scan", data={"token": token, "ref": "page-ref-000001", "_csrf_token": official}
        )
        assert 'class="checkpoint-result colour-green"' in answer.text
    assert [scan.device_ref for scan in await db.scalars(select(Scan))] == ["page-ref-000001"]


async def test_another_regions_code_is_not_tied_to_any_card(token: str, db: AsyncSession, settings: Settings) -> None:
    claims = decode_claims(open_envelope(token).payload)
    assert card_of_claims(settings, claims) == (await db.scalar(select(Card.id)))
    foreign = settings.model_copy(update={"issuer": "CN-310000"})
    assert card_of_claims(foreign, claims) is None


async def test_the_desk_needs_a_checkpoint_account_bound_to_a_site(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    response = await client.get(DESK, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/staff/login")

    await client.get("/prefs/language/en?next=/staff/login")
    unbound = await factories.staff(db, settings, clock, roles=["checkpoint"], username="gate")
    token = await factories.sign_in_staff(client, unbound, clock)
    refused = await client.get(DESK)
    assert refused.status_code == 403
    assert "This account is not bound to a checkpoint site." in refused.text
    scan = await client.post(f"{DESK}/scan", data={"token": "HC1:x", "_csrf_token": token})
    assert scan.status_code == 403

    clock.advance(seconds=30)
    reviewer = await factories.staff(db, settings, clock)
    await client.post("/staff/logout", data={"_csrf_token": token})
    await factories.sign_in_staff(client, reviewer, clock)
    other = await client.get(DESK)
    assert other.status_code == 403
    assert "This page needs the role: Checkpoint staff." in other.text
    assert list(await db.scalars(select(Scan))) == []


async def test_scans_made_offline_are_recorded_once_each_as_of_their_time(
    client: Client, official: str, token: str, db: AsyncSession, clock: FixedClock
) -> None:
    scanned_at = int(clock.now().timestamp())
    clock.advance(hours=2)  # sent when the network came back: the live token has long expired
    me = await db.scalar(select(StaffAccount.id).where(StaffAccount.username == "gate"))
    scans: list[dict[str, object]] = [
        {"ref": "device-scan-0001", "token": token, "scanned_at": scanned_at, "temperature": "38.2"},
        {"ref": "device-scan-0002", "token": tampered(token), "scanned_at": scanned_at + 5, "decision": "deny"},
        {"ref": "device-scan-0003", "token": token, "scanned_at": scanned_at, "temperature": "52"},
        {"ref": "device-scan-0004", "token": token, "scanned_at": scanned_at - 8 * 86400},
        {"ref": "device-scan-0005", "token": token, "scanned_at": scanned_at, "staff": 999_999},
    ]
    scans[0]["decision"] = "deny"
    for scan in scans:
        scan.setdefault("staff", me)
    headers = {"X-CSRFToken": official}
    response = await client.post(f"{DESK}/offline-scans", json={"scans": scans}, headers=headers)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["recorded"] == ["device-scan-0001", "device-scan-0002"]
    assert answer["duplicates"] == []
    assert {item["ref"]: item["code"] for item in answer["rejected"]} == {
        "device-scan-0003": "temperature_invalid",
        "device-scan-0004": "offline_time_invalid",
        "device-scan-0005": "offline_other_account",
    }

    logged = list(await db.scalars(select(Scan).order_by(Scan.id)))
    assert [(s.reason, s.offline, s.decision, s.temperature) for s in logged] == [
        ("ok", True, "deny", 38.2),
        ("bad_signature", True, "deny", None),
    ]
    assert int(logged[0].at.timestamp()) == scanned_at
    card = await db.scalar(select(Card).execution_options(populate_existing=True))
    assert card is not None
    assert (card.colour, logged[0].card_id) == ("yellow", card.id), "the fever recoloured the card"
    fever = await db.scalar(select(FeverRecord))
    assert fever is not None
    assert int(fever.taken_at.timestamp()) == scanned_at, "taken when scanned, not when sent"

    again = await client.post(f"{DESK}/offline-scans", json={"scans": scans[:1]}, headers=headers)
    assert again.json() == {"recorded": [], "duplicates": ["device-scan-0001"], "rejected": []}
    assert len(list(await db.scalars(select(Scan)))) == 2

    forged = await client.post(f"{DESK}/offline-scans", json={"scans": scans[:1]})
    assert forged.status_code == 403, "no CSRF token, no upload"
    desk = await client.get(DESK)
    assert "checked offline" in desk.text


async def test_a_decision_made_offline_completes_a_scan_the_server_logged(
    client: Client, official: str, token: str, db: AsyncSession, clock: FixedClock
) -> None:
    # the page posted the scan, the server logged it, but the answer never came back: the page
    # checked the code itself and later uploads the scan, under the same ref, with the decision
    await client.post(f"{DESK}/scan", data={"token": token, "ref": "page-ref-000002", "_csrf_token": official})
    me = await db.scalar(select(StaffAccount.id).where(StaffAccount.username == "gate"))
    upload = {"ref": "page-ref-000002", "token": token, "scanned_at": int(clock.now().timestamp()), "staff": me}
    answer = await client.post(
        f"{DESK}/offline-scans",
        json={"scans": [{**upload, "decision": "allow", "temperature": "36.4"}]},
        headers={"X-CSRFToken": official},
    )
    assert answer.json() == {"recorded": [], "duplicates": ["page-ref-000002"], "rejected": []}
    scan = await db.scalar(select(Scan).execution_options(populate_existing=True))
    assert scan is not None
    assert (scan.decision, scan.temperature, scan.offline) == ("allow", 36.4, False)
    assert len(list(await db.scalars(select(Scan)))) == 1


async def test_the_desk_service_worker_may_control_the_desk(client: Client) -> None:
    response = await client.get(f"{DESK}/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == DESK
    assert "caches.match" in response.text


async def test_the_desks_script_is_told_the_servers_verdict_in_json(
    client: Client, official: str, token: str, db: AsyncSession
) -> None:
    answer = await client.post(
        f"{DESK}/scan",
        data={"token": token, "ref": "page-ref-000003", "_csrf_token": official},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 201
    scan = await db.scalar(select(Scan))
    assert scan is not None
    body = answer.json()
    assert body["scan_id"] == scan.id
    assert {key: body["verification"][key] for key in ("valid", "reason", "colour")} == {
        "valid": True,
        "reason": "ok",
        "colour": "green",
    }
    assert body["verification"]["masked_document"] == scan.masked_document
    assert answer.headers["cache-control"] == "no-store"


async def test_the_desk_carries_the_keys_it_pins_when_it_is_set_up(
    client: Client, official: str, token: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    desk = await client.get(DESK)
    config = json.loads(text_of(desk.text, "checkpoint-config"))
    published = json.loads((await client.get("/.well-known/healthcode/trust-list.json")).text)
    assert config["pin"] == {"issuer": settings.issuer, "keys": published["keys"]}
