"""The audit chain detects every kind of tampering."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from healthcode.domain.audit import GENESIS, AuditEntry, chain_digest, verify_chain

KEY = b"audit-key"
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def build(n: int) -> tuple[list[tuple[AuditEntry, str, str]], tuple[int, str]]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        entry = AuditEntry(i, T0 + timedelta(seconds=i), f"staff:{i}", "card.read", f"resident:{i}", "{}")
        digest = chain_digest(KEY, prev, entry)
        rows.append((entry, prev, digest))
        prev = digest
    return rows, (n, prev)


def test_intact_chain_verifies() -> None:
    rows, head = build(5)
    report = verify_chain(KEY, rows, head)
    assert report.ok
    assert report.checked == 5


def test_empty_chain_verifies() -> None:
    assert verify_chain(KEY, [], (0, GENESIS)).ok


def test_changed_entry_is_found() -> None:
    rows, head = build(5)
    entry, prev, digest = rows[2]
    rows[2] = (replace(entry, subject="resident:999"), prev, digest)
    report = verify_chain(KEY, rows, head)
    assert not report.ok
    assert report.broken_at == 3


def test_deleted_entry_is_found() -> None:
    rows, head = build(5)
    del rows[1]
    report = verify_chain(KEY, rows, head)
    assert (report.ok, report.broken_at) == (False, 2)


def test_truncated_tail_is_found_through_the_head() -> None:
    rows, head = build(5)
    report = verify_chain(KEY, rows[:3], head)
    assert (report.ok, report.broken_at) == (False, 4)


def test_rewritten_chain_without_the_key_is_found() -> None:
    rows, _ = build(3)
    forged_prev = GENESIS
    forged = []
    for entry, _, _ in rows:
        digest = chain_digest(b"guessed key", forged_prev, entry)
        forged.append((entry, forged_prev, digest))
        forged_prev = digest
    report = verify_chain(KEY, forged, (3, forged_prev))
    assert (report.ok, report.broken_at) == (False, 1)
