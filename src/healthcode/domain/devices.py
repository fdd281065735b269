"""A readable name for the device behind a login (the devices page), from its User-Agent.

The parsing is ua-parser's (the Browserscope / uap-core rules, kept up to date by that project);
this module only words the result: "Chrome · Android (M2102J2SC)", "微信 · iOS (iPhone)". WeChat's
built-in browser, where most residents open the service, announces itself as a Chrome WebView:
its own token (MicroMessenger) is looked for first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

from healthcode.domain.i18n import N_

WECHAT = N_("WeChat")
_UNKNOWN = {None, "", "Other", "Generic Smartphone", "Generic Feature Phone", "K"}


@dataclass(frozen=True)
class DeviceName:
    """What a person recognises a device by; any part may be unknown (None)."""

    browser: str | None
    system: str | None
    model: str | None


@lru_cache(maxsize=1024)
def device_name(user_agent: str) -> DeviceName:
    """The browser, the operating system and the device model a User-Agent names."""
    if not user_agent.strip():
        return DeviceName(None, None, None)
    found = parse(user_agent[:512])
    browser = found.user_agent.family if found.user_agent else None
    if "MicroMessenger" in user_agent:
        browser = WECHAT
    system = found.os.family if found.os else None
    model = found.device.family if found.device else None
    return DeviceName(
        browser if browser not in _UNKNOWN else None,
        system if system not in _UNKNOWN else None,
        model if model not in _UNKNOWN and model != system else None,
    )
