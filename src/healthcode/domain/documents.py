"""Identity documents (SPEC §3): the types a resident may apply with, and their numbers.

``normalize_document_number`` turns what people type into the one stored form, so that the same
document always yields the same card ID (one person, one card). Input is NFKC-normalised first:
Chinese input methods produce full-width digits, letters and brackets (``１５０１``, ``（Ｂ）``), which
are the same characters to the person typing them. All whitespace is removed and letters are
upper-cased, and invisible format characters (zero-width spaces) are dropped; nothing else is.

What each type checks:

- resident ID and household register (the register carries the person's citizen number): GB 11643,
  part by part, each with its own error code; the region rule is explained in
  :mod:`healthcode.domain.gb11643` (any code GB/T 2260 has ever listed, whatever the birth year).
  ``810000``/``820000``/``830000`` are refused with a hint to choose the residence permit instead.
- Hong Kong/Macao/Taiwan residence permit: the same layout and codes, region ``810000`` (Hong Kong),
  ``820000`` (Macao) or ``830000`` (Taiwan).
- foreigner's permanent residence ID: the 2017 card, three letters (nationality) and 12 digits, is
  checked for shape only (we hold no nationality list and its check character is not published);
  the 2023 card, ``9`` and 17 more characters in the GB 11643 layout, for a real birth date in
  characters 7-14 and the MOD 11-2 check character (the province and nationality digits 2-6 are not
  checked, for the same reason).
- birth certificate, passport, travel permits: shape only, as described at each pattern.

Every failure outside the GB 11643 types is ``document_format`` (or ``document_required``) with an
``example`` parameter that the message shows. Names (``normalize_name``) live in
:mod:`healthcode.domain.names` and are re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from healthcode.domain import gb11643
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_

# Names are checked in their own module; they are part of this module's interface all the same.
from healthcode.domain.names import normalize_name as normalize_name

FIELD = "document_number"


class DocumentType(StrEnum):
    """A kind of identity document; the value is what forms, the API and the database carry."""

    RESIDENT_ID = "resident_id"
    HOUSEHOLD_REGISTER = "household_register"
    BIRTH_CERTIFICATE = "birth_certificate"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    HK_MACAO_TAIWAN_RESIDENCE_PERMIT = "hk_macao_taiwan_residence_permit"
    FOREIGN_PERMANENT_RESIDENT_ID = "foreign_permanent_resident_id"

    @property
    def health_card_code(self) -> str:
        """The two-character type code of the health-card scheme (stored; part of the card ID)."""
        return _HEALTH_CARD_CODES[self]

    @property
    def photo_sides(self) -> tuple[str, ...]:
        """The photos an application needs, in the order the form asks for them."""
        return _PHOTO_SIDES.get(self, ("page",))

    def side_label(self, side: str) -> str:
        """What one of :attr:`photo_sides` shows, a msgid for the reader's catalog."""
        return _SIDE_LABELS.get((self, side), _OTHER_SIDE_LABEL)

    @property
    def carries_citizen_number(self) -> bool:
        """Resident ID and household register carry the same citizen number (GB 11643)."""
        return self in _CITIZEN_NUMBER_TYPES

    @property
    def label(self) -> str:
        """The English name, a msgid for the reader's catalog."""
        return _LABELS[self]


# APPEND ONLY. These codes are stored and feed the card ID (SM4 of type code and number): changing
# or reusing a value would give existing cards new IDs or let two documents share one. Add a new
# type with a new, never-used code.
_HEALTH_CARD_CODES: dict[DocumentType, str] = {
    # From the health-card table CV02.01.101.
    DocumentType.RESIDENT_ID: "01",
    DocumentType.HOUSEHOLD_REGISTER: "02",
    DocumentType.PASSPORT: "03",
    DocumentType.HK_MACAO_PERMIT: "06",
    DocumentType.TAIWAN_PERMIT: "07",
    # Platform extensions: CV02.01.101 has no code of its own for these.
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: "08",
    DocumentType.HK_MACAO_TAIWAN_RESIDENCE_PERMIT: "09",
    DocumentType.BIRTH_CERTIFICATE: "11",
}

