"""The audit trail's tamper evidence (SPEC §10): each entry is chained to the one before.

``digest = HMAC-SHA256(audit_key, canonical_json([prev_digest, entry]))``. Changing, inserting or
deleting an entry breaks every digest after it; without the audit key nobody can forge a new
chain. The stored head (last sequence number and digest) carries a MAC of its own
(:func:`head_seal`), so a tail cut off with the head rewritten to the entry before it is found;
and a :class:`Checkpoint` signed outside the database (an anchor) finds a log emptied or rolled
back to an older copy, which a head kept in the same database cannot.

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


@dataclass(frozen=True)
class Checkpoint:
    """An anchor's content: the chain had entry ``seq`` with ``digest`` at ``at``."""

    seq: int
    digest: str
    at: datetime

    def payload(self) -> bytes:
        """What an anchor's signature covers (a wire format, like :meth:`AuditEntry.canonical`)."""
        return json.dumps(["audit-anchor", self.seq, self.digest, self.at.isoformat()], separators=(",", ":")).encode()


def head_seal(key: bytes, seq: int, digest: str) -> str:
    """The MAC of a head state: only a writer holding the audit key can move the head, so a head
    rewritten to an earlier entry (a cut tail) does not carry the seal of that state."""
    return hmac.new(key, f"audit-head:{seq}:{digest}".encode(), sha256).hexdigest()


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


def verify_chain(
    key: bytes,
    stored: Iterable[tuple[AuditEntry, str, str]],
    head: tuple[int, str, str | None],
    anchor: Checkpoint | None = None,
) -> ChainReport:
    """Walk ``(entry, prev_digest, digest)`` in sequence order, compare the end with ``head``
    (sequence, digest, seal; a head never moved has no seal) and the chain with ``anchor``."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    anchored_digest: str | None = None
    for entry, prev_digest, digest in stored:
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if prev_digest != expected_prev:
            return ChainReport(False, checked, entry.seq, "link to the previous entry does not match")
        if not hmac.compare_digest(chain_digest(key, prev_digest, entry), digest):
            return ChainReport(False, checked, entry.seq, "entry was changed after it was written")
        if anchor is not None and entry.seq == anchor.seq:
            anchored_digest = digest
        expected_prev, expected_seq, checked = digest, expected_seq + 1, checked + 1
    head_seq, head_digest, seal = head
    if head_seq != checked or head_digest != expected_prev:
        return ChainReport(False, checked, checked + 1, f"the head says {head_seq} entries, the log holds {checked}")
    if (seal is not None or head_seq > 0) and not hmac.compare_digest(
        seal or "", head_seal(key, head_seq, head_digest)
    ):
        return ChainReport(False, checked, checked + 1, "the head was rewritten without the audit key (a cut tail)")
    if anchor is not None and anchor.seq > checked:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the log ends at entry {checked}, but entry {anchor.seq} was anchored at {anchor.at.isoformat()}: "
            "entries were cut",
        )
    if anchor is not None and anchor.seq > 0 and anchored_digest != anchor.digest:
        return ChainReport(False, checked, anchor.seq, "the entry differs from the one anchored")
    return ChainReport(True, checked)
