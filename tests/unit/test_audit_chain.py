"""The audit chain detects every kind of tampering."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from healthcode.domain.audit import GENESIS, AuditEntry, Checkpoint, chain_digest, head_seal, verify_chain

KEY = b"audit-key"
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


Head = tuple[int, str, str | None]


def sealed(seq: int, digest: str) -> Head:
    """A head as the writer leaves it, sealed with the audit key."""
    return (seq, digest, head_seal(KEY, seq, digest))


def build(n: int) -> tuple[list[tuple[AuditEntry, str, str]], Head]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        entry = AuditEntry(i, T0 + timedelta(seconds=i), f"staff:{i}", "card.read", f"resident:{i}", "{}")
        digest = chain_digest(KEY, prev, entry)
        rows.append((entry, prev, digest))
        prev = digest
    return rows, sealed(n, prev)


def test_intact_chain_verifies() -> None:
    rows, head = build(5)
    report = verify_chain(KEY, rows, head)
    assert report.ok
    assert report.checked == 5


def test_empty_chain_verifies() -> None:
    assert verify_chain(KEY, [], (0, GENESIS, None)).ok


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
    report = verify_chain(KEY, forged, (3, forged_prev, head_seal(b"guessed key", 3, forged_prev)))
    assert (report.ok, report.broken_at) == (False, 1)


def test_a_tail_cut_with_the_head_rewritten_to_match_is_found_by_the_seal() -> None:
    rows, _ = build(5)
    _, _, third = rows[2]
    without_key = verify_chain(KEY, rows[:3], (3, third, None))
    resealed_elsewhere = verify_chain(KEY, rows[:3], (3, third, head_seal(b"guessed key", 3, third)))
    for report in (without_key, resealed_elsewhere):
        assert (report.ok, report.broken_at) == (False, 4)
        assert "head was rewritten" in (report.problem or "")
    assert verify_chain(KEY, rows[:3], sealed(3, third)).ok, "the head the writer sealed at entry 3 is fine"


def test_an_anchor_finds_a_log_emptied_or_cut_behind_it() -> None:
    rows, head = build(5)
    _, _, fourth = rows[3]
    anchor = Checkpoint(4, fourth, T0 + timedelta(seconds=4))
    assert verify_chain(KEY, rows, head, anchor).ok
    emptied = verify_chain(KEY, [], (0, GENESIS, None), anchor)
    assert (emptied.ok, emptied.broken_at) == (False, 1)
    assert "entry 4 was anchored" in (emptied.problem or "")
    _, _, second = rows[1]
    rolled_back = verify_chain(KEY, rows[:2], sealed(2, second), anchor)
    assert (rolled_back.ok, rolled_back.broken_at) == (False, 3)


def test_an_anchor_of_another_chain_is_found() -> None:
    rows, head = build(5)
    other = Checkpoint(4, "f" * 64, T0)
    report = verify_chain(KEY, rows, head, other)
    assert (report.ok, report.broken_at) == (False, 4)
