"""The OpenAPI document tells the truth (issue 12.7): every operation lists the errors it can
answer, in the one shape they all have (:mod:`healthcode.kit.errors`), which calls need a login
and how to give it, and what the signed lists hold.

Litestar builds the document from the handlers; this completes it once, when the app is made:
the errors by what an operation takes (a login, a path parameter, a body, a file) and the few it
names itself, so that a new handler is described without a line here.
"""

from __future__ import annotations

from enum import StrEnum

from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from healthcode.apikeys.api import STAFF_API_KEY
from healthcode.domain.cards import Relationship
from healthcode.domain.declarations import CaseStatus, Symptom
from healthcode.domain.documents import DocumentType
from healthcode.domain.passage import Decision, PassException
from healthcode.domain.tickets import TEXT_MAX_LENGTH, TicketCategory
from healthcode.kit.deps import RESIDENT_COOKIE
from healthcode.recodes.service import MAX_APPEAL

ERROR = "Error"
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/api/v1/auth/sms-codes",
        "/api/v1/auth/sms-codes/quota",
        "/api/v1/verifications",
        "/.well-known/healthcode/trust-list.json",
        "/.well-known/healthcode/revocations.json",
    }
)
LOGIN = "POST /api/v1/auth/sessions"
RATE_LIMITED = frozenset({"POST /api/v1/auth/sms-codes", LOGIN, "POST /api/v1/verifications"})
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session_cookie": []}]
DESCRIPTIONS = {
    400: "The request could not be read (malformed JSON, a parameter of the wrong type)",
    401: "No live login (or a wrong or expired SMS code)",
    403: "Logged in, but this is not yours to do",
    404: "No such card, session or record for the caller",
    409: "The state does not allow it now (a card not issued yet, no declaration yet, a pending application)",
    413: "The upload is larger than allowed",
    415: "The upload is not a photo this platform takes",
    422: "A value breaks a rule (a document number's check digit, a phone number); field names it",
    429: "Too many requests: Retry-After says when to try again",
    503: "Busy or the database unreachable: Retry-After says when to try again",
}
_TEXT = Schema(type=OpenAPIType.STRING)
ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, description="A stable machine word"),
                "message": Schema(type=OpenAPIType.STRING, description="For people, in the request's language"),
                "field": Schema(one_of=[_TEXT, Schema(type=OpenAPIType.NULL)], description="The input at fault"),
            },
            additional_properties=True,
            description="Parameters of the message follow (attempts_left, retry_after, ...)",
        )
    },
)
_SIGNATURE = Schema(
    type=OpenAPIType.OBJECT,
    required=["kid", "alg", "value"],
    properties={"kid": _TEXT, "alg": Schema(type=OpenAPIType.STRING, enum=["ES256"]), "value": _TEXT},
)
_SIGNED = {"issuer": _TEXT, "issued_at": Schema(type=OpenAPIType.INTEGER), "signature": _SIGNATURE}
LIST_SCHEMAS = {
    "/.well-known/healthcode/trust-list.json": Schema(
        type=OpenAPIType.OBJECT,
        required=["issuer", "keys", "trusted", "issued_at", "signature"],
        properties={
            **_SIGNED,
            "keys": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT), description="JWKs"),
            "trusted": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
        },
        description="This issuer's public keys (JWK) and the issuers it trusts, signed (ES256)",
    ),
    "/.well-known/healthcode/revocations.json": Schema(
        type=OpenAPIType.OBJECT,
        required=["issuer", "revoked", "issued_at", "signature"],
        properties={**_SIGNED, "revoked": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))},
        description="Token ids this issuer revoked, signed (ES256)",
    ),
}


def _values(enum: type[StrEnum]) -> Schema:
    return Schema(type=OpenAPIType.STRING, enum=[member.value for member in enum])


def _text(least: int, most: int) -> Schema:
    return Schema(type=OpenAPIType.STRING, min_length=least, max_length=most)