_PHOTO_SIDES: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.RESIDENT_ID: ("front", "back"),
    # The register's first page (户口本首页) and the person's own page (本人页).
    DocumentType.HOUSEHOLD_REGISTER: ("front", "page"),
}
_SIDE_LABELS = {
    (DocumentType.RESIDENT_ID, "front"): N_("Front of the ID card (the side with the photo)"),
    (DocumentType.RESIDENT_ID, "back"): N_("Back of the ID card (the side with the national emblem)"),
    (DocumentType.HOUSEHOLD_REGISTER, "front"): N_("First page of the household register"),
    (DocumentType.HOUSEHOLD_REGISTER, "page"): N_("The person's own page of the household register"),
}
_OTHER_SIDE_LABEL = N_("The page of the document with the photo and number")
_CITIZEN_NUMBER_TYPES = frozenset({DocumentType.RESIDENT_ID, DocumentType.HOUSEHOLD_REGISTER})

_LABELS: dict[DocumentType, str] = {
    DocumentType.RESIDENT_ID: N_("Resident ID card"),
    DocumentType.HOUSEHOLD_REGISTER: N_("Household register"),
    DocumentType.BIRTH_CERTIFICATE: N_("Birth medical certificate"),
    DocumentType.PASSPORT: N_("Passport"),
    DocumentType.HK_MACAO_PERMIT: N_("Mainland travel permit for Hong Kong and Macao residents"),
    DocumentType.TAIWAN_PERMIT: N_("Mainland travel permit for Taiwan residents"),
    DocumentType.HK_MACAO_TAIWAN_RESIDENCE_PERMIT: N_("Residence permit for Hong Kong, Macao and Taiwan residents"),
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: N_("Foreigner's permanent residence ID card"),
}


def parse_document_type(raw: str) -> DocumentType:
    """The type named by ``raw`` (its value, any case, surrounding spaces allowed)."""
    try:
        return DocumentType((raw or "").strip().lower())
    except ValueError:
        raise InvalidInput(
            "document_type_unknown",
            N_("Choose one of the listed document types."),
            field="document_type",
            known=", ".join(DocumentType),
        ) from None


