"""The production shape on this machine (``scripts/cluster``): a PostgreSQL primary and a streaming
replica, Redis, two ``healthcode serve`` processes and one ``healthcode worker``. What one server
does, the other sees: a revoked session, an address's SMS budget, a verification limit, and a
resident's own declaration while the replica's replay is held back.

A list import finished once after its worker is killed is tests/cli/test_worker.py."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healthcode.cli.demo_people import DEMO_PEOPLE

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HEALTHCODE = str(Path(sys.executable).parent / "healthcode")
SETTINGS = {
    "HEALTHCODE_SMS_IP_HOURLY_LIMIT": "6",
    "HEALTHCODE_SMS_RESEND_INTERVAL_S": "0",
    "HEALTHCODE_VERIFY_RATE_PER_MINUTE": "4",
    "HEALTHCODE_TRUSTED_PROXIES": '["127.0.0.1"]',  # the tests speak for clients of their own
}
SOMEONE = "198.51.100.6"


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, Any]]:
    missing = [tool for tool in ("redis-server",) if shutil.which(tool) is None]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup")):
        missing.append("postgresql")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"not installed: {', '.join(missing)}")
        pytest.skip(f"not installed: {', '.join(missing)} (CI runs this test)")
    home = Path(tempfile.mkdtemp(prefix="hc-cluster."))
    home.chmod(0o755)  # the postgres user runs the databases inside (pytest's own folders are private)
    root = home / "c"
    env = {**os.environ, **SETTINGS}
    script = [sys.executable, str(ROOT / "scripts" / "cluster")]
    subprocess.run([*script, "start", str(root)], env=env, check=True, capture_output=True, timeout=120)
    state = json.loads((root / "cluster.json").read_text())
    cli_env = {**os.environ, **state["env"]}
    subprocess.run(
        [str(Path(sys.executable).parent / "healthcode"), "demo"], env=cli_env, check=True, capture_output=True
    )
    try:
        yield {**state, "cli_env": cli_env}
    finally:
        subprocess.run([*script, "stop", str(root)], check=False, capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def call(server: str, method: str, path: str, body: Any = None, bearer: str = "", client: str = "") -> tuple[int, Any]:
    """One API call; ``client`` is the address the balancer says it came from (X-Forwarded-For)."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {bearer}"} if bearer else {})}
    if client:
        headers["X-Forwarded-For"] = client
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def outbox_code(cluster: dict[str, Any], phone: str) -> str:
    out = subprocess.run(
        [HEALTHCODE, "sms", "outbox", "--phone", phone, "--json"],
        env=cluster["cli_env"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return str(json.loads(out[-1])["code"])


def log_in(cluster: dict[str, Any], server: str, phone: str) -> str:
    status, answer = call(server, "POST", "/api/v1/auth/sms-codes", {"phone": phone})
    assert status == 202, answer
    status, session = call(
        server, "POST", "/api/v1/auth/sessions", {"phone": phone, "code": outbox_code(cluster, phone)}
    )
    assert status == 201, session
    return str(session["token"])


def own_card(server: str, bearer: str) -> str:
    status, cards = call(server, "GET", "/api/v1/cards", bearer=bearer)
    assert status == 200
    return str(next(card["card_id"] for card in cards if card["relationship"] == "self"))


def test_the_servers_share_sessions_budgets_and_limits(cluster: dict[str, Any]) -> None:
    first, second = cluster["servers"]
    green = next(person for person in DEMO_PEOPLE if person.colour == "green")
    bearer = log_in(cluster, first, green.phone)
    card = own_card(first, bearer)
    status, code = call(second, "GET", f"/api/v1/cards/{card}/code", bearer=bearer)
    assert (status, code["colour"]) == (200, "green")

    # a session revoked through one server is refused by the other at once
    status, sessions = call(second, "GET", "/api/v1/auth/sessions", bearer=bearer)
    mine = next(s for s in sessions if s["current"])
    other = log_in(cluster, second, green.phone)
    assert call(first, "DELETE", f"/api/v1/auth/sessions/{mine['id']}", bearer=other)[0] == 204
    assert call(second, "GET", f"/api/v1/cards/{card}/code", bearer=bearer)[0] == 401
    assert call(first, "GET", f"/api/v1/cards/{card}/code", bearer=bearer)[0] == 401

    # the verification limit per client is one count for both servers
    token = call(first, "GET", f"/api/v1/cards/{card}/code", bearer=other)[1]["token"]
    checks = [
        call((first, second)[n % 2], "POST", "/api/v1/verifications", {"token": token}, client="198.51.100.4")
        for n in range(6)
    ]
    assert [status for status, _ in checks] == [200] * 4 + [429] * 2

    # the SMS budget of a client address counts the texts of both servers (6 an hour)
    texts = [
        call(
            (first, second)[n % 2], "POST", "/api/v1/auth/sms-codes", {"phone": f"1390000000{n}"}, client="198.51.100.6"
        )
        for n in range(8)
    ]
    assert [status for status, _ in texts] == [202] * 6 + [429] * 2


def test_a_declaration_shows_at_once_while_the_replica_is_held_back(cluster: dict[str, Any]) -> None:
    first, second = cluster["servers"]
    person = next(p for p in DEMO_PEOPLE if p.colour == "yellow")
    bearer = log_in(cluster, first, person.phone)
    card = own_card(first, bearer)
    replica = cluster["replica_url"].replace("postgresql+asyncpg", "postgresql")
    psql = [str(Path(cluster["pgbin"]) / "psql"), replica, "-tAc"]
    subprocess.run([*psql, "SELECT pg_wal_replay_pause()"], check=True, capture_output=True)
    try:
        healthy = {"temperature": 36.5, "address_region": "150102", "address_detail": "新华大街1号", "pledge": True}
        status, _ = call(first, "POST", f"/api/v1/cards/{card}/declarations", healthy, bearer=bearer)
        assert status == 201
        status, code = call(second, "GET", f"/api/v1/cards/{card}/code", bearer=bearer)
        assert (status, code["colour"]) == (200, "green"), "the resident's own declaration, on the other server"
    finally:
        subprocess.run([*psql, "SELECT pg_wal_replay_resume()"], check=False, capture_output=True)
