"""Whose address a request is: X-Forwarded-For counts only through our own proxies."""

from ipaddress import ip_network
from typing import Any

import pytest

from healthcode.config import Settings
from healthcode.kit.requests import client_ip

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))


class Headers:
    def __init__(self, *forwarded: str) -> None:
        self.lines = [line for line in forwarded if line]

    def getall(self, name: str, default: list[str]) -> list[str]:
        return self.lines if name == "x-forwarded-for" and self.lines else default


class Connection:
    def __init__(self, peer: str, *forwarded: str) -> None:
        self.client = type("Address", (), {"host": peer})()
        self.headers = Headers(*forwarded)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not through a proxy: the header is ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client wrote the first entry itself
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # two proxies of ours
        ("10.0.0.2", "10.0.0.3", "10.0.0.2"),  # only proxies: the nearest one
        ("10.0.0.2", "", "10.0.0.2"),
        ("2001:db8::1", "2001:db8::2, 2400:cb00::1", "2400:cb00::1"),
        ("10.0.0.2", "garbage, 198.51.100.9", "198.51.100.9"),
    ],
)
def test_the_client_is_the_rightmost_address_that_is_not_our_proxy(peer: str, forwarded: str, client: str) -> None:
    connection: Any = Connection(peer, forwarded)
    assert client_ip(connection, PROXIES) == client


def test_every_forwarded_for_line_counts() -> None:
    """A proxy that adds its own header line leaves the client's forged line first."""
    connection: Any = Connection("10.0.0.2", "6.6.6.6", "198.51.100.1")
    assert client_ip(connection, PROXIES) == "198.51.100.1"


def test_without_proxies_the_header_is_never_read() -> None:
    connection: Any = Connection("10.0.0.2", "198.51.100.1")
    assert client_ip(connection, ()) == "10.0.0.2"


def test_a_proxy_that_is_not_an_address_stops_the_server_at_start() -> None:
    with pytest.raises(ValueError, match="is not an address or a network"):
        Settings(trusted_proxies=["proxy.local"])
    assert Settings(trusted_proxies=["10.0.0.0/8", "192.0.2.1"]).proxy_networks == (
        ip_network("10.0.0.0/8"),
        ip_network("192.0.2.1/32"),
    )
