"""Every error leaves through here: one JSON shape for the API, a page for browsers.

``{"error": {"code", "message", "field", ...params}}`` with a fitting status, ``Retry-After`` on
429 and 503, messages in the request's language, and never a stack trace.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from healthcode.domain.errors import DomainError, ErrorKind
from healthcode.domain.i18n import N_
from healthcode.i18n import translate
from healthcode.kit.requests import fresh_csrf_cookie, is_api_path, safe_next, set_language

STATUS = {
    ErrorKind.INVALID: 422,
    ErrorKind.MALFORMED: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA: 415,
}

HTTP_MESSAGES = {
    400: ("bad_request", N_("The request could not be read. Check what was sent.")),
    401: ("unauthenticated", N_("Please log in first.")),
    403: ("forbidden", N_("You are not allowed to do this.")),
    404: ("not_found", N_("This page or resource does not exist.")),
    405: ("method_not_allowed", N_("This address does not accept this kind of request.")),
    413: ("too_large", N_("What was sent is too large.")),
    415: ("unsupported_media_type", N_("This kind of content is not accepted here.")),
    429: ("rate_limited", N_("Too many requests. Wait a moment and try again.")),
    500: ("internal_error", N_("Something went wrong on our side. Please try again later.")),
    503: ("unavailable", N_("The service is busy or under maintenance. Please try again later.")),
}


def error_payload(code: str, message: str, field: str | None = None, **params: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **params}}


def translated(exc: DomainError) -> str:
    return translate(exc.message, **exc.params)


def _respond(
    request: Request[Any, Any, Any], status: int, body: dict[str, Any], headers: dict[str, str]
) -> Response[Any]:
    if is_api_path(request.url.path):
        return Response(body, status_code=status, headers=headers, media_type="application/json")
    return Template(
        template_name="error.html",
        context={"error": body["error"], "status": status},
        status_code=status,
        headers=headers,
    )


LOGIN_PAGES = {"unauthenticated": "/login", "staff_unauthenticated": "/staff/login"}


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if exc.code in LOGIN_PAGES and not is_api_path(request.url.path):
        target = LOGIN_PAGES[exc.code]
        if exc.code == "unauthenticated" and request.method == "GET":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?next=" + quote(here, safe="/")
        return Redirect(target, status_code=303)
    status = STATUS[exc.kind]
    headers = {"Retry-After": str(exc.params["retry_after"])} if "retry_after" in exc.params else {}
    return _respond(request, status, error_payload(exc.code, translated(exc), exc.field, **exc.params), headers)


def _invalid_field(exc: ValidationException) -> str | None:
    """The input at fault, from Litestar's validation details (body key, missing field, parameter)."""
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "")
        if key and key != "data":
            return key.split(".")[-1]
        missing = re.search(r"field `([\w.]+)`", str(item.get("message", "")))
        if missing:
            return missing.group(1).split(".")[-1]
    parameter = re.search(r"parameter '(\w+)'", str(exc.detail))
    return parameter.group(1) if parameter else None


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    field = _invalid_field(exc)
    if field:
        message = translate(N_("Field {field} is missing or has the wrong type."), field=field)
        return _respond(request, 400, error_payload("invalid_request", message, field), {})
    code, message = HTTP_MESSAGES[400]
    return _respond(request, 400, error_payload(code, translate(message)), {})


CSRF_FAILED = "CSRF token verification failed"  # what Litestar's CSRF middleware says
NOT_RESENT = frozenset({"_csrf_token", "password", "totp", "code"})
"""Fields a stale form's page does not echo back: the token, and secrets the person types again."""


def stale_form_page(request: Request[Any, Any, Any]) -> Template:
    """A page form sent with a stale CSRF token (open too long, or signed in again in another tab):
    nothing was saved; the page says so plainly and offers to send the same input again under a
    fresh token, set in a new cookie (files and secrets are chosen or typed again)."""
    state = ScopeState.from_scope(request.scope)
    fields: list[tuple[str, str]] = []
    files = False
    for name, sent in state.form.items() if state.form is not Empty else []:
        for value in sent if isinstance(sent, list) else [sent]:
            if not isinstance(value, str):
                files = True
            elif name not in NOT_RESENT:
                fields.append((name, value))
    referrer = urlsplit(request.headers.get("referer", ""))
    back = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    response = Template(
        template_name="stale_form.html",
        context={"action": request.url.path, "fields": fields, "files": files, "back": back},
        status_code=403,
    )
    response.cookies.append(fresh_csrf_cookie(request))
    return response


def from_our_own_page(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser says the request comes from a page of this site (Sec-Fetch-Site, else
    Origin or Referer): only such a stale form is offered to be sent again, never another site's."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None:
        return fetched_from == "same-origin"
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    return bool(source) and urlsplit(source).netloc == request.headers.get("host", "")


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code in (404, 405):  # no route matched: the language middleware did not run
        set_language(request.headers, request.app.state["hc"].settings.default_language)
    stale = exc.status_code == 403 and exc.detail == CSRF_FAILED and not is_api_path(request.url.path)
    if stale and from_our_own_page(request):
        return stale_form_page(request)
    status = exc.status_code
    code, message = HTTP_MESSAGES.get(status, HTTP_MESSAGES[500] if status >= 500 else HTTP_MESSAGES[400])
    headers = dict(exc.headers or {})
    return _respond(request, status, error_payload(code, translate(message)), headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Logged in full for operators; the client gets no detail."""
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, message = HTTP_MESSAGES[500]
    return _respond(request, 500, error_payload(code, translate(message)), {})


BUSY_RETRY_AFTER_S = 5


def busy_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database kept the request waiting past its bound (every pooled connection busy, a
    read that did not answer): a 503 the client may retry, not a traceback."""
    request.logger.warning("busy: %s %s waited too long (%r)", request.method, request.url.path, exc)
    code, message = HTTP_MESSAGES[503]
    body = error_payload(code, translate(message), retry_after=BUSY_RETRY_AFTER_S)
    return _respond(request, 503, body, {"Retry-After": str(BUSY_RETRY_AFTER_S)})


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    TimeoutError: busy_handler,
    SQLAlchemyTimeout: busy_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
