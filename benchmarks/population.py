"""Many residents at once, for benchmarks: each with an issued card, declared healthy once (green), of their own
and, when asked, a live device session.

Rows go in by bulk inserts, not through the services (a real-name check and a declaration each
would take minutes for 100,000 people); they hold what the measured paths read. The document
numbers are :func:`benchmarks.listgen.numbers`, so a case list of the same size names them all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select

from benchmarks.listgen import numbers
from healthcode.cards.service import document_index
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.models import AuthSession, Card, CardHolder, Declaration, Resident
from healthcode.domain.clock import SystemClock
from healthcode.domain.crypto import card_id, opaque_id
from healthcode.domain.documents import DocumentType
from healthcode.domain.masking import mask_document
from healthcode.sessions.service import PrincipalKind, token_hash

BATCH = 5_000


@dataclass(frozen=True)
class Person:
    """One benchmark resident: their bearer token (empty without a session) and their card's id."""

    token: str
    card: str


async def populate(settings: Settings, count: int, *, sessions: bool = False) -> list[Person]:
    """``count`` approved green cards, each held by its own resident (``self``, active), matching
    the numbers of :func:`benchmarks.listgen.numbers`; with ``sessions``, a day-long login each."""
    engine = make_engine(settings.database_url)
    now = SystemClock().now()
    people: list[Person] = []
    async with make_sessionmaker(engine)() as db:
        docs = numbers(count)
        for start in range(0, count, BATCH):
            chunk = docs[start : start + BATCH]
            phones = [f"1{3 + i % 7}{start + i:09d}" for i in range(len(chunk))]
            await db.execute(insert(Resident), [{"phone": phone, "created_at": now} for phone in phones])
            cards = [
                {
                    "card_id": card_id(settings.card_key_bytes, "01", number),
                    "public_id": opaque_id(),
                    "document_type": DocumentType.RESIDENT_ID.value,
                    "document_index": document_index(settings, DocumentType.RESIDENT_ID, number),
                    "document_enc": b"x",
                    "name_enc": b"x",
                    "masked_name": "张*",
                    "masked_document": mask_document(number),
                    "status": "approved",
                    "created_at": now,
                    "approved_at": now,
                    "colour": "green",
                    "colour_changed_at": now,
                }
                for number in chunk
            ]
            await db.execute(insert(Card), cards)
            by_phone = select(Resident.phone, Resident.id).where(Resident.phone.in_(phones))
            residents = dict((await db.execute(by_phone)).all())
            by_public_id = select(Card.public_id, Card.id).where(Card.public_id.in_([c["public_id"] for c in cards]))
            card_rows = dict((await db.execute(by_public_id)).all())
            await db.execute(
                insert(CardHolder),
                [
                    {
                        "card_id": card_rows[card["public_id"]],
                        "resident_id": residents[phone],
                        "relationship": "self",
                        "status": "active",
                        "created_at": now,
                    }
                    for phone, card in zip(phones, cards, strict=True)
                ],
            )
            await db.execute(
                insert(Declaration),
                [
                    {
                        "card_id": card_rows[card["public_id"]],
                        "version": 1,
                        "declared_by": residents[phone],
                        "declared_at": now,
                        "temperature": 36.5,
                        "symptoms": [],
                        "travel_regions": [],
                        "contact_with_case": False,
                        "under_quarantine": False,
                        "case_status": "none",
                        "address_region": "150102",
                        "address_detail_enc": b"x",
                        "pledge": True,
                    }
                    for phone, card in zip(phones, cards, strict=True)
                ],
            )
            tokens = [secrets.token_urlsafe(32) if sessions else "" for _ in chunk]
            people += [Person(token, card["public_id"]) for token, card in zip(tokens, cards, strict=True)]
            if sessions:
                await db.execute(
                    insert(AuthSession),
                    [
                        {
                            "principal_kind": PrincipalKind.RESIDENT.value,
                            "principal_id": residents[phone],
                            "token_hash": token_hash(token),
                            "created_at": now,
                            "last_seen_at": now,
                            "expires_at": now + timedelta(days=1),
                            "device": "benchmark",
                        }
                        for phone, token in zip(phones, tokens, strict=True)
                    ],
                )
        await db.commit()
    await engine.dispose()
    return people
