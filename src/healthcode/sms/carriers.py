"""Carriers: where queued texts leave the platform (SPEC §2). An adapter hands one text to a
carrier's gateway and says whether it was taken, refused for good, or may be tried again.

The one adapter here speaks a plain JSON-over-HTTPS gateway; a carrier with another protocol is
another class of the same shape, chosen by ``HEALTHCODE_SMS_PROVIDER``.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from healthcode.config import Settings


class CarrierRefused(Exception):
    """The gateway will never take this text (a bad number, a text it rejects): do not retry."""


class CarrierUnavailable(Exception):
    """The gateway did not take the text this time (down, slow, busy): try again later."""


class Carrier(Protocol):
    """Hands one text to a carrier. ``ref`` is the text's id, the same on every try of one text,
    so that a gateway that took it already (its answer lost) can drop the repeat."""

    async def hand_over(self, ref: str, phone: str, text: str) -> None: ...

    async def close(self) -> None: ...


class HttpGateway:
    """POSTs ``{"id", "to", "text"}`` (``to`` in E.164) to ``HEALTHCODE_SMS_HTTP_URL`` with the
    bearer token. 2xx: taken. 429, 5xx and network errors: try again. Other 4xx: refused."""

    def __init__(self, settings: Settings):
        headers = {"Authorization": f"Bearer {settings.sms_http_token}"} if settings.sms_http_token else {}
        self.url = settings.sms_http_url
        self.client = httpx.AsyncClient(headers=headers, timeout=settings.sms_http_timeout_s, follow_redirects=False)

    async def hand_over(self, ref: str, phone: str, text: str) -> None:
        try:
            answer = await self.client.post(self.url, json={"id": ref, "to": f"+86{phone}", "text": text})
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(f"{type(exc).__name__}: {exc}"[:200]) from exc
        if answer.is_success:
            return
        reason = f"HTTP {answer.status_code}: {answer.text[:160]}"
        if answer.status_code == 429 or answer.status_code >= 500:
            raise CarrierUnavailable(reason)
        raise CarrierRefused(reason)

    async def close(self) -> None:
        await self.client.aclose()


def make_carrier(settings: Settings) -> Carrier:
    """The carrier ``settings.sms_provider`` names (the outbox provider has none: nothing leaves)."""
    match settings.sms_provider:
        case "http":
            return HttpGateway(settings)
    raise ValueError(f"SMS provider {settings.sms_provider!r} hands texts to no carrier")
