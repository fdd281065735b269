"""The morning rush (``make surge``): what code display does when the server gets far more than it
can serve, and how fast it recovers.

1. Steady: code display alone for ``--seconds`` with ``--connections`` (the sustainable rate).
2. Surge, 30 s: code display with ``--surge`` (2) times the connections and, at once, as many
   again loading other pages (each resident's card page: what people also open when a city
   wakes up, and what the server refuses first). wrk counts an answer slower than 2 s as failed;
   the figure is the share of code displays answered 200 within 2 s (at least 99 %).
3. After: code display as in step 1, from the moment the surge stops, for 5 s: back to normal
   means its rate and p99 are those of step 1 again.

Built on the load harness (:mod:`benchmarks.load`): the same server, residents and wrk script, on
SQLite or, with ``--postgres URL``, on PostgreSQL with the jobs in a worker as deployed. Only ever
targets 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import subprocess

from benchmarks.load import Figures, figures_of, rig, wrk, wrk_command

SURGE_S = 30
AFTER_S = 5


def share_within_2s(figures: Figures) -> float:
    """Answers that were 200 and came within 2 s, of all requests made."""
    return (figures.requests - figures.failed) / max(figures.requests, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a server setting (max_delay_ms=300)"
    )
    parser.add_argument("--surge", type=int, default=2, help="how many times the steady connections the surge brings")
    parser.add_argument("--postgres", default="", help="an asyncpg URL of a PostgreSQL server to use instead of SQLite")
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    surge_connections = args.surge * args.connections
    with rig(args.residents, args.workers, args.postgres, **settings) as r:
        steady = wrk(f"{r.base}/", args.seconds, args.connections, r.script, r.people, "api")
        displays = subprocess.Popen(
            wrk_command(f"{r.base}/", SURGE_S, surge_connections, r.script, r.people, "api"),
            stdout=subprocess.PIPE,
            text=True,
        )
        pages = subprocess.Popen(
            wrk_command(f"{r.base}/", SURGE_S, surge_connections, r.script, r.people, "card"),
            stdout=subprocess.PIPE,
            text=True,
        )
        surge, crowd = figures_of(displays.communicate()[0]), figures_of(pages.communicate()[0])
        after = wrk(f"{r.base}/", AFTER_S, args.connections, r.script, r.people, "api")
    given = ", ".join(args.set) or "default settings"
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{database}, {args.workers} workers, {args.residents} residents, {given}, wrk on the same machine")
    print(f"  steady   code display {steady.rps:>6.0f} req/s  p99 {steady.p99_ms:>6.1f} ms  ({args.connections} conn.)")
    print(
        f"  surge    code display {surge.rps:>6.0f} req/s  p99 {surge.p99_ms:>6.1f} ms  "
        f"{share_within_2s(surge):.2%} answered 200 within 2 s  ({surge_connections} conn., {SURGE_S} s)"
    )
    print(
        f"           card pages   {crowd.rps:>6.0f} req/s  p99 {crowd.p99_ms:>6.1f} ms  "
        f"{crowd.failed / max(crowd.requests, 1):.0%} refused or late  ({surge_connections} conn.)"
    )
    print(f"  after    code display {after.rps:>6.0f} req/s  p99 {after.p99_ms:>6.1f} ms  (first {AFTER_S} s)")


if __name__ == "__main__":
    main()
