"""The health declaration (SPEC §4, after the data groups of GB/T 38962): checking what a
resident answers before it is kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from healthcode.domain.errors import InvalidInput
from healthcode.domain.gb11643 import is_region_code
from healthcode.domain.i18n import N_

MIN_TEMPERATURE, MAX_TEMPERATURE = 34.0, 43.0
MAX_TRAVEL_REGIONS = 30
MAX_ADDRESS_LENGTH = 200


class Symptom(StrEnum):
    """Symptoms asked about. Stored and in the API: append only."""

    FEVER = "fever"
    COUGH = "cough"
    SORE_THROAT = "sore_throat"
    FATIGUE = "fatigue"
    SHORT_BREATH = "short_breath"
    DIARRHOEA = "diarrhoea"
    TASTE_SMELL_LOSS = "taste_smell_loss"

    @property
    def label(self) -> str:
        return SYMPTOM_LABELS[self]


SYMPTOM_LABELS = {
    Symptom.FEVER: N_("Fever"),
    Symptom.COUGH: N_("Cough"),
    Symptom.SORE_THROAT: N_("Sore throat"),
    Symptom.FATIGUE: N_("Fatigue"),
    Symptom.SHORT_BREATH: N_("Shortness of breath"),
    Symptom.DIARRHOEA: N_("Diarrhoea"),
    Symptom.TASTE_SMELL_LOSS: N_("Loss of taste or smell"),
}


class CaseStatus(StrEnum):
    NONE = "none"
    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    ASYMPTOMATIC = "asymptomatic"

    @property
    def label(self) -> str:
        return CASE_STATUS_LABELS[self]


CASE_STATUS_LABELS = {
    CaseStatus.NONE: N_("None of these"),
    CaseStatus.CONFIRMED: N_("Confirmed case"),
    CaseStatus.SUSPECTED: N_("Suspected case"),
    CaseStatus.ASYMPTOMATIC: N_("Asymptomatic infection"),
}


@dataclass(frozen=True)
class Answers:
    """A checked declaration, ready to keep and to evaluate."""

    temperature: float | None
    symptoms: tuple[Symptom, ...]
    travel_regions: tuple[str, ...]
    contact_with_case: bool
    under_quarantine: bool
    case_status: CaseStatus
    address_region: str
    address_detail: str


def check_answers(
    *,
    temperature: float | None,
    symptoms: Iterable[str],
    travel_regions: Iterable[str],
    contact_with_case: bool,
    under_quarantine: bool,
    case_status: str,
    address_region: str,
    address_detail: str,
    pledge: bool,
) -> Answers:
    """Check every answer; the first problem found is raised with the field it concerns."""
    if temperature is not None and not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise InvalidInput(
            "temperature_out_of_range",
            N_("Enter the body temperature in °C, between {low} and {high}, such as 36.5."),
            field="temperature",
            low=MIN_TEMPERATURE,
            high=MAX_TEMPERATURE,
        )
    chosen: list[Symptom] = []
    for raw in symptoms:
        try:
            symptom = Symptom(str(raw).strip())
        except ValueError:
            raise InvalidInput(
                "symptom_unknown",
                N_("Unknown symptom {symptom}; choose from the list."),
                field="symptoms",
                symptom=str(raw)[:40],
            ) from None
        if symptom not in chosen:
            chosen.append(symptom)
    regions: list[str] = []
    for raw in travel_regions:
        code = str(raw).strip()
        if not is_region_code(code):
            raise InvalidInput(
                "region_unknown",
                N_("{region} is not a region code. Choose the places from the list."),
                field="travel_regions",
                region=code[:20],
            )
        if code not in regions:
            regions.append(code)
    if len(regions) > MAX_TRAVEL_REGIONS:
        raise InvalidInput(
            "travel_regions_too_many",
            N_("List at most {n} places."),
            field="travel_regions",
            n=MAX_TRAVEL_REGIONS,
        )
    try:
        status = CaseStatus(case_status.strip())
    except ValueError:
        raise InvalidInput(
            "case_status_unknown", N_("Choose one of the listed answers."), field="case_status"
        ) from None
    region = address_region.strip()
    if not is_region_code(region):
        raise InvalidInput(
            "address_region_unknown", N_("Choose the district where you live now."), field="address_region"
        )
    detail = " ".join(address_detail.split())
    if not detail:
        raise InvalidInput("address_required", N_("Enter your current address."), field="address_detail")
    if len(detail) > MAX_ADDRESS_LENGTH:
        raise InvalidInput(
            "address_too_long",
            N_("Write the address in at most {n} characters."),
            field="address_detail",
            n=MAX_ADDRESS_LENGTH,
        )
    if not pledge:
        raise InvalidInput(
            "pledge_required",
            N_("Confirm that the answers are true: false declarations are prosecuted."),
            field="pledge",
        )
    return Answers(
        temperature=round(temperature, 1) if temperature is not None else None,
        symptoms=tuple(chosen),
        travel_regions=tuple(regions),
        contact_with_case=contact_with_case,
        under_quarantine=under_quarantine,
        case_status=status,
        address_region=region,
        address_detail=detail,
    )
