"""The signed code token (DESIGN.md "The code token"): issue, verify, every way a token can fail."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from collections.abc import Sequence
from hashlib import sha256
from typing import Any

import base45
import cbor2
import pytest
import segno
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from healthcode.domain.tokens import (
    CodeClaims,
    Reason,
    SigningKey,
    TokenKind,
    Verification,
    VerifyingKey,
    generate_signing_key,
    index_keys,
    issue_token,
    jwk_of,
    jwk_set,
    keys_from_jwk_set,
    kid_of,
    new_token_id,
    signing_key_of,
    verify_token,
    verifying_key_for,
    verifying_key_from_jwk,
)
from healthcode.domain.tokens.format import (
    BUILTIN_CBOR_TAGS,
    MalformedToken,
    b45decode,
    b45encode,
    decode_cbor,
    encode_protected,
    encode_token,
    sig_structure,
)
from healthcode.domain.tokens.keys import HALF_ORDER, P256_ORDER, sign_raw

NOW = 1_700_000_000
ISSUER = "CN-150100"
KEY = generate_signing_key()
OTHER_KEY = generate_signing_key()
TRUSTED = index_keys([verifying_key_for(KEY, ISSUER)])
BASE45_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def claims(**changes: object) -> CodeClaims:
    """A live green code issued now, as the code page shows it."""
    base = CodeClaims(
        issuer=ISSUER,
        issued_at=NOW,
        expires_at=NOW + 180,
        colour="green",
        masked_name="张*丰",
        masked_document="1501**********1234",
        kind=TokenKind.LIVE,
        token_id=bytes.fromhex("0102030405060708"),
        card_reference=bytes.fromhex("a1a2a3a4a5a6a7a8"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def verify(token: str, now: int = NOW, **options: object) -> Verification:
    return verify_token(token, TRUSTED, now, **options)  # type: ignore[arg-type]


def qr_version(token: str) -> int:
    version = segno.make(token, error="m", boost_error=False, micro=False).version
    assert isinstance(version, int)
    return version


# Taking tokens apart with the reference libraries (base45 package, plain cbor2), not our code.


def parts_of(token: str) -> list[Any]:
    sign1 = cbor2.loads(base45.b45decode(token.removeprefix("HC1:")))
    return list(sign1.value)


def assemble(parts: Sequence[object], tag: int = 18) -> str:
    encoded: bytes = base45.b45encode(cbor2.dumps(cbor2.CBORTag(tag, list(parts))))
    return "HC1:" + encoded.decode()


def sign_payload(payload: bytes, key: SigningKey = KEY) -> str:
    """A correctly signed token around any payload bytes: for claims only the parser can reject."""
    protected = encode_protected(key.kid)
    return encode_token(protected, payload, sign_raw(key, sig_structure(protected, payload)))


def cwt(**overrides: object) -> dict[int, object]:
    """The CWT claims of :func:`claims` as plain CBOR values, with entries replaced or removed (``...``).

    ``k4=...`` names CWT claim 4 (``km260`` is -260), ``c1=...`` field 1 of the health-code claim.
    """
    code: dict[int, object] = {1: "g", 2: "张*丰", 3: "1501**********1234", 4: 0, 5: bytes(8)}
    top: dict[int, object] = {1: ISSUER, 4: NOW + 180, 6: NOW, -260: code}
    for name, value in overrides.items():
        where, key = (code, int(name[1:])) if name.startswith("c") else (top, int(name.replace("m", "-")[1:]))
        if value is ...:
            del where[key]
        else:
            where[key] = value
    return top


# --- issuing and reading back ---------------------------------------------------------------


def test_an_issued_token_verifies_and_gives_back_its_claims() -> None:
    original = claims()
    result = verify(issue_token(original, KEY))
    assert result == Verification(Reason.OK, original)
    assert result.valid


@pytest.mark.parametrize("colour", ["green", "yellow", "red"])
@pytest.mark.parametrize("kind", list(TokenKind))
def test_every_colour_and_kind_round_trips(colour: str, kind: TokenKind) -> None:
    original = claims(colour=colour, kind=kind, expires_at=NOW + 14 * 86_400)
    assert verify(issue_token(original, KEY)).claims == original


def test_colours_travel_as_one_letter() -> None:
    payload = cbor2.loads(parts_of(issue_token(claims(colour="yellow"), KEY))[2])
    assert payload == {
        1: ISSUER,
        4: NOW + 180,
        6: NOW,
        -260: {
            1: "y",
            2: "张*丰",
            3: "1501**********1234",
            4: 0,
            5: bytes.fromhex("0102030405060708"),
            6: bytes.fromhex("a1a2a3a4a5a6a7a8"),
        },
    }
    assert 6 not in cbor2.loads(parts_of(issue_token(claims(card_reference=None), KEY))[2])[-260]


def test_the_encoding_is_deterministic_cbor() -> None:
    protected, _, payload, _ = parts_of(issue_token(claims(), KEY))
    for encoded in (protected, payload):
        assert cbor2.dumps(cbor2.loads(encoded), canonical=True) == encoded


def test_protected_header_names_es256_and_the_kid() -> None:
    protected, unprotected, _, signature = parts_of(issue_token(claims(), KEY))
    assert cbor2.loads(protected) == {1: -7, 4: KEY.kid}
    assert unprotected == {}
    assert isinstance(signature, bytes)
    assert len(signature) == 64


def test_a_live_token_is_200_to_250_characters_of_qr_alphanumerics() -> None:
    token = issue_token(claims(), KEY)
    assert token.startswith("HC1:")
    assert set(token) <= set(BASE45_CHARS)  # QR alphanumeric mode: 5.5 bits a character
    assert 200 <= len(token) <= 262, len(token)  # 255 with this name and document: QR version 9


@pytest.mark.parametrize(
    ("masked_name", "masked_document"),
    [
        ("张*丰", "1501**********1234"),  # resident ID: version 9
        ("张*", "E****5678"),  # passport
        ("阿*****曼", "1501**********123X"),  # a long minority name
        ("M******** O*****", "AB12************3456"),  # Latin name, long foreign document
    ],
)
def test_a_live_token_fits_qr_version_10_at_level_m(masked_name: str, masked_document: str) -> None:
    token = issue_token(claims(masked_name=masked_name, masked_document=masked_document), KEY)
    assert qr_version(token) <= 10


def test_the_qr_code_scans_back_into_a_token_that_verifies() -> None:
    token = issue_token(claims(), KEY)
    png = io.BytesIO()
    segno.make(token, error="m", micro=False).save(png, kind="png", scale=3, border=4)
    png.seek(0)
    scanned = zxingcpp.read_barcodes(
        Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode
    )  # a QR, not a 1D code zxing thinks it sees in it
    assert [barcode.text for barcode in scanned] == [token]
    assert verify(scanned[0].text).valid


def test_longest_claims_allowed_still_fit_the_size_limits() -> None:
    # 4-byte UTF-8 characters at the length limits: the worst case the parser accepts must verify.
    issuer = "X" * 32
    longest = claims(issuer=issuer, masked_name="𠀀" * 64, masked_document="𠀀" * 32, expires_at=253_402_300_799)
    token = issue_token(longest, KEY)
    assert len(base45.b45decode(token[4:])) <= 600
    assert verify_token(token, index_keys([verifying_key_for(KEY, issuer)]), NOW).claims == longest


def test_token_ids_are_8_random_bytes() -> None:
    ids = {new_token_id() for _ in range(100)}
    assert len(ids) == 100
    assert {len(token_id) for token_id in ids} == {8}


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "purple"},
        {"colour": "g"},  # the wire letter is not a colour word
        {"issuer": ""},
        {"issuer": "CN 150100"},
        {"masked_name": ""},
        {"masked_name": "张\u202e*丰"},  # a bidi override would reorder what the guard reads
        {"masked_name": "*" * 65},
        {"masked_document": "1501\n1234"},
        {"token_id": bytes(7)},
        {"expires_at": NOW - 1},
        {"issued_at": -1},
        {"issued_at": float(NOW)},
        {"kind": 1},
    ],
)
def test_issuing_refuses_claims_that_no_verifier_would_accept(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="cannot issue a token"):
        issue_token(claims(**change), KEY)


# --- tampering and keys ----------------------------------------------------------------------


def test_a_changed_payload_byte_breaks_the_signature() -> None:
    parts = parts_of(issue_token(claims(colour="red"), KEY))
    payload = bytearray(parts[2])
    payload[payload.index(b"r")] = ord("g")  # red becomes green
    parts[2] = bytes(payload)
    assert verify(assemble(parts)) == Verification(Reason.BAD_SIGNATURE, None)


def test_a_changed_signature_byte_breaks_the_signature() -> None:
    parts = parts_of(issue_token(claims(), KEY))
    parts[3] = bytes([parts[3][0] ^ 1]) + parts[3][1:]
    assert verify(assemble(parts)) == Verification(Reason.BAD_SIGNATURE, None)


def test_signatures_are_issued_and_accepted_in_low_s_form_only() -> None:
    """``(r, n - s)`` is a second valid ECDSA signature of the same token: issued signatures are
    always the low one (s <= n/2) and the high twin is refused, so a token has one encoding."""
    for _ in range(64):  # about half of raw ECDSA signatures come out high
        token = issue_token(claims(), KEY)
        parts = parts_of(token)
        s = int.from_bytes(parts[3][32:], "big")
        assert 0 < s <= HALF_ORDER
        assert verify(token).reason is Reason.OK
        parts[3] = parts[3][:32] + (P256_ORDER - s).to_bytes(32, "big")
        assert verify(assemble(parts)) == Verification(Reason.BAD_SIGNATURE, None)


def test_a_signature_from_another_key_under_our_kid_is_bad() -> None:
    forged = sign_payload(parts_of(issue_token(claims(), KEY))[2], OTHER_KEY)
    parts = parts_of(forged)
    parts[0] = encode_protected(KEY.kid)  # claim to be signed by our key
    assert verify(assemble(parts)).reason is Reason.BAD_SIGNATURE


def test_the_signature_is_checked_before_the_payload_is_parsed() -> None:
    parts = parts_of(issue_token(claims(), KEY))
    parts[2] = b"\xff not CBOR at all"
    assert verify(assemble(parts)).reason is Reason.BAD_SIGNATURE  # not "malformed": nothing was parsed
    assert verify(sign_payload(b"\xff not CBOR at all")).reason is Reason.MALFORMED


@pytest.mark.parametrize("real_first", [True, False])
def test_keys_sharing_a_kid_are_all_tried(real_first: bool) -> None:
    real = verifying_key_for(KEY, ISSUER)
    impostor = dataclasses.replace(verifying_key_for(OTHER_KEY, ISSUER), kid=KEY.kid)
    keys = {KEY.kid: [real, impostor] if real_first else [impostor, real]}
    assert verify_token(issue_token(claims(), KEY), keys, NOW).reason is Reason.OK


def test_a_kid_whose_keys_all_fail_is_a_bad_signature() -> None:
    impostor = dataclasses.replace(verifying_key_for(OTHER_KEY, ISSUER), kid=KEY.kid)
    result = verify_token(issue_token(claims(), KEY), {KEY.kid: [impostor]}, NOW)
    assert result == Verification(Reason.BAD_SIGNATURE, None)


def test_an_unknown_kid_is_an_unknown_issuer() -> None:
    assert verify(issue_token(claims(), OTHER_KEY)) == Verification(Reason.UNKNOWN_ISSUER, None)
    assert verify_token(issue_token(claims(), KEY), {}, NOW).reason is Reason.UNKNOWN_ISSUER


def test_a_key_signing_for_another_issuer_is_not_trusted_for_it() -> None:
    # Our key, but the claims say Beijing: the signature is sound, the issuer is not this key's.
    result = verify(issue_token(claims(issuer="CN-110000"), KEY))
    assert result == Verification(Reason.UNKNOWN_ISSUER, None)


def test_a_key_listed_for_two_issuers_verifies_for_both() -> None:
    keys = index_keys([verifying_key_for(KEY, ISSUER), verifying_key_for(KEY, "CN-110000")])
    assert verify_token(issue_token(claims(issuer="CN-110000"), KEY), keys, NOW).valid
    assert verify_token(issue_token(claims(), KEY), keys, NOW).valid


# --- time, windows, revocation --------------------------------------------------------------


def test_an_expired_token_says_so_and_still_shows_whose_it_was() -> None:
    token = issue_token(claims(), KEY)
    result = verify(token, now=NOW + 180 + 31)
    assert result == Verification(Reason.EXPIRED, claims())
    assert not result.valid


def test_a_token_from_the_future_is_not_yet_valid() -> None:
    token = issue_token(claims(issued_at=NOW + 60, expires_at=NOW + 240), KEY)
    assert verify(token).reason is Reason.NOT_YET_VALID


@pytest.mark.parametrize(
    ("now", "leeway", "reason"),
    [
        (NOW + 180 + 30, 30, Reason.OK),  # expiry plus the whole leeway: still accepted
        (NOW + 180 + 31, 30, Reason.EXPIRED),
        (NOW + 180, 0, Reason.OK),  # exactly at expiry
        (NOW + 181, 0, Reason.EXPIRED),
        (NOW - 30, 30, Reason.OK),  # the verifier's clock 30 s behind the issuer's
        (NOW - 31, 30, Reason.NOT_YET_VALID),
        (NOW, 0, Reason.OK),
        (NOW - 1, 0, Reason.NOT_YET_VALID),
    ],
)
def test_leeway_edges(now: int, leeway: int, reason: Reason) -> None:
    assert verify(issue_token(claims(), KEY), now=now, leeway=leeway).reason is reason


def windowed(not_before: int | None, not_after: int | None) -> dict[bytes, tuple[VerifyingKey, ...]]:
    return index_keys([verifying_key_for(KEY, ISSUER, not_before=not_before, not_after=not_after)])


def test_a_retired_key_still_verifies_a_paper_certificate_it_signed() -> None:
    certificate = issue_token(claims(kind=TokenKind.PAPER, expires_at=NOW + 14 * 86_400), KEY)
    retired = windowed(NOW - 86_400, NOW + 3_600)  # retired an hour after it signed
    assert verify_token(certificate, retired, NOW + 10 * 86_400).reason is Reason.OK


@pytest.mark.parametrize(
    ("not_before", "not_after", "reason"),
    [
        (NOW, NOW, Reason.OK),  # both ends of the window count
        (None, None, Reason.OK),
        (NOW + 1, None, Reason.UNKNOWN_ISSUER),  # signed before the key was in service
        (None, NOW - 1, Reason.UNKNOWN_ISSUER),  # signed after the key was retired
    ],
)
def test_the_key_window_bounds_the_issue_time(not_before: int | None, not_after: int | None, reason: Reason) -> None:
    result = verify_token(issue_token(claims(), KEY), windowed(not_before, not_after), NOW)
    assert result.reason is reason
    assert (result.claims is None) is (reason is Reason.UNKNOWN_ISSUER)


def test_a_revoked_token_is_refused_by_its_id() -> None:
    certificate = claims(kind=TokenKind.PAPER, expires_at=NOW + 14 * 86_400)
    token = issue_token(certificate, KEY)
    assert verify(token, revoked={certificate.token_id}) == Verification(Reason.REVOKED, certificate)
    assert verify(token, revoked={bytes(8)}).valid


def test_expiry_is_reported_before_revocation() -> None:
    token = issue_token(claims(), KEY)
    assert verify(token, now=NOW + 3_600, revoked={claims().token_id}).reason is Reason.EXPIRED


# --- malformed tokens ------------------------------------------------------------------------

GOOD = issue_token(claims(), KEY)
GOOD_PARTS = parts_of(GOOD)


def with_part(index: int, value: object) -> str:
    parts = list(GOOD_PARTS)
    parts[index] = value
    return assemble(parts)


def raw(data: bytes) -> str:
    encoded: bytes = base45.b45encode(data)
    return "HC1:" + encoded.decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("HC1:", id="prefix only"),
        pytest.param("HC2:" + GOOD[4:], id="unknown version"),
        pytest.param("hc1:" + GOOD[4:], id="lowercase prefix"),
        pytest.param(GOOD[4:], id="no prefix"),
        pytest.param(" " + GOOD, id="leading space"),
        pytest.param(GOOD + "\n", id="trailing newline"),
        pytest.param("HC1:" + GOOD[4:].lower(), id="lowercase base45"),
        pytest.param(GOOD[:-1], id="base45 one character short"),
        pytest.param("HC1:::::::", id="base45 triple over 0xFFFF"),
        pytest.param("HC1:::", id="base45 pair over 0xFF"),
        pytest.param(raw(b"\xff\xfe\xfd"), id="not CBOR"),
        pytest.param(raw(cbor2.dumps(GOOD_PARTS)), id="untagged array"),
        pytest.param(assemble(GOOD_PARTS, tag=17), id="COSE_Mac0 tag"),
        pytest.param(raw(cbor2.dumps(cbor2.CBORTag(18, GOOD_PARTS[:3]))), id="three parts"),
        pytest.param(raw(cbor2.dumps(cbor2.CBORTag(18, {"a": 1}))), id="tag 18 on a map"),
        pytest.param(raw(cbor2.dumps(cbor2.CBORTag(18, [*GOOD_PARTS, b""]))), id="five parts"),
        pytest.param(raw(base45.b45decode(GOOD[4:]) + b"\x00"), id="trailing byte"),
        pytest.param(with_part(0, {1: -7, 4: KEY.kid}), id="protected header not wrapped in bytes"),
        pytest.param(with_part(0, cbor2.dumps({1: -35, 4: KEY.kid})), id="ES384 in the header"),
        pytest.param(with_part(0, cbor2.dumps({1: -7.0, 4: KEY.kid})), id="alg as a float"),
        pytest.param(with_part(0, cbor2.dumps({4: KEY.kid})), id="no alg"),
        pytest.param(with_part(0, cbor2.dumps({1: -7, 4: KEY.kid[:7]})), id="kid of 7 bytes"),
        pytest.param(with_part(0, cbor2.dumps({1: -7})), id="no kid"),
        pytest.param(with_part(0, cbor2.dumps({1: -7, 2: [99], 4: KEY.kid})), id="critical header"),
        pytest.param(with_part(0, cbor2.dumps({1: -7, 4: cbor2.CBORTag(2, KEY.kid)})), id="bignum tag in header"),
        pytest.param(with_part(0, bytes.fromhex("a20126") + b"\x04\x5f\x48" + KEY.kid + b"\xff"), id="indefinite kid"),
        pytest.param(with_part(0, cbor2.dumps({1: -7, 4: KEY.kid}) + b"\x00"), id="header with trailing byte"),
        pytest.param(with_part(0, cbor2.dumps({1: -7, 4: KEY.kid, "x": 1})), id="header key as text"),
        pytest.param(with_part(0, cbor2.dumps({True: -7, 4: KEY.kid})), id="alg under the key true"),
        pytest.param(sign_payload(cbor2.dumps({**cwt(), 8.5: 1})), id="claim key as a float"),
        pytest.param(with_part(1, {4: KEY.kid}), id="kid in the unprotected header"),
        pytest.param(with_part(1, []), id="unprotected header not a map"),
        pytest.param(with_part(2, "payload as text"), id="payload not bytes"),
        pytest.param(with_part(3, GOOD_PARTS[3][:63]), id="signature of 63 bytes"),
        pytest.param(with_part(2, None), id="detached payload"),
        pytest.param(with_part(3, None), id="no signature"),
        pytest.param(raw(b"\xd2\x9f" + b"".join(cbor2.dumps(part) for part in GOOD_PARTS) + b"\xff"), id="indefinite"),
        pytest.param(raw(cbor2.dumps(cbor2.CBORTag(55799, cbor2.CBORTag(18, GOOD_PARTS)))), id="self-described"),
        pytest.param(raw(cbor2.dumps(cbor2.CBORTag(18, cbor2.CBORTag(18, GOOD_PARTS)))), id="tag 18 twice"),
        pytest.param("HC1:" + "0" * 999, id="over 1000 characters"),
        pytest.param(sign_payload(cbor2.dumps(cwt(c99="x" * 500))), id="over 600 bytes, signed"),
        pytest.param(raw(bytes([0x81] * 600)), id="deeply nested"),
    ],
)
def test_garbage_is_malformed(token: str) -> None:
    assert verify(token) == Verification(Reason.MALFORMED, None)


@pytest.mark.parametrize("token", [None, GOOD.encode(), 42])
def test_a_token_that_is_not_text_is_malformed(token: object) -> None:
    assert verify(token) == Verification(Reason.MALFORMED, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(cbor2.dumps(cwt()), id="the baseline is fine"),
        pytest.param(cbor2.dumps(cwt(c7=b"later", c99="later")), id="fields added later are skipped"),
        pytest.param(cbor2.dumps(cwt(k7=bytes(16))), id="a CWT cti is skipped"),
    ],
)
def test_claims_added_by_a_later_version_are_skipped(payload: bytes) -> None:
    assert verify(sign_payload(payload)).reason is Reason.OK


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(cbor2.dumps([1, 2, 3]), id="not a map"),
        pytest.param(cbor2.dumps({"iss": ISSUER}), id="text keys"),
        pytest.param(cbor2.dumps(cwt(k1=...)), id="no issuer"),
        pytest.param(cbor2.dumps(cwt(k1=150100)), id="issuer as a number"),
        pytest.param(cbor2.dumps(cwt(k4=float(NOW + 180))), id="exp as a float"),
        pytest.param(cbor2.dumps(cwt(k6=True)), id="iat as a boolean"),
        pytest.param(cbor2.dumps(cwt(k4=NOW - 1)), id="exp before iat"),
        pytest.param(cbor2.dumps(cwt(k4=cbor2.CBORTag(1, NOW + 180))), id="exp as a date tag"),
        pytest.param(cbor2.dumps(cwt(k4=2**70)), id="exp as a bignum"),
        pytest.param(cbor2.dumps(cwt(km260=...)), id="no health-code claim"),
        pytest.param(cbor2.dumps(cwt(km260=[1, "g"])), id="health-code claim not a map"),
        pytest.param(cbor2.dumps(cwt(c1="purple")), id="unknown colour"),
        pytest.param(cbor2.dumps(cwt(c1="green")), id="colour as a word"),
        pytest.param(cbor2.dumps(cwt(c2="")), id="empty name"),
        pytest.param(cbor2.dumps(cwt(c2="张\x00丰")), id="control character in the name"),
        pytest.param(cbor2.dumps(cwt(c3="1" * 33)), id="document too long"),
        pytest.param(cbor2.dumps(cwt(c4=2)), id="unknown kind"),
        pytest.param(cbor2.dumps(cwt(c4=False)), id="kind as a boolean"),
        pytest.param(cbor2.dumps(cwt(c5=bytes(7))), id="token id of 7 bytes"),
        pytest.param(cbor2.dumps(cwt(c6=bytes(16))), id="card reference of 16 bytes"),
        pytest.param(cbor2.dumps(cwt(c6="a1a2a3a4")), id="card reference as text"),
        pytest.param(cbor2.dumps(cwt(c5=...)), id="no token id"),
        pytest.param(cbor2.dumps(cwt()) + b"\x00", id="trailing byte"),
        pytest.param(b"\xa1\x01\x7f\x61a\xff", id="indefinite text"),
        pytest.param(b"\xa2\x01\x61a\x01\x61b", id="duplicate key"),
    ],
)
def test_signed_claims_that_break_the_rules_are_malformed(payload: bytes) -> None:
    assert verify(sign_payload(payload)) == Verification(Reason.MALFORMED, None)


def test_every_tag_cbor2_decodes_by_itself_is_overridden() -> None:
    # If a cbor2 upgrade adds a built-in tag decoder, it must be added to the refusal list too.
    seen: list[int] = []

    def hook(tag: cbor2.CBORTag, immutable: bool) -> None:
        seen.append(tag.tag)

    builtin = []
    for number in [*range(70_000), 2**32, 2**63]:
        seen.clear()
        # A built-in decoder that refuses the value 0 is still a built-in decoder.
        with contextlib.suppress(cbor2.CBORDecodeError):
            cbor2.loads(cbor2.dumps(cbor2.CBORTag(number, 0)), tag_hook=hook)
        if not seen:
            builtin.append(number)
    assert tuple(builtin) == BUILTIN_CBOR_TAGS


@pytest.mark.parametrize("number", [*BUILTIN_CBOR_TAGS, 6, 17, 18, 24, 96, 2**32])
@pytest.mark.parametrize("value", [0, b"\x00" * 8, "2024-01-01T00:00:00Z", [1, 2]])
def test_no_cbor_tag_is_decoded_inside_a_token(number: int, value: object) -> None:
    with pytest.raises(MalformedToken):
        decode_cbor(cbor2.dumps(cbor2.CBORTag(number, value)))


@given(st.text(max_size=1200))
def test_any_text_is_refused_without_raising(token: str) -> None:
    assert not verify(token).valid


@given(st.text(alphabet=BASE45_CHARS, max_size=1000))
def test_any_base45_text_after_the_prefix_is_refused_without_raising(body: str) -> None:
    assert not verify("HC1:" + body).valid


@given(st.binary(max_size=700))
def test_any_bytes_are_refused_without_raising(data: bytes) -> None:
    assert not verify(raw(data)).valid


@given(st.integers(min_value=4, max_value=len(GOOD) - 1), st.sampled_from(BASE45_CHARS))
def test_changing_any_character_of_a_token_makes_it_invalid(position: int, char: str) -> None:
    changed = GOOD[:position] + char + GOOD[position + 1 :]
    assert verify(changed).valid is (changed == GOOD)


# --- Base45 ------------------------------------------------------------------------------------


@given(st.binary(max_size=300))
def test_our_base45_matches_the_reference_package(data: bytes) -> None:
    text = b45encode(data)
    assert text == base45.b45encode(data).decode()
    assert b45decode(text) == data


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def rfc9285_decode(text: str) -> bytes | None:
    """RFC 9285's decoding by the letter, one group at a time; None where it is an error (the
    reference package's older releases let some of these through)."""
    if len(text) % 3 == 1:
        return None
    values = [BASE45.index(char) for char in text]
    data = b""
    for at in range(0, len(values) - len(values) % 3, 3):
        word = values[at] + 45 * values[at + 1] + 2025 * values[at + 2]
        if word > 0xFFFF:
            return None
        data += word.to_bytes(2, "big")
    if len(values) % 3 == 2:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            return None
        data += bytes((last,))
    return data


