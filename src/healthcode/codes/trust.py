"""The trust list (API.md, SPEC §11): an issuer's public keys and the other issuers' lists it trusts,
signed, published at ``/.well-known/healthcode/trust-list.json``.

::

    {"issuer": "CN-150100",
     "keys": [{"kty": "EC", "crv": "P-256", "x", "y", "kid", "iss", "nbf", "exp"}, ...],
     "trusted": [<another issuer's trust list, exactly as received>, ...],
     "issued_at": 1772330400,
     "signature": {"kid": "<base64url kid>", "alg": "ES256", "value": "<base64url r || s>"}}

The signature is ES256 over the *canonical JSON* of the document without its ``"signature"``
member: keys sorted, no insignificant whitespace, UTF-8, strings escaped only where JSON requires
(``ensure_ascii=False``). For the values a trust list holds (objects, arrays, strings, integers,
``null``, booleans) that is exactly RFC 8785 (JCS); numbers with a fraction are refused, as JCS and
Python would write them differently. The value is the raw 64-byte ``r || s`` as in JWS (RFC 7518
§3.4), base64url without padding. Lists are signed deterministically (RFC 6979), so every worker
of one deployment produces the same bytes and the same ETag for the same content.

Who may sign a list is decided by the *anchors* given to :func:`verify_trust_list`: keys, by kid,
trusted for the list's issuer. Other issuers' lists are configured as files an operator downloads
(``HEALTHCODE_TRUSTED_LISTS``; this platform fetches nothing): :func:`read_trusted_list` checks
such a list against its own keys (the file itself is the operator's trust decision; the
self-signature proves the list is whole and that its issuer's key signed it) and refuses a list
that publishes keys for any issuer but its own. Trust is not transitive: the ``trusted`` member of
a list we trust is shown, never used.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from healthcode.config import Settings
from healthcode.domain.tokens import SigningKey, VerifyingKey, index_keys, keys_from_jwk_set
from healthcode.domain.tokens.format import ISSUER_PATTERN, KID_BYTES, SIGNATURE_BYTES
from healthcode.domain.tokens.keys import b64url, sign_raw, unb64url, verify_raw

log = logging.getLogger("healthcode.codes")

TRUST_LIST_PATH = "/.well-known/healthcode/trust-list.json"
PUBLISH_PERIOD_S = 3600
"""A published document's ``issued_at`` is at least the start of the current hour."""
ALG = "ES256"
_MAX_LIST_BYTES = 1_000_000


class TrustListError(ValueError):
    """A trust list that cannot be trusted or read; the message says which and why, for operators."""


@dataclass(frozen=True)
class TrustList:
    """A checked trust list: its issuer, its keys, when it was issued, and the document as received."""

    issuer: str
    keys: tuple[VerifyingKey, ...]
    issued_at: int
    document: Mapping[str, Any]
    source: str = ""


