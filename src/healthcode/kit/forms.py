"""Helpers for HTML forms: reading them, and turning a domain error into a field message."""

from __future__ import annotations

from typing import Any

from litestar.params import URLEncodedBody

from healthcode.domain.errors import DomainError, InvalidInputs
from healthcode.kit.errors import translated

FormData = URLEncodedBody[dict[str, Any]]


def field_errors(exc: DomainError) -> dict[str, str]:
    """``{field: message}`` for the template, every problem of a form checked whole (the first
    per field); errors without a field go under ``_form``."""
    errors: dict[str, str] = {}
    for problem in exc.problems if isinstance(exc, InvalidInputs) else [exc]:
        errors.setdefault(problem.field or "_form", translated(problem))
    return errors


def text(form: dict[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)[:limit]