@given(st.text(alphabet=BASE45, max_size=60))
def test_our_base45_decodes_and_refuses_as_the_rfc_says(text: str) -> None:
    """Any text of Base45's characters: the RFC's bytes, or refused where the RFC says it is an
    error (a triple over 0xFFFF, a last pair over 0xFF, a length that leaves one character)."""
    expected = rfc9285_decode(text)
    if expected is None:
        with pytest.raises(MalformedToken):
            b45decode(text)
    else:
        assert b45decode(text) == expected


def test_base45_of_the_rfc_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45decode("QED8WEX0") == b"ietf!"
    assert b45decode("FGW") == b"\xff\xff"
    with pytest.raises(MalformedToken):
        b45decode("00GGW")  # 65536 in the second triple


# --- keys and the trust list ------------------------------------------------------------------


def test_kid_is_the_first_8_bytes_of_sha256_of_the_public_key() -> None:
    der = KEY.private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert kid_of(KEY.private_key.public_key()) == sha256(der).digest()[:8] == KEY.kid


def test_a_signing_key_must_carry_its_own_kid() -> None:
    with pytest.raises(ValueError, match="kid does not belong"):
        SigningKey(kid=OTHER_KEY.kid, private_key=KEY.private_key)


def test_only_p256_keys_sign() -> None:
    with pytest.raises(ValueError, match="P-256"):
        signing_key_of(ec.generate_private_key(ec.SECP384R1()))


