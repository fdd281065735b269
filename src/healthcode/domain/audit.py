"""The audit trail's tamper evidence (SPEC §10): each entry is chained to the one before.

``digest = HMAC-SHA256(audit_key, canonical_json([prev_digest, entry]))``. Changing, inserting or
deleting an entry breaks every digest after it; without the audit key nobody can forge a new
chain, and the stored head (last sequence number and digest) reveals a truncated tail.

The canonical form below is a wire format: fields may be appended to :class:`AuditEntry` but never
reordered, renamed or removed, or every stored digest stops verifying.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One fact worth keeping: who (actor) did what (action) to whose data (subject), when."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str

    def canonical(self) -> list[object]:
        return [self.seq, self.at.isoformat(), self.actor, self.action, self.subject, self.detail]


def chain_digest(key: bytes, prev_digest: str, entry: AuditEntry) -> str:
    """The digest that links ``entry`` to its predecessor."""
    payload = json.dumps([prev_digest, entry.canonical()], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode(), sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Result of walking the chain: ``ok``, how many entries were checked, and the first break."""

    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str | None = None


def verify_chain(key: bytes, stored: Iterable[tuple[AuditEntry, str, str]], head: tuple[int, str]) -> ChainReport:
    """Walk ``(entry, prev_digest, digest)`` in sequence order and compare the end with ``head``."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for entry, prev_digest, digest in stored:
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if prev_digest != expected_prev:
            return ChainReport(False, checked, entry.seq, "link to the previous entry does not match")
        if not hmac.compare_digest(chain_digest(key, prev_digest, entry), digest):
            return ChainReport(False, checked, entry.seq, "entry was changed after it was written")
        expected_prev, expected_seq, checked = digest, expected_seq + 1, checked + 1
    head_seq, head_digest = head
    if head_seq != checked or head_digest != expected_prev:
        return ChainReport(False, checked, checked + 1, f"the head says {head_seq} entries, the log holds {checked}")
    return ChainReport(True, checked)