_REGION = Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]{6}$", description="A GB/T 2260 region code")
INPUTS: dict[str, dict[str, Schema]] = {
    "CardApplicationIn": {
        "document_type": _values(DocumentType),
        "relationship": _values(Relationship),
        "name": _text(1, 50),
        "document_number": _text(1, 40),
    },
    "DeclarationIn": {
        "symptoms": Schema(type=OpenAPIType.ARRAY, items=_values(Symptom)),
        "case_status": _values(CaseStatus),
        "address_region": _REGION,
        "travel_regions": Schema(type=OpenAPIType.ARRAY, items=_REGION),
    },
    "PhotoUpload": {"side": Schema(type=OpenAPIType.STRING, enum=["front", "back", "page"])},
    "TicketIn": {"category": _values(TicketCategory), "text": _text(1, TEXT_MAX_LENGTH)},
    "AppealIn": {"text": _text(1, MAX_APPEAL)},
    "LoginRequest": {"code": Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]{6}$")},
    "ScanIn": {
        "decision": _values(Decision),
        "exception_reason": Schema(type=OpenAPIType.STRING, enum=["", *PassException]),
    },
    "ListUpload": {"kind": Schema(type=OpenAPIType.STRING, enum=["cases", "areas", "tests"])},
}
"""What the inputs take, beyond their types: the vocabularies and bounds the server checks (rules
JSON Schema cannot say, such as a document's check digit, answer 422 with a specific message)."""


STAFF_API_DESCRIPTIONS = {
    401: "No working staff API key (none, wrong, revoked, or its account locked or disabled)",
    403: "The key lacks the scope, or its account the role the scope needs",
}


def security_components() -> Components:
    """How a resident logs in to the API: the bearer token of ``POST /api/v1/auth/sessions``, or
    the pages' session cookie; how authorities' systems and devices call the staff API: a key."""
    return Components(
        security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", description="The token of a login"),
            STAFF_API_KEY: SecurityScheme(
                type="http",
                scheme="bearer",
                description="A staff API key (`healthcode staff api-key create USER --scope S`)",
            ),
            "session_cookie": SecurityScheme(
                type="apiKey", name=RESIDENT_COOKIE, security_scheme_in="cookie", description="The pages' login"
            ),
        }
    )


def describe(openapi: OpenAPI) -> None:
    """Complete ``openapi`` in place: error responses, logins, the signed lists' shape."""
    components = openapi.components
    components.schemas = {**(components.schemas or {}), ERROR: ERROR_SCHEMA}
    for name, properties in INPUTS.items():
        described = components.schemas.get(name)
        if isinstance(described, Schema) and described.properties:
            described.properties.update(properties)
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is not None:
                _describe_operation(f"{method.upper()} {path}", path, operation)


def _describe_operation(name: str, path: str, operation: Operation) -> None:
    responses = operation.responses or {}
    statuses = {400, 503}
    descriptions = DESCRIPTIONS
    if path not in PUBLIC_PATHS:
        statuses |= {401}
        if any(STAFF_API_KEY in requirement for requirement in operation.security or []):
            statuses |= {403}
            descriptions = {**DESCRIPTIONS, **STAFF_API_DESCRIPTIONS}
        elif name != LOGIN:
            operation.security = SECURITY
    if "{" in path:
        statuses |= {404, 409}
    if operation.request_body is not None or operation.parameters:
        statuses |= {422}
    if name in RATE_LIMITED:
        statuses |= {429}
    body = operation.request_body
    if isinstance(body, RequestBody) and "multipart/form-data" in body.content:
        statuses |= {413, 415}
    if name.startswith("POST ") and path not in PUBLIC_PATHS:
        statuses |= {404, 409}  # a card or record the body names
    error = OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR}"))
    for status in sorted(statuses):
        responses[str(status)] = OpenAPIResponse(description=descriptions[status], content={"application/json": error})
    if path in LIST_SCHEMAS and "200" in responses:
        ok = responses["200"]
        if isinstance(ok, OpenAPIResponse):
            ok.content = {"application/json": OpenAPIMediaType(schema=LIST_SCHEMAS[path])}
    operation.responses = responses