def test_a_key_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="window"):
        verifying_key_for(KEY, ISSUER, not_before=NOW, not_after=NOW - 1)


def test_a_jwk_round_trips_through_json() -> None:
    key = verifying_key_for(KEY, ISSUER, not_before=NOW, not_after=None)
    jwk = json.loads(json.dumps(jwk_of(key)))
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "iss", "nbf", "exp"}
    assert (jwk["kty"], jwk["crv"], jwk["iss"], jwk["nbf"], jwk["exp"]) == ("EC", "P-256", ISSUER, NOW, None)
    loaded = verifying_key_from_jwk(jwk)
    assert (loaded.kid, loaded.issuer, loaded.not_before, loaded.not_after) == (KEY.kid, ISSUER, NOW, None)
    assert loaded.public_key.public_numbers() == KEY.private_key.public_key().public_numbers()
    assert verify_token(issue_token(claims(), KEY), index_keys([loaded]), NOW).valid


def test_a_trust_list_round_trips_as_a_jwk_set() -> None:
    keys = [verifying_key_for(KEY, ISSUER, not_after=NOW), verifying_key_for(OTHER_KEY, "CN-110000", not_before=NOW)]
    document = json.loads(json.dumps(jwk_set(keys)))
    assert [jwk_of(key) for key in keys_from_jwk_set(document)] == document["keys"]


