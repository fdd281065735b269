"""HTTP load harness for the hot paths (``make load``): each next to a bare endpoint of the same
server measured in the same run (the ratio is the figure), driven the way traffic really comes.

- A fresh database (a SQLite file, or with ``--postgres URL`` a new database on that server) with
  ``--residents`` residents, each logged in on their own device with an issued, declared card
  (:mod:`benchmarks.population`).
- The server: granian with the app ``healthcode serve`` runs plus two bare endpoints
  (:mod:`benchmarks.load_app`), ``--workers`` processes on 127.0.0.1.
- wrk (Debian's ``wrk``) with ``--connections`` connections for ``--seconds`` each; every request
  is a random resident's session and card (the code endpoint, the code page), or a random one of
  as many live tokens (verification); pages are asked for gzipped, as phones ask. Non-2xx answers
  are counted and printed.
- Besides req/s and latency, the CPU time per request of the server's processes and, on
  PostgreSQL, of the database's: wrk, server and database share this machine's cores, so the
  CPU figures are what sizing another machine starts from.

Only ever targets 127.0.0.1. Figures go into the issue notes; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "benchmarks.load_app:app"
BIN = Path(sys.executable).parent
LUA = """
local items = {}
local mode
function init(args)
  mode = args[2]
  for line in io.lines(args[1]) do items[#items + 1] = line end
  local seed = tonumber(tostring(items):match("0x(%x+)") or "0", 16) or 0
  math.randomseed(os.time() + seed % 1000003)
end
function request()
  local item = items[math.random(#items)]
  if mode == "verify" then
    return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '{"token":"' .. item .. '"}')
  end
  local token, card = item:match("^(%S+) (%S+)$")
  if mode == "bare" then  -- the same request as the code endpoint's, to another path
    return wrk.format("GET", nil, {Authorization = "Bearer " .. token})
  end
  local browser = {Cookie = "hc_session=" .. token, ["Accept-Encoding"] = "gzip, deflate, br"}  -- as phones ask
  if mode == "card" then  -- the card's page: one of the other pages people load
    return wrk.format("GET", "/cards/" .. card, browser)
  end
  if mode == "page" then
    return wrk.format("GET", "/cards/" .. card .. "/code", browser)
  end
  return wrk.format("GET", "/api/v1/cards/" .. card .. "/code", {Authorization = "Bearer " .. token})
end
"""


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int
    requests: int
    app_cpu_us: float = 0.0
    db_cpu_us: float = 0.0


def cpu_seconds(marker: str) -> float:
    """User and system CPU time of the processes whose command line contains ``marker`` (this
    harness's own, which names the database's URL, left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if marker in command:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def settle(markers: tuple[str, ...], quiet: float = 0.05, longest_s: float = 120.0) -> float:
    """Wait until the processes named by ``markers`` (the database, the worker) have used less than
    ``quiet`` of a core for a second: the worker's first passes (statistics, recolouring) and the
    database's autovacuum of the fresh rows would otherwise run during the first measurement.
    Returns how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < longest_s:
        before = sum(map(cpu_seconds, markers))
        time.sleep(1.0)
        if sum(map(cpu_seconds, markers)) - before < quiet:
            break
    return time.monotonic() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str) -> dict[str, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def wrk_command(
    url: str, seconds: int, connections: int, script: Path, *script_args: str, timeout_s: int = 2
) -> list[str]:
    """wrk driving ``url`` with the harness's script; requests slower than ``timeout_s`` count as failed."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s", "--latency"]
    command += ["-s", str(script), url]
    return [*command, "--", *script_args] if script_args else command


def figures_of(out: str) -> Figures:
    """What wrk printed, as figures (non-2xx answers, timeouts and socket errors count as failed)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = re.search(r"(\d+) requests in", out)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Figures(
        rps=rps,
        p50_ms=_ms(re.search(r"50%\s+([\d.]+)(us|ms|s)", out)),
        p99_ms=_ms(re.search(r"99%\s+([\d.]+)(us|ms|s)", out)),
        failed=(int(failed.group(1)) if failed else 0) + (sum(map(int, errors.groups())) if errors else 0),
        requests=int(done.group(1)) if done else 0,
    )


def wrk(url: str, seconds: int, connections: int, script: Path, *script_args: str) -> Figures:
    command = wrk_command(url, seconds, connections, script, *script_args)
    return figures_of(subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout)


def measured(run: Callable[[], Figures]) -> Figures:
    """``run``, with the CPU time the server and the database spent per request meanwhile."""
    app, db = cpu_seconds(APP), cpu_seconds("postgres")
    figures = run()
    per = 1e6 / max(figures.requests, 1)
    return replace(figures, app_cpu_us=(cpu_seconds(APP) - app) * per, db_cpu_us=(cpu_seconds("postgres") - db) * per)


def run_sql(url: str, *statements: str) -> None:
    """Statements outside a transaction on the database of ``url`` (an asyncpg SQLAlchemy URL)."""
    import psycopg

    with psycopg.connect(url.replace("+asyncpg", ""), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def fresh_postgres(url: str) -> str:
    """A new, empty database ``hc_load`` on the server of ``url``."""
    run_sql(url, "DROP DATABASE IF EXISTS hc_load WITH (FORCE)", "CREATE DATABASE hc_load")
    return url.rsplit("/", 1)[0] + "/hc_load"


@dataclass(frozen=True)
class Rig:
    """A running server on a populated database, and the files the wrk script reads."""

    base: str
    script: Path
    people: str
    tokens: str


@contextlib.contextmanager
def rig(residents: int, workers: int, postgres: str = "", *, replica: bool = False, **settings: str) -> Iterator[Rig]:
    """A fresh database with ``residents`` logged-in residents, the server (``workers``
    processes, ``settings`` as HEALTHCODE_* variables) on a free port of 127.0.0.1, stopped after
    and its folder removed.
    With ``replica``, the database is ``scripts/cluster``'s: a primary with a streaming replica
    that code display reads, and Redis. On PostgreSQL the servers run as deployed (docs/deploy.md):
    the background jobs in a ``healthcode worker`` of their own, not on the servers' event loops."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    deployed = bool(postgres or replica)  # on PostgreSQL, as deployed: the jobs in a worker of their own
    root = Path(tempfile.mkdtemp(prefix="hc-load-"))
    root.chmod(0o755)  # the cluster's databases run as the postgres user inside
    port = free_port()
    cluster = [sys.executable, str(ROOT / "scripts" / "cluster")]
    shared: dict[str, str] = {}
    if replica:
        subprocess.run([*cluster, "start", str(root / "cluster")], check=True, capture_output=True)
        state = json.loads((root / "cluster" / "cluster.json").read_text())
        names = ("HEALTHCODE_DATABASE_REPLICA_URLS", "HEALTHCODE_REDIS_URL", "HEALTHCODE_VAR_DIR")
        shared = {name: state["env"][name] for name in names}
        postgres_url = state["database_url"]
    os.environ.update(
        {
            "HEALTHCODE_ENV": "test",
            "HEALTHCODE_VAR_DIR": str(root / "var"),
            "HEALTHCODE_DATABASE_URL": postgres_url if replica else fresh_postgres(postgres) if postgres else "",
            "HEALTHCODE_VERIFY_RATE_PER_MINUTE": "100000000",
            "HEALTHCODE_CODE_TTL_S": "3600",  # the verification pool's tokens outlive the run
            "PYTHONPATH": str(ROOT),
            "HEALTHCODE_JOBS_IN_SERVER": "false" if deployed else "true",
            **shared,  # with a replica: the cluster's replica, Redis and secrets
            **{f"HEALTHCODE_{name.upper()}": value for name, value in settings.items()},
        }
    )
    from benchmarks.population import populate
    from healthcode.config import Settings

    subprocess.run([str(BIN / "healthcode"), "db", "upgrade"], check=True, capture_output=True)
    if not replica:  # the cluster made its key
        subprocess.run(
            [str(BIN / "healthcode"), "keys", "generate", "--actor", "load"], check=True, capture_output=True
        )
    people = asyncio.run(populate(Settings(), residents, sessions=True))
    if deployed:  # the fresh rows vacuumed and analysed, as a database in service has them: else
        # autovacuum does it during a measurement (and the first reads of each row set hint bits)
        run_sql(os.environ["HEALTHCODE_DATABASE_URL"], "VACUUM (ANALYZE)")
    serve = ["--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        [str(BIN / "granian"), *serve, APP], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(root / "server.log").open("w")
    )
    worker = None
    if deployed:
        log = (root / "worker.log").open("w")
        worker = subprocess.Popen([str(BIN / "healthcode"), "worker"], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        (root / "people.txt").write_text("".join(f"{p.token} {p.card}\n" for p in people))
        tokens = [str(get(f"{base}/api/v1/cards/{p.card}/code", p.token)["token"]) for p in people[:2000]]
        (root / "tokens.txt").write_text("".join(f"{token}\n" for token in tokens))
        (root / "load.lua").write_text(LUA)
        if worker is not None:
            print(f"database and worker quiet after {settle(('postgres', 'healthcode worker')):.0f} s", file=sys.stderr)
        yield Rig(base, root / "load.lua", str(root / "people.txt"), str(root / "tokens.txt"))
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        if replica:
            subprocess.run([*cluster, "stop", str(root / "cluster")], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)  # the database, its residents' tokens, the cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="how long each endpoint is driven")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--postgres", default="", help="an asyncpg URL of a PostgreSQL server to use instead of SQLite")
    parser.add_argument(
        "--replica",
        action="store_true",
        help="on scripts/cluster's PostgreSQL primary, code display reading its streaming replica (and Redis)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with rig(args.residents, args.workers, args.postgres, replica=args.replica) as r:
        drive = lambda path, *extra: measured(  # noqa: E731
            lambda: wrk(f"{r.base}{path}", args.seconds, args.connections, r.script, *extra)
        )
        results = {
            "bare: sign one token": drive("/bench/sign", r.people, "bare"),
            "GET code (API)": drive("/", r.people, "api"),
            "GET code page (HTML)": drive("/", r.people, "page"),
            "bare: verify one token": drive("/bench/verify", r.tokens, "verify"),
            "POST verification": drive("/api/v1/verifications", r.tokens, "verify"),
        }
    floors = {"GET code (API)": "bare: sign one token", "GET code page (HTML)": "bare: sign one token"}
    floors["POST verification"] = "bare: verify one token"
    database = "PostgreSQL with a replica" if args.replica else "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{database}, {args.residents} residents, {args.workers} workers, {args.connections} connections, "
        f"{args.seconds} s each, wrk on the same machine"
    )
    for name, f in results.items():
        floor = floors.get(name)
        ratio = f"  {f.rps / results[floor].rps:>4.0%} of bare" if floor else ""
        failed = f"  {f.failed} FAILED" if f.failed else ""
        db = f", database {f.db_cpu_us:>3.0f} us" if args.postgres or args.replica else ""
        cpu = f"  CPU/request: app {f.app_cpu_us:>4.0f} us{db}"
        print(f"  {name:<24} {f.rps:>6.0f} req/s  p50 {f.p50_ms:>5.1f} ms  p99 {f.p99_ms:>5.1f} ms{ratio}{cpu}{failed}")
    if args.json:
        args.json.write_text(json.dumps({name: f.__dict__ for name, f in results.items()}, indent=2))


if __name__ == "__main__":
    main()
