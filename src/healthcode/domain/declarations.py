"""The health declaration (SPEC §4, after the data groups of GB/T 38962): checking what a
resident answers before it is kept."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar, cast

from healthcode.domain.errors import InvalidInput, InvalidInputs
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


_T = TypeVar("_T")
_V = TypeVar("_V")


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
    """Check every answer; every problem found is raised at once (:class:`InvalidInputs`, the
    first being the error itself), each with the field it concerns."""
    problems: list[InvalidInput] = []

    def checked(check: Callable[[_T], _V], raw: _T) -> _V | None:
        try:
            return check(raw)
        except InvalidInput as problem:
            problems.append(problem)
            return None

    checked(_check_temperature, temperature)
    chosen = checked(_check_symptoms, symptoms)
    regions = checked(_check_travel, travel_regions)
    status = checked(_check_case_status, case_status)
    region = checked(_check_address_region, address_region)
    detail = checked(_check_address_detail, address_detail)
    checked(_check_pledge, pledge)
    if problems:
        raise InvalidInputs(problems)
    # without a problem every check returned its value
    return Answers(
        temperature=round(temperature, 1) if temperature is not None else None,
        symptoms=tuple(cast(list[Symptom], chosen)),
        travel_regions=tuple(cast(list[str], regions)),
        contact_with_case=contact_with_case,
        under_quarantine=under_quarantine,
        case_status=cast(CaseStatus, status),
        address_region=cast(str, region),
        address_detail=cast(str, detail),
    )


def _check_temperature(temperature: float | None) -> None:
    if temperature is not None and not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise InvalidInput(
            "temperature_out_of_range",
            N_("Enter the body temperature in °C, between {low} and {high}, such as 36.5."),
            field="temperature",
            low=MIN_TEMPERATURE,
            high=MAX_TEMPERATURE,
        )


def _check_symptoms(symptoms: Iterable[str]) -> list[Symptom]:
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
    return chosen


def _check_travel(travel_regions: Iterable[str]) -> list[str]:
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
    return regions


def _check_case_status(case_status: str) -> CaseStatus:
    try:
        return CaseStatus(case_status.strip())
    except ValueError:
        raise InvalidInput(
            "case_status_unknown", N_("Choose one of the listed answers."), field="case_status"
        ) from None


def _check_address_region(address_region: str) -> str:
    region = address_region.strip()
    if not is_region_code(region):
        raise InvalidInput(
            "address_region_unknown", N_("Choose the district where you live now."), field="address_region"
        )
    return region


def _check_address_detail(address_detail: str) -> str:
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
    return detail


def _check_pledge(pledge: bool) -> None:
    if not pledge:
        raise InvalidInput(
            "pledge_required",
            N_("Confirm that the answers are true: false declarations are prosecuted."),
            field="pledge",
        )
