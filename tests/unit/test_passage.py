"""Letting a person through a checkpoint: refusing is the default on anything but a valid green code."""

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.passage import Decision, PassException, check_decision, plainly_acceptable


@pytest.mark.parametrize(
    ("reason", "colour", "temperature", "passes"),
    [
        ("ok", "green", None, True),
        ("manual", "green", 36.5, True),
        ("ok", "green", 37.2, True),
        ("ok", "green", 37.3, False),
        ("ok", "yellow", None, False),
        ("ok", "red", None, False),
        ("expired", "green", None, False),
        ("revoked", "green", None, False),
        ("malformed", None, None, False),
    ],
)
def test_only_a_valid_green_code_without_a_fever_passes_plainly(
    reason: str, colour: str | None, temperature: float | None, passes: bool
) -> None:
    assert plainly_acceptable(reason, colour, temperature) is passes


def decide(reason: str, colour: str | None, decision: str, exception: str = "", **kwargs: object) -> object:
    values: dict[str, object] = {"temperature": None, "temperature_required": False} | kwargs
    return check_decision(
        reason=reason,
        colour=colour,
        decision_raw=decision,
        exception_raw=exception,
        **values,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("reason", "colour", "decision", "exception", "expected"),
    [
        ("ok", "green", "allow", "", (Decision.ALLOW, None)),
        ("ok", "green", "allow", "escorted", (Decision.ALLOW, None)),
        ("ok", "red", "deny", "", (Decision.DENY, None)),
        ("ok", "red", "deny", "escorted", (Decision.DENY, None)),
        ("ok", "red", "allow", "fever_clinic", (Decision.ALLOW, PassException.FEVER_CLINIC)),
        ("expired", "green", "allow", "authorised", (Decision.ALLOW, PassException.AUTHORISED)),
    ],
)
def test_decisions_that_stand(
    reason: str, colour: str, decision: str, exception: str, expected: tuple[Decision, PassException | None]
) -> None:
    assert decide(reason, colour, decision, exception) == expected


@pytest.mark.parametrize(
    ("reason", "colour", "decision", "exception", "kwargs", "code", "field"),
    [
        ("ok", "green", "maybe", "", {}, "decision_invalid", "decision"),
        ("ok", "green", "", "", {}, "decision_invalid", "decision"),
        ("ok", "red", "allow", "", {}, "exception_reason_required", "exception_reason"),
        ("ok", "yellow", "allow", "because", {}, "exception_reason_required", "exception_reason"),
        ("malformed", None, "allow", "", {}, "exception_reason_required", "exception_reason"),
        ("ok", "green", "allow", "", {"temperature": 38.0}, "exception_reason_required", "exception_reason"),
        ("ok", "green", "allow", "", {"temperature_required": True}, "temperature_required", "temperature"),
        ("ok", "red", "allow", "escorted", {"temperature_required": True}, "temperature_required", "temperature"),
    ],
)
def test_decisions_refused_with_the_field_at_fault(
    reason: str, colour: str | None, decision: str, exception: str, kwargs: dict[str, object], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decide(reason, colour, decision, exception, **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
