"""The developer's view of the outbox provider: what phones would have received (dev/test only)."""

from __future__ import annotations

from litestar import Router, get
from litestar.params import FromQuery
from litestar.response import Template

from healthcode.config import Settings
from healthcode.domain.phone import normalize_mobile
from healthcode.kit.deps import DbSession
from healthcode.sms.provider import read_outbox


@get("/sms-outbox", name="dev_outbox")
async def outbox(db: DbSession, phone: FromQuery[str] = "") -> Template:
    number = normalize_mobile(phone) if phone else None
    messages = await read_outbox(db, number, limit=100)
    return Template(template_name="sms/outbox.html", context={"messages": list(reversed(messages)), "phone": phone})


def enabled(settings: Settings) -> bool:
    """The outbox page exists only outside prod, and only with the outbox provider."""
    return settings.dev_tools and settings.sms_provider == "outbox"


router = Router(path="/dev", route_handlers=[outbox], include_in_schema=False)
