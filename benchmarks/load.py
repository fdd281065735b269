"""HTTP load harness for the hot paths (``make load``): the code endpoint and verification, each
next to a bare endpoint of the same server measured in the same run (the ratio is the figure).

Starts ``healthcode serve`` on 127.0.0.1 (a free port, its own SQLite file, demo data), logs a
demo resident in, then drives each endpoint for a bounded time with wrk (Debian's ``wrk``) when
installed, else with a small asyncio client. Only ever targets 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(url: str, body: dict[str, object] | None = None, token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    root = Path(tempfile.mkdtemp(prefix="hc-load-"))
    port = free_port()
    env = {
        **os.environ,
        "HEALTHCODE_ENV": "test",
        "HEALTHCODE_VAR_DIR": str(root),
        "HEALTHCODE_VERIFY_RATE_PER_MINUTE": "100000000",
        "HEALTHCODE_SMS_IP_HOURLY_LIMIT": "1000",
    }
    run = lambda *a: subprocess.run([str(BIN / "healthcode"), *a], env=env, check=True, capture_output=True)  # noqa: E731
    run("db", "upgrade")
    run("demo")
    server = subprocess.Popen(
        [str(BIN / "healthcode"), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        phone = "13800138000"
        call(f"{base}/api/v1/auth/sms-codes", {"phone": phone})
        outbox = subprocess.run(
            [str(BIN / "healthcode"), "sms", "outbox", "--phone", phone, "--json"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        session = call(f"{base}/api/v1/auth/sessions", {"phone": phone, "code": json.loads(outbox[-1])["code"]})
        token = str(session["token"])
        request = urllib.request.Request(f"{base}/api/v1/cards", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            card_id = json.loads(response.read())[0]["card_id"]
        request = urllib.request.Request(
            f"{base}/api/v1/cards/{card_id}/code", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            live = json.loads(response.read())["token"]

        scripts = root / "scripts"
        scripts.mkdir()
        (scripts / "code.lua").write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        (scripts / "verify.lua").write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = '{json.dumps({'token': live})}'\n"
        )
        results = {
            "bare /healthz": wrk(f"{base}/healthz", args.seconds, args.connections, None),
            "GET code": wrk(
                f"{base}/api/v1/cards/{card_id}/code", args.seconds, args.connections, scripts / "code.lua"
            ),
            "POST verification": wrk(
                f"{base}/api/v1/verifications", args.seconds, args.connections, scripts / "verify.lua"
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    bare = results["bare /healthz"]["rps"]
    print(f"{args.workers} workers, {args.connections} connections, {args.seconds} s each, wrk on the same machine")
    for name, figures in results.items():
        rps, p99 = figures["rps"], figures["p99_ms"]
        print(f"  {name:<20} {rps:>9.0f} req/s  p99 {p99:>7.2f} ms  ({rps / bare:.0%} of bare)")


if __name__ == "__main__":
    main()
