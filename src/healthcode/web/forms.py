"""Helpers for HTML forms: reading them, and turning a domain error into a field message."""

from __future__ import annotations

from typing import Any

from litestar.params import URLEncodedBody

from healthcode.domain.errors import DomainError
from healthcode.web.errors import translated

FormData = URLEncodedBody[dict[str, Any]]


def field_errors(exc: DomainError) -> dict[str, str]:
    """``{field: message}`` for the template; errors without a field go under ``_form``."""
    return {exc.field or "_form": translated(exc)}


def text(form: dict[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)[:limit]
