"""The declaration form with its confirmation step (guide step 3): answers that turn the code red or
yellow are shown with the reason before they are kept."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from healthcode.colours.schemas import decision_out
from healthcode.declarations.service import answers_from, make_declaration_service, own_part
from healthcode.domain.declarations import Answers, CaseStatus, Symptom
from healthcode.domain.errors import DomainError, InvalidInput, InvalidInputs
from healthcode.domain.i18n import N_
from healthcode.domain.regions import current_regions, resolve_regions
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, SettingsDep
from healthcode.kit.forms import FormData, field_errors, text

YES = "yes"


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """The form as typed, to show it again (after an error or to edit before confirming)."""
    symptoms = data.get("symptoms", [])
    return {
        "temperature": text(data, "temperature", 10),
        "symptoms": symptoms if isinstance(symptoms, list) else [symptoms],
        "travel": text(data, "travel", 300),
        "contact_with_case": text(data, "contact_with_case", 5),
        "under_quarantine": text(data, "under_quarantine", 5),
        "case_status": text(data, "case_status", 20) or CaseStatus.NONE.value,
        "address": text(data, "address", 60),
        "address_detail": text(data, "address_detail", 250),
        "pledge": text(data, "pledge", 5),
    }


def checked_answers(values: dict[str, Any]) -> Answers:
    """The form's answers, checked whole: every problem at once (:class:`InvalidInputs`), those of
    the places typed as names first, each beside its field."""
    problems: list[InvalidInput] = []

    def resolved(typed: str, field: str) -> list[str]:
        try:
            return resolve_regions(typed, field)
        except InvalidInput as problem:
            problems.append(problem)
            return []

    raw_temperature = values["temperature"].strip()
    try:
        temperature = float(raw_temperature) if raw_temperature else None
    except ValueError:
        temperature = -1.0  # reported by the domain as out of range, beside the field
    address = resolved(values["address"], "address_region") if values["address"].strip() else [""]
    travel = resolved(values["travel"], "travel_regions")
    try:
        answers = answers_from(_answer_shape(values, temperature, travel, address))
    except InvalidInputs as checked:
        problems.extend(checked.problems)
    if problems:
        raise InvalidInputs(problems)
    return answers


def _answer_shape(
    values: dict[str, Any], temperature: float | None, travel: list[str], address: list[str]
) -> dict[str, Any]:
    """Form values in the API's answer shape (regions typed as names already resolved)."""
    return {
        "temperature": temperature,
        "symptoms": values["symptoms"],
        "travel_regions": travel,
        "contact_with_case": values["contact_with_case"] == YES,
        "under_quarantine": values["under_quarantine"] == YES,
        "case_status": values["case_status"],
        "address_region": address[0] if address else "",
        "address_detail": values["address_detail"],
        "pledge": values["pledge"] == YES,
    }


RESIDENT_PLEDGE = N_("I declare that these answers are true. I know that false declarations are prosecuted.")


def declaration_form(
    card: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    *,
    action: str | None = None,
    pledge: str = RESIDENT_PLEDGE,
) -> Template:
    """The form, posted to ``action`` (the resident's own by default; a clerk's desk gives its own)
    with the ``pledge`` (an English msgid) of whoever vouches for the answers."""
    return Template(
        template_name="declarations/form.html",
        context={
            "card": card,
            "form": values,
            "errors": errors,
            "symptoms": list(Symptom),
            "case_statuses": list(CaseStatus),
            "action": action or f"/cards/{card.public_id}/declare",
            "pledge": pledge,
        },
        status_code=status,
    )


@get("/cards/{card_id:str}/declare", name="declare")
async def declare_form(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    service = make_declaration_service(db, settings, clock)
    view = await service.issued_card(resident.id, card_id)
    values = form_values({})
    last = await service.last_address(view)
    if last is not None:  # a correction (FAQ 13/14) should not make anyone type the address again
        names = {region.code: region.full_name for region in current_regions()}
        values["address"], values["address_detail"] = names.get(last[0], last[0]), last[1]
    return declaration_form(view.card, values, {})


@post("/cards/{card_id:str}/declare")
async def declare(
    card_id: FromPath[str],
    data: FormData,
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = make_declaration_service(db, settings, clock)
    view = await service.issued_card(resident.id, card_id)
    values = form_values(data)
    try:
        answers = checked_answers(values)
        if text(data, "edit", 5) == YES:
            return declaration_form(view.card, values, {})
        if text(data, "confirmed", 5) != YES:
            # only what the answers themselves cause is confirmed with the resident
            own = own_part(await service.preview_card(view, answers))
            if own is not None:
                return Template(
                    template_name="declarations/confirm.html",
                    context={
                        "card": view.card,
                        "form": values,
                        "decision": decision_out(own),
                        "action": f"/cards/{card_id}/declare",
                    },
                )
        await service.declare_card(view, answers)
    except DomainError as exc:
        return declaration_form(view.card, values, field_errors(exc), status=422)
    return Redirect(f"/cards/{card_id}?done=declared", status_code=303)


@get("/cards/{card_id:str}/assessment", name="assessment")
async def assessment(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    """个人健康风险评估表 (guide step 6): basic data, the colour and its reasons, the latest
    temperature and declaration."""
    service = make_declaration_service(db, settings, clock)
    history = await service.history(resident.id, card_id)
    view = await service.issued_card(resident.id, card_id)
    latest = history[0] if history else None
    places = {r.code: r.full_name for r in current_regions()}
    return Template(
        template_name="declarations/assessment.html",
        context={
            "card": view.card,
            "reasons": view.reasons,
            "document_type": view.document_type,
            "latest": latest,
            "symptom_labels": [Symptom(s).label for s in latest.symptoms] if latest else [],
            "places": [places.get(code, code) for code in latest.travel_regions] if latest else [],
            "case_status": CaseStatus(latest.case_status) if latest else None,
            "versions": len(history),
        },
    )


router = Router(path="/", route_handlers=[declare_form, declare, assessment], include_in_schema=False)
