"""Mainland China mobile numbers: parsing what people type, masking what screens show."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(raw: str) -> str:
    """Return the 11-digit national form of a mainland mobile number, or raise ``phone_invalid``.

    Accepts what people paste: spaces, dashes, a ``+86``/``86`` prefix.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("phone_required", N_("Enter your mobile number."), field="phone")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise InvalidInput(
            "phone_invalid",
            N_("Enter an 11-digit mainland mobile number, such as 13800138000."),
            field="phone",
        )
    return str(number.national_number)


def mask_mobile(phone: str) -> str:
    """``13800138000`` -> ``138****8000``: enough for the owner to recognise it, no more."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