# --- canonical JSON and base64url -------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes for documents of objects, arrays, strings, integers, booleans and null."""
    _check_canonical(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _check_canonical(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise TrustListError(f"{where}: numbers with a fraction are not allowed in a trust list")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TrustListError(f"{where}: object keys must be strings")
            _check_canonical(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _check_canonical(item, f"{where}[{position}]")
    elif value is not None and not isinstance(value, str | int):
        raise TrustListError(f"{where}: {type(value).__name__} is not a JSON value")


# --- signing and verifying ----------------------------------------------------------------------


def sign_document(content: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """``content`` (a trust list's issuer, keys, trusted, issued_at; or a revocation list's) with
    its ``signature`` member added, as described above."""
    value = sign_raw(key, canonical_json(dict(content)), deterministic=True)
    return {**content, "signature": {"kid": b64url(key.kid), "alg": ALG, "value": b64url(value)}}


def published_document(
    content: Mapping[str, Any], key: SigningKey, changes: Iterable[datetime], now: datetime
) -> tuple[bytes, str]:
    """A signed public document (the trust list, the revocation list) as JSON bytes and a strong
    ETag. Its ``issued_at`` is the last of ``changes``, or the start of the current hour if later:
    the same content gives the same bytes in every worker (the signature is deterministic), and a
    reader still sees a document no older than an hour."""
    hour = int(now.timestamp()) // PUBLISH_PERIOD_S * PUBLISH_PERIOD_S
    issued_at = max([hour, *(int(moment.timestamp()) for moment in changes)])
    signed = sign_document({**content, "issued_at": issued_at}, key)
    body = json.dumps(signed, ensure_ascii=False, indent=2).encode()
    return body, f'"{sha256(body).hexdigest()[:32]}"'


def verify_trust_list(
    document: object, anchor_keys: Mapping[bytes, Sequence[VerifyingKey]], *, source: str = ""
) -> TrustList:
    """Check a trust list's shape and signature against ``anchor_keys`` (by kid, see
    :func:`~healthcode.domain.tokens.index_keys`); raises :class:`TrustListError` saying why.

    The signing key must be an anchor *for the list's issuer*, its window must cover the list's
    ``issued_at``, and every key the list publishes must be the list issuer's own.
    """
    where = f"{source}: " if source else ""
    if not isinstance(document, Mapping):
        raise TrustListError(f"{where}a trust list must be a JSON object")
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not ISSUER_PATTERN.fullmatch(issuer):
        raise TrustListError(f'{where}"issuer" must be 1-32 characters of A-Z a-z 0-9 . _ : -')
    issued_at = document.get("issued_at")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool) or issued_at < 0:
        raise TrustListError(f'{where}"issued_at" must be epoch seconds')
    trusted = document.get("trusted", [])
    if not isinstance(trusted, list) or not all(isinstance(item, Mapping) for item in trusted):
        raise TrustListError(f'{where}"trusted" must be an array of trust lists')
    signature = document.get("signature")
    if not isinstance(signature, Mapping) or signature.get("alg") != ALG:
        raise TrustListError(f'{where}"signature" must be an object with "alg": "ES256", "kid" and "value"')
    try:
        kid = unb64url(signature.get("kid"), KID_BYTES, "signature kid")
        value = unb64url(signature.get("value"), SIGNATURE_BYTES, "signature value")
        keys = keys_from_jwk_set({"keys": document.get("keys")})
        message = canonical_json({name: item for name, item in document.items() if name != "signature"})
    except ValueError as error:  # TrustListError is a ValueError too
        raise TrustListError(f"{where}{error}") from None
    foreign = sorted({key.issuer for key in keys if key.issuer != issuer})
    if foreign:
        raise TrustListError(
            f"{where}the list of {issuer} publishes keys of {', '.join(foreign)}; a list holds only its issuer's keys"
        )
    candidates = [key for key in anchor_keys.get(kid, ()) if key.issuer == issuer]
    if not candidates:
        raise TrustListError(f"{where}the list of {issuer} is signed with key {b64url(kid)}, not a trusted key of it")
    signers = [key for key in candidates if verify_raw(key, message, value)]
    if not signers:
        raise TrustListError(
            f"{where}the signature of {issuer}'s list does not verify: it was changed after signing, or is damaged"
        )
    if not any(key.covers(issued_at) for key in signers):
        raise TrustListError(f"{where}the key that signed {issuer}'s list was not valid at its issued_at")
    return TrustList(issuer, keys, issued_at, document, source)


# --- other issuers' lists, as configured --------------------------------------------------------


def read_trusted_list(source: str | Mapping[str, Any], label: str = "") -> TrustList:
    """A list from ``HEALTHCODE_TRUSTED_LISTS``: a file path, a JSON string or an object, checked
    against its own keys (see the module's notes). Raises :class:`TrustListError`."""
    label = label or (source if isinstance(source, str) and not source.lstrip().startswith("{") else "inline list")
    if isinstance(source, Mapping):
        document: object = source
    else:
        text = source if source.lstrip().startswith("{") else _read_file(Path(source))
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise TrustListError(f"{label}: not valid JSON ({error})") from None
    if not isinstance(document, Mapping):
        raise TrustListError(f"{label}: a trust list must be a JSON object")
    try:
        own = keys_from_jwk_set({"keys": document.get("keys")})
    except ValueError as error:
        raise TrustListError(f"{label}: {error}") from None
    issuer = document.get("issuer")
    return verify_trust_list(document, index_keys(key for key in own if key.issuer == issuer), source=label)


def _read_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_LIST_BYTES + 1)
    except OSError as error:
        raise TrustListError(f"{path}: cannot read the trust list ({error.strerror or error})") from None
    if len(data) > _MAX_LIST_BYTES:
        raise TrustListError(f"{path}: larger than {_MAX_LIST_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TrustListError(f"{path}: not UTF-8") from None


@dataclass(frozen=True)
class _Loaded:
    stamp: object
    trust: TrustList


def _identity(source: str | Mapping[str, Any]) -> tuple[str, object, str]:
    if isinstance(source, Mapping):
        text = json.dumps(source, sort_keys=True)
        return "inline:" + text, None, "inline list"
    if source.lstrip().startswith("{"):
        return "inline:" + source, None, "inline list"
    try:
        stat = os.stat(source)
        stamp: object = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = "missing"
    return "file:" + source, stamp, source


class TrustedListFiles:
    """The other issuers' lists configured in ``HEALTHCODE_TRUSTED_LISTS``, checked, kept for the
    life of what holds this (an app's :class:`~healthcode.codes.memory.KeyMemory`); a file is read
    again when its size or modification time changes."""

    def __init__(self) -> None:
        self._loaded: dict[str, _Loaded] = {}

    def current(self, settings: Settings) -> tuple[TrustList, ...]:
        """The configured lists, checked.

        A list that fails when first loaded raises :class:`TrustListError` (the server does not
        start); a file that changes into a bad list later is logged and its last good version kept.
        A list of this platform's own issuer, or two lists of one issuer, are refused.
        """
        lists: list[TrustList] = []
        for position, source in enumerate(settings.trusted_lists, start=1):
            key, stamp, label = _identity(source)
            label = f"HEALTHCODE_TRUSTED_LISTS item {position} ({label})"
            cached = self._loaded.get(key)
            if cached is not None and cached.stamp == stamp:
                lists.append(cached.trust)
                continue
            try:
                trust = read_trusted_list(source, label)
            except TrustListError as error:
                if cached is None:
                    raise
                log.error("keeping the last good version of a trusted list: %s", error)
                lists.append(cached.trust)
                continue
            self._loaded[key] = _Loaded(stamp, trust)
            lists.append(trust)
        issuers = [trust.issuer for trust in lists]
        if settings.issuer in issuers:
            raise TrustListError(f"HEALTHCODE_TRUSTED_LISTS: a list of this platform's own issuer {settings.issuer}")
        doubled = sorted({issuer for issuer in issuers if issuers.count(issuer) > 1})
        if doubled:
            raise TrustListError(f"HEALTHCODE_TRUSTED_LISTS: more than one list of {', '.join(doubled)}")
        return tuple(lists)


def trusted_lists(settings: Settings) -> tuple[TrustList, ...]:
    """The configured lists, read and checked now (start-up's check, the CLI)."""
    return TrustedListFiles().current(settings)
