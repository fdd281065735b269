"""Rotating the data key: every sealed value moves to the new key and still reads the same."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.service import make_card_service
from healthcode.config import Settings
from healthcode.db.models import Application, ApplicationPhoto, Card, StaffAccount
from healthcode.domain.clock import FixedClock
from healthcode.domain.crypto import DataKeyring, DecryptionFailed, generate_key_spec
from healthcode.privacy.sealed import Sealer
from healthcode.privacy.service import rekey
from healthcode.staff.service import StaffService
from tests.factories import photo_bytes, resident
from tests.integration.test_cards import ADULT


async def test_rekey_moves_everything_to_the_new_key(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    me = (await resident(db, clock, "13800138000")).id
    view = await make_card_service(db, settings, clock).apply(me, "张三", "resident_id", ADULT, "self")
    await make_card_service(db, settings, clock).add_photo(me, view.card.public_id, "front", photo_bytes())
    await StaffService(db, settings, clock).create("lisi", "", ["clerk"], password="Clerk-Password-26")

    old = settings.keyring
    new = DataKeyring.parse(generate_key_spec("k2") + "," + settings.data_keys)
    assert await rekey(db, new) == 5  # card number and name, typed name, one photo, one TOTP secret
    assert await rekey(db, new) == 0, "a second run finds nothing left to do"

    db.expire_all()
    card = await db.scalar(select(Card))
    staff = await db.scalar(select(StaffAccount))
    application = await db.scalar(select(Application))
    photo = await db.scalar(select(ApplicationPhoto))
    assert card is not None
    assert staff is not None
    assert application is not None
    assert photo is not None
    for row, column in (
        (card, "document_enc"),
        (card, "name_enc"),
        (application, "name_enc"),
        (staff, "totp_secret_enc"),
    ):
        assert new.key_id_of(getattr(row, column)) == "k2"
    assert Sealer(new).open_text(card, "document_enc") == ADULT
    assert Sealer(new).open_text(application, "name_enc") == "张三"
    assert Sealer(new).open_bytes(photo, "content_enc").startswith(b"\x89PNG")
    only_old = DataKeyring.parse(settings.data_keys)
    with pytest.raises(DecryptionFailed):
        Sealer(only_old).open_text(card, "name_enc")
    assert old.active_id == "k1"