# Shape-only types: the pattern of the compacted, upper-cased number, and an example for the message.
_SHAPES: dict[DocumentType, tuple[re.Pattern[str], str]] = {
    # 出生医学证明编号: one letter and nine digits.
    DocumentType.BIRTH_CERTIFICATE: (re.compile(r"[A-Z][0-9]{9}"), "O150123456"),
    # Chinese passports (E or G and 8 digits) and foreign ones, whose lengths vary by country.
    DocumentType.PASSPORT: (re.compile(r"[A-Z0-9]{5,20}"), "E12345678"),
    # 港澳居民来往内地通行证: H (Hong Kong) or M (Macao), then 8 digits (10 on older cards).
    DocumentType.HK_MACAO_PERMIT: (re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?"), "H12345678"),
    # 台湾居民来往内地通行证: 8 digits on the current card; the old booklet had 10 digits, sometimes
    # with an issue letter in brackets. Brackets must be balanced or absent.
    DocumentType.TAIWAN_PERMIT: (re.compile(r"[0-9]{8}|[0-9]{10}(?:[A-Z]|\([A-Z]\))?"), "12345678"),
}

_RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")
# Made-up numbers of the right form (the 2023 one has a correct check character).
_FOREIGN_EXAMPLE_2017 = "ABC123456789012"
_FOREIGN_EXAMPLE_2023 = "911840199001010018"


def _compact(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    # Numbers pasted from chat apps and web pages carry invisible format characters (zero-width
    # spaces, direction marks); left in, they would make a right number "19 characters long".
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return "".join(visible.split()).upper()


def normalize_document_number(doc_type: DocumentType, raw: str, today: date) -> str:
    """Return the stored form of a ``doc_type`` number, or raise :class:`InvalidInput` on ``document_number``.

    ``today`` bounds the birth date in numbers that carry one (a birth date cannot be in the future).
    """
    number = _compact(raw)
    if not number:
        raise InvalidInput("document_required", N_("Enter the number printed on your document."), field=FIELD)
    if doc_type.carries_citizen_number:
        return _citizen_number(number, today, residence_permit=False)
    if doc_type is DocumentType.HK_MACAO_TAIWAN_RESIDENCE_PERMIT:
        return _citizen_number(number, today, residence_permit=True)
    if doc_type is DocumentType.FOREIGN_PERMANENT_RESIDENT_ID:
        return _foreign_permanent_resident_id(number, today)
    pattern, example = _SHAPES[doc_type]
    if pattern.fullmatch(number) is None:
        raise _format_error(example)
    if doc_type is DocumentType.TAIWAN_PERMIT:
        # The old booklet prints its issue letter in brackets, 1234567890(B); the brackets are layout.
        return number.replace("(", "").replace(")", "")
    return number


def _format_error(example: str) -> InvalidInput:
    return InvalidInput(
        "document_format",
        N_("This does not look like a number of this document. Enter it as printed, such as {example}."),
        field=FIELD,
        example=example,
    )


def _citizen_number(number: str, today: date, *, residence_permit: bool) -> str:
    """GB 11643 numbers: report the first part that is wrong, in the order the number is read."""
    if len(number) != gb11643.LENGTH:
        raise InvalidInput(
            "document_length",
            N_("The number has {length} characters but must have 18. Check for a missing or extra digit."),
            field=FIELD,
            length=len(number),
        )
    if not gb11643.has_shape(number):
        raise InvalidInput(
            "document_format",
            N_("The number must be 17 digits followed by a digit or the letter X. Remove other letters and symbols."),
            field=FIELD,
        )
    region = number[:6]
    if residence_permit and region not in _RESIDENCE_PERMIT_REGIONS:
        raise InvalidInput(
            "document_region",
            N_(
                "A residence permit number starts with 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan). "
                "Check the first six digits, or choose the document type you hold."
            ),
            field=FIELD,
        )
    if not residence_permit and region in _RESIDENCE_PERMIT_REGIONS:
        raise InvalidInput(
            "document_region",
            N_(
                "Numbers starting with 810000, 820000 or 830000 belong to a residence permit for Hong Kong, "
                "Macao and Taiwan residents. Choose that document type, or check the first six digits."
            ),
            field=FIELD,
        )
    if not residence_permit and not gb11643.is_region_code(region):
        raise InvalidInput(
            "document_region",
            N_("The first six digits are not a region code. Check them against your document."),
            field=FIELD,
        )
    problem = gb11643.birth_date_problem(number, today)
    if problem is not None:
        raise InvalidInput("document_birth_date", _BIRTH_DATE_MESSAGES[problem], field=FIELD)
    if not gb11643.check_character_matches(number):
        raise InvalidInput(
            "document_checksum",
            N_("The last character does not match the rest of the number. Check the last character, then the others."),
            field=FIELD,
        )
    return number


_BIRTH_DATE_MESSAGES = {
    "not_a_date": N_("Digits 7 to 14 are the birth date (YYYYMMDD) but are not a real date. Check them."),
    "future": N_("Digits 7 to 14 are the birth date (YYYYMMDD) but are in the future. Check them."),
    "too_old": N_("Digits 7 to 14 are the birth date (YYYYMMDD) but are before 1900. Check them."),
}


def _foreign_permanent_resident_id(number: str, today: date) -> str:
    if len(number) == 15 and _FOREIGN_2017.fullmatch(number):
        return number
    if (
        len(number) == gb11643.LENGTH
        and number.startswith("9")
        and gb11643.has_shape(number)
        and gb11643.birth_date_problem(number, today) is None
        and gb11643.check_character_matches(number)
    ):
        return number
    raise InvalidInput(
        "document_format",
        N_(
            "Enter the number as printed: 15 characters on cards issued before 2023, such as {example}, "
            "or 18 on newer cards, such as {example_2023}. On a newer card, check the birth date in "
            "digits 7 to 14 and the last character."
        ),
        field=FIELD,
        example=_FOREIGN_EXAMPLE_2017,
        example_2023=_FOREIGN_EXAMPLE_2023,
    )


_BIRTH_DATE_TYPES = frozenset(
    {DocumentType.RESIDENT_ID, DocumentType.HOUSEHOLD_REGISTER, DocumentType.HK_MACAO_TAIWAN_RESIDENCE_PERMIT}
)


def birth_date_of(doc_type: DocumentType, number: str) -> date | None:
    """The birth date a stored number carries, or None when its type (or this number) carries none.

    Resident IDs, household registers, residence permits and 2023 foreigner's IDs carry one.
    """
    if len(number) != gb11643.LENGTH:
        return None
    if doc_type in _BIRTH_DATE_TYPES or (
        doc_type is DocumentType.FOREIGN_PERMANENT_RESIDENT_ID and number.startswith("9")
    ):
        return gb11643.birth_date(number)
    return None