def jwk_with(**changes: object) -> dict[str, object]:
    jwk: dict[str, object] = dict(jwk_of(verifying_key_for(KEY, ISSUER)))
    jwk.update(changes)
    return {name: value for name, value in jwk.items() if value is not ...}


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        (jwk_with(kty="RSA"), "kty"),
        (jwk_with(crv="P-384"), "crv"),
        (jwk_with(alg="ES512"), "ES256"),
        (jwk_with(x=...), "'x'"),
        (jwk_with(x=str(jwk_with()["x"]) + "="), "'x'"),  # padded
        (jwk_with(x="AAAA"), "'x'"),  # too short
        (jwk_with(y=jwk_with()["x"]), "not a point on P-256"),
        (jwk_with(kid=jwk_of(verifying_key_for(OTHER_KEY, ISSUER))["kid"]), "kid"),
        (jwk_with(iss=...), "iss"),
        (jwk_with(iss="CN 150100"), "issuer"),
        (jwk_with(nbf=True), "nbf"),
        (jwk_with(exp="2030-01-01"), "exp"),
        (jwk_with(nbf=NOW, exp=NOW - 1), "window"),
    ],
)
def test_a_bad_jwk_is_refused_with_the_member_named(jwk: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        verifying_key_from_jwk(jwk)


def test_one_bad_key_refuses_the_whole_trust_list() -> None:
    with pytest.raises(ValueError, match="key 2 of the trust list"):
        keys_from_jwk_set({"keys": [jwk_with(), jwk_with(kty="oct")]})
    with pytest.raises(ValueError, match="keys"):
        keys_from_jwk_set({"kids": []})


def test_index_keys_keeps_every_key_under_a_shared_kid() -> None:
    real = verifying_key_for(KEY, ISSUER)
    impostor = dataclasses.replace(verifying_key_for(OTHER_KEY, ISSUER), kid=KEY.kid)
    other = verifying_key_for(OTHER_KEY, ISSUER)
    assert index_keys([real, impostor, other]) == {KEY.kid: (real, impostor), OTHER_KEY.kid: (other,)}


def test_the_public_interface() -> None:
    assert [reason.value for reason in Reason] == [
        "ok",
        "expired",
        "not_yet_valid",
        "bad_signature",
        "unknown_issuer",
        "revoked",
        "malformed",
    ]
    assert [kind.value for kind in TokenKind] == [0, 1]
