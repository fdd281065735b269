"""The OpenAPI document tells the truth (issue 12.7): schemathesis generates requests for every
operation from ``/schema/openapi.json`` (valid ones and broken ones), once logged in and once
not, and checks each answer against the document: no server error, only documented statuses,
bodies, content types and headers as described, broken input refused. Bounded: a few examples per
operation, in ``make test``.

Two checks are left out, each with its reason:

- ``positive_data_acceptance`` expects every schema-valid request to succeed, but the domain's
  rules (a document number's check digit and region, a phone number's carrier prefix, a birth date
  not in the future) are not expressible in JSON Schema: a schema-valid number with a wrong check
  digit is rightly answered 422 with a specific message.
- ``ignored_auth`` sends a request again with broken credentials through its own transport, which
  cannot reach an app called in-process; the anonymous leg below checks the same thing directly:
  every operation that needs a login answers 401 without one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis import checks
from stdnum.cn import ric

from healthcode.apikeys.api import STAFF_API_KEY
from healthcode.apikeys.service import ApiKeyService
from healthcode.checkpoints.sites import SiteService
from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.domain.api_keys import Scope
from healthcode.domain.clock import FixedClock
from tests import factories

pytestmark = [pytest.mark.settings(realname_delay_s=0), pytest.mark.slow]
EXAMPLES = 12
NUMBER = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
LEFT_OUT = [checks.positive_data_acceptance, checks.ignored_auth]
LAST = ("DELETE /api/v1/me",)
"""Operations that end the login for the ones after them run last."""


@pytest.fixture
def log_in(settings: Settings, clock: FixedClock) -> Callable[[], str]:
    """A new login of a resident with an issued, declared card (made again after the account's
    deletion): each operation gets its own, so that logging a device out ends only that one."""
    asyncio.run(_with_db(settings, lambda db: KeyService(db, settings, clock).generate("test")))

    async def login(db: Any) -> str:
        resident = await factories.logged_in_resident(db, settings, clock)
        if not await make_card_service_cards(db, settings, clock, resident.resident.id):
            await factories.card_application(
                db, settings, clock, resident.resident.id, document_type="resident_id", number=NUMBER
            )
        return resident.token

    return lambda: asyncio.run(_with_db(settings, login))


async def _with_db(settings: Settings, work: Callable[[Any], Any]) -> Any:
    """``work`` with a session of an engine of its own: each call runs on a new event loop, and
    an asyncpg connection belongs to the loop that opened it."""
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            return await work(db)
    finally:
        await engine.dispose()


async def make_card_service_cards(db: Any, settings: Settings, clock: FixedClock, resident_id: int) -> list[Any]:
    from healthcode.cards.service import make_card_service

    return await make_card_service(db, settings, clock).all_for(resident_id)


@pytest.fixture
def staff_key(settings: Settings, clock: FixedClock) -> str:
    """A staff API key of every scope, of an account holding their roles and bound to a site: the
    staff API's operations are called with it (a resident's login answers them 401)."""

    async def make(db: Any) -> str:
        await factories.staff(db, settings, clock, roles=["authority", "checkpoint", "admin"], username="device")
        site = await SiteService(db, settings, clock).create("东门", "150102")
        await SiteService(db, settings, clock).bind("device", site.id)
        made = await ApiKeyService(db, settings, clock).create("device", [scope.value for scope in Scope])
        return made.key

    key: str = asyncio.run(_with_db(settings, make))
    return key


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """The app running (start-up done) on one event loop, called over its ASGI interface."""
    with TestClient(app, base_url="http://testserver.local") as client:
        yield client


def httpx_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis's request (in the ``requests`` library's terms) for httpx: form fields out of
    ``files``, cookies as a header."""
    files = kwargs.pop("files", None) or []
    fields = {name: str(content) for name, (filename, content) in files if filename is None}
    uploads = [
        (name, (filename, content if isinstance(content, bytes) else str(content).encode()))
        for name, (filename, content) in files
        if filename is not None
    ]
    if fields:
        kwargs["data"] = {**(kwargs.get("data") or {}), **fields}
    if uploads:
        kwargs["files"] = uploads
    cookies = kwargs.pop("cookies", None) or {}
    if cookies:
        kwargs["headers"] = {**kwargs["headers"], "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    return kwargs


@pytest.mark.parametrize("logged_in", [True, False], ids=["logged in", "anonymous"])
def test_every_operation_answers_as_documented(
    client: TestClient[Litestar], log_in: Callable[[], str], staff_key: str, logged_in: bool
) -> None:
    api = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    operations = sorted(
        (result.ok() for result in api.get_all_operations()),
        key=lambda op: f"{op.method.upper()} {op.path}" in LAST,
    )
    assert len(operations) >= 25
    failures: dict[str, list[str]] = {}
    for operation in operations:
        name = f"{operation.method.upper()} {operation.path}"
        security = operation.definition.raw.get("security") or []
        secured = bool(security)
        staff_api = any(STAFF_API_KEY in requirement for requirement in security)
        headers = {"Authorization": f"Bearer {staff_key if staff_api else log_in()}"} if logged_in else {}
        found: list[str] = []
        statuses: set[int] = set()

        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            kwargs = httpx_request(case.as_transport_kwargs(base_url=str(client.base_url), headers=headers))  # noqa: B023
            if not logged_in:
                kwargs["headers"] = {k: v for k, v in kwargs["headers"].items() if k.lower() != "cookie"}
            response = client.request(**kwargs)
            statuses.add(response.status_code)  # noqa: B023
            response.request.read()  # a multipart body is streamed: a report quotes it
            try:
                case.validate_response(response, excluded_checks=LEFT_OUT)
            except BaseException as failure:
                found.append(str(failure)[:900])  # noqa: B023

        run()
        if secured and not logged_in and statuses - {400, 401}:
            found.append(f"answered {sorted(statuses)} without a login")
        if found:
            failures[name] = sorted(set(found))[:3]
    assert failures == {}, "\n\n".join(f"{name}:\n" + "\n--\n".join(found) for name, found in failures.items())


def test_the_document_names_logins_errors_and_the_lists_shape(client: TestClient[Litestar]) -> None:
    doc = client.get("/schema/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The token of a login",
    }
    apply = doc["paths"]["/api/v1/cards"]["post"]
    assert apply["security"] == [{"bearer": []}, {"session_cookie": []}]
    assert apply["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "security" not in doc["paths"]["/api/v1/verifications"]["post"]
    assert doc["components"]["securitySchemes"]["staff_api_key"]["scheme"] == "bearer"
    for path, method in (("/api/v1/authority/lists", "post"), ("/api/v1/checkpoint/scans", "post")):
        staff = doc["paths"][path][method]
        assert staff["security"] == [{"staff_api_key": []}]
        assert {"401", "403"} <= set(staff["responses"])
    trust = doc["paths"]["/.well-known/healthcode/trust-list.json"]["get"]["responses"]["200"]
    assert trust["content"]["application/json"]["schema"]["type"] == "object"
    inputs = doc["components"]["schemas"]["CardApplicationIn"]["properties"]
    assert "resident_id" in inputs["document_type"]["enum"]


def test_options_names_every_method_of_the_path(client: TestClient[Litestar]) -> None:
    """Litestar's own answer named only the methods registered before its OPTIONS handler."""
    assert client.options("/api/v1/cards").headers["allow"] == "GET, OPTIONS, POST"
    assert client.options("/api/v1/cards/abc/declarations").headers["allow"] == "GET, OPTIONS, POST"
