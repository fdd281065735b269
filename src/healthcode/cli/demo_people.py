"""Demo residents with issued cards in every colour, made through the real services: green
(nothing to report), yellow (a declared fever), red (on an imported close-contact list)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.cards.service import make_card_service
from healthcode.cards.verification import make_verifier
from healthcode.config import Settings
from healthcode.db.models import Application, CardHolder, Resident
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.cards import Outcome, Verdict
from healthcode.domain.clock import Clock
from healthcode.lists.service import make_list_import_service


@dataclass(frozen=True)
class DemoPerson:
    phone: str
    name: str
    number_body: str
    colour: str

    @property
    def number(self) -> str:
        return self.number_body + ric.calc_check_digit(self.number_body + "0")


DEMO_PEOPLE = (
    DemoPerson("13800138000", "张绿", "15010219850101001", "green"),
    DemoPerson("13900139000", "李黄", "15010219900202002", "yellow"),
    DemoPerson("15000150000", "王红", "15010519750303003", "red"),
)
HEALTHY = {"temperature": 36.5, "address_region": "150102", "address_detail": "新华大街1号", "pledge": True}


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (180, 190, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def ensure_demo_people(db: AsyncSession, settings: Settings, clock: Clock) -> None:
    """Create what is missing; a person who already holds a card is left as they are."""
    cards = make_card_service(db, settings, clock)
    for person in DEMO_PEOPLE:
        resident = await db.scalar(select(Resident).where(Resident.phone == person.phone))
        if resident is None:
            resident = Resident(phone=person.phone, created_at=clock.now())
            db.add(resident)
            await db.commit()
        if await db.scalar(select(CardHolder.id).where(CardHolder.resident_id == resident.id)) is not None:
            continue
        view = await cards.apply(resident.id, person.name, "resident_id", person.number, "self")
        for side in view.document_type.photo_sides:
            view = await cards.add_photo(resident.id, view.card.public_id, side, _photo())
        application = await db.scalar(select(Application).where(Application.card_id == view.card.id))
        if application is not None and application.state != "approved":
            await make_verifier(db, settings, clock).conclude(application, Verdict(Outcome.APPROVED), decided_by="demo")
            await db.commit()
        declarations = make_declaration_service(db, settings, clock)
        answers = {**HEALTHY, "temperature": 38.4, "symptoms": ["fever"]} if person.colour == "yellow" else HEALTHY
        await declarations.declare(resident.id, view.card.public_id, answers_from(answers))
        if person.colour == "red":
            imports = make_list_import_service(db, settings, clock)
            today = clock.now().astimezone(settings.zone).date().isoformat()
            csv = f"证件号码,名单类型,起始日期\n{person.number},密切接触者,{today}\n".encode()
            upload = await imports.queue("demo", "cases", "demo-close-contacts.csv", csv)
            await imports.run(upload.id)
