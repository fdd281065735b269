"""A readable name for the device behind a login."""

import pytest

from healthcode.domain.devices import WECHAT, DeviceName, device_name

WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 12; M2102J2SC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/86.0.4240.99 XWEB/4343 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/1234 "
    "MicroMessenger/8.0.28.2240(0x28001C57) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.1 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (WECHAT_ANDROID, DeviceName(WECHAT, "Android", "M2102J2SC")),
        (IPHONE, DeviceName("Mobile Safari", "iOS", "iPhone")),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
            DeviceName("Chrome", "Linux", None),
        ),
        ("tests", DeviceName(None, None, None)),
        ("", DeviceName(None, None, None)),
    ],
)
def test_devices_are_named_by_browser_system_and_model(user_agent: str, expected: DeviceName) -> None:
    assert device_name(user_agent) == expected
