"""Staff API keys' pure rules: the key's form, its secret's check, what a proved key may do."""

from datetime import UTC, datetime, timedelta

import pytest

from healthcode.domain.api_keys import (
    Scope,
    check_key,
    ensure_roles_allow,
    new_key,
    parse_scopes,
    secret_matches,
    split_key,
)
from healthcode.domain.errors import Forbidden, InvalidInput, Unauthenticated

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_a_new_key_splits_into_its_id_and_a_secret_that_matches_only_its_hash() -> None:
    made = new_key()
    parts = split_key(made.key)
    assert parts is not None
    key_id, secret = parts
    assert key_id == made.key_id
    assert secret not in made.secret_hash
    assert secret_matches(made.secret_hash, secret)
    assert not secret_matches(made.secret_hash, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert new_key().key != made.key


@pytest.mark.parametrize(
    "key", ["", "hcsk_", "Bearer x", "hcsk_ABCDEF012345_" + "a" * 43, "hcsk_0123456789ab_" + "a" * 42, "x" * 500]
)
def test_anything_else_is_no_key(key: str) -> None:
    assert split_key(key) is None


def test_scopes_by_name_and_the_roles_they_need() -> None:
    assert parse_scopes([" Lists", "checkpoint", "lists"]) == [Scope.CHECKPOINT, Scope.LISTS]
    with pytest.raises(InvalidInput) as unknown:
        parse_scopes(["all"])
    assert unknown.value.code == "api_key_scope_unknown"
    with pytest.raises(InvalidInput):
        parse_scopes([])
    ensure_roles_allow([Scope.STATISTICS], ["admin"])
    ensure_roles_allow([Scope.STATISTICS, Scope.LISTS], ["authority"])
    with pytest.raises(InvalidInput) as refused:
        ensure_roles_allow([Scope.CHECKPOINT], ["authority", "admin"])
    assert refused.value.params["roles"] == "checkpoint"


def check(needed: Scope | None = Scope.LISTS, **changes: object) -> None:
    facts: dict[str, object] = {
        "revoked_at": None,
        "active": True,
        "locked_until": None,
        "roles": ["authority"],
        "scopes": ["lists"],
        "needed": needed,
        "now": NOW,
    }
    check_key(**{**facts, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"revoked_at": NOW}, Unauthenticated, "api_key_revoked"),
        ({"active": False}, Unauthenticated, "api_key_account_disabled"),
        ({"locked_until": NOW + timedelta(minutes=1)}, Unauthenticated, "api_key_account_locked"),
        ({"needed": Scope.STATISTICS}, Forbidden, "api_key_scope_missing"),
        ({"roles": ["reviewer"]}, Forbidden, "api_key_role_missing"),
    ],
)
def test_a_proved_key_is_refused_with_why(changes: dict[str, object], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as refused:
        check(**changes)  # type: ignore[arg-type]
    assert refused.value.code == code  # type: ignore[attr-defined]


def test_a_working_key() -> None:
    check()
    check(locked_until=NOW - timedelta(seconds=1))
    check(needed=None, scopes=["statistics"], roles=["admin"])
