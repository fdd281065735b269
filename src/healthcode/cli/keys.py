"""``healthcode keys``: the signing keys of code tokens and the trusted issuers' lists.

``generate`` makes the first key, ``prepare`` publishes the next key ahead of use, ``rotate``
replaces the active key with it (the old one keeps verifying the tokens it signed until they have
expired), ``retire KID`` stops the active key with no successor, ``list`` shows them all,
``trusted`` checks and shows HEALTHCODE_TRUSTED_LISTS. Every change is recorded in the audit log
(keys.generate, keys.prepare, keys.rotate, keys.retire).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import CLOCK, console, errors, settings, with_context
from healthcode.codes.api import codes_runtime
from healthcode.codes.keys import ACTIVE, NEXT, PUBLISH_AHEAD_S, KeyService, KeyStateError
from healthcode.codes.trust import TrustListError, trusted_lists
from healthcode.config import Settings
from healthcode.db.models import SigningKeyRecord
from healthcode.domain.tokens.keys import b64url
from healthcode.kit.state import AppContext

app = typer.Typer(help="Signing keys of code tokens; trusted issuers.", no_args_is_help=True)

ACTOR_HELP = "Who does it, recorded in the audit log as cli:NAME"


def _actor(name: str) -> str:
    return f"cli:{name}"[:40] if name else "cli"


def _refuse(error: Exception) -> typer.Exit:
    errors.print(f"refused: {error}", markup=False, soft_wrap=True)
    return typer.Exit(1)


def _when(moment: datetime | None, config: Settings) -> str:
    return f"{moment.astimezone(config.zone):%Y-%m-%d %H:%M}" if moment else ""


def _service(db: AsyncSession, context: AppContext) -> KeyService:
    """Keys through the runtime's key memory, as the administrators' key page changes them."""
    return KeyService(db, context.settings, context.clock, codes_runtime(context).keys)


def _retired(record: SigningKeyRecord, service: KeyService, config: Settings) -> str:
    return (
        f"key {record.kid} retired: signs nothing after {_when(record.not_after, config)}, "
        f"trusted until {_when(service.trusted_until(record), config)}"
    )


@app.command("generate")
def generate(actor: str = typer.Option("", "--actor", help=ACTOR_HELP)) -> None:
    """Make the first signing key (refused while one is active: rotate it instead)."""

    async def work(db: AsyncSession, context: AppContext) -> None:
        try:
            record = await _service(db, context).generate(_actor(actor))
        except KeyStateError as error:
            raise _refuse(error) from None
        console.print(f"key {record.kid} is active for issuer {record.issuer}", markup=False, soft_wrap=True)

    with_context(work)


@app.command("prepare")
def prepare(actor: str = typer.Option("", "--actor", help=ACTOR_HELP)) -> None:
    """Publish the next key in the trust list now; `keys rotate` makes it sign (wait 5 minutes)."""

    async def work(db: AsyncSession, context: AppContext) -> None:
        try:
            record = await _service(db, context).prepare(_actor(actor))
        except KeyStateError as error:
            raise _refuse(error) from None
        console.print(
            f"key {record.kid} is published for issuer {record.issuer} and signs nothing yet; "
            f"run `healthcode keys rotate` in {PUBLISH_AHEAD_S // 60} minutes or later",
            markup=False,
            soft_wrap=True,
        )

    with_context(work)


@app.command("rotate")
def rotate(actor: str = typer.Option("", "--actor", help=ACTOR_HELP)) -> None:
    """Make the prepared key (or a new one) active; the old one stays in the trust list while its
    tokens can be valid."""

    async def work(db: AsyncSession, context: AppContext) -> None:
        service = _service(db, context)
        try:
            old, new = await service.rotate(_actor(actor))
        except KeyStateError as error:
            raise _refuse(error) from None
        console.print(f"key {new.kid} is active for issuer {new.issuer}", markup=False, soft_wrap=True)
        if not service.published_long_enough(new):
            console.print(
                f"warning: key {new.kid} was published less than {PUBLISH_AHEAD_S // 60} minutes ago; other "
                "regions may refuse its codes until they re-read the trust list (`keys prepare` first next time)",
                markup=False,
                soft_wrap=True,
            )
        console.print(_retired(old, service, context.settings), markup=False, soft_wrap=True)

    with_context(work)


@app.command("retire")
def retire(
    kid: str = typer.Argument(..., help="The key's id: 16 hex characters (as `keys list` shows) or base64url"),
    actor: str = typer.Option("", "--actor", help=ACTOR_HELP),
) -> None:
    """Retire the active key without a successor: no code can be issued until `keys generate`."""

    async def work(db: AsyncSession, context: AppContext) -> None:
        service = _service(db, context)
        try:
            record = await service.retire(kid, _actor(actor))
        except KeyStateError as error:
            raise _refuse(error) from None
        console.print(_retired(record, service, context.settings), markup=False, soft_wrap=True)
        console.print(
            "no key is active now: run `healthcode keys generate` before issuing codes", markup=False, soft_wrap=True
        )

    with_context(work)


def _key_json(record: SigningKeyRecord, service: KeyService) -> dict[str, Any]:
    trusted_until = service.trusted_until(record)
    return {
        "kid": record.kid,
        "kid_base64url": b64url(bytes.fromhex(record.kid)),
        "issuer": record.issuer,
        "status": record.status,
        "not_before": record.not_before.isoformat(),
        "not_after": record.not_after.isoformat() if record.not_after else None,
        "trusted_until": trusted_until.isoformat() if trusted_until else None,
        "published": trusted_until is None or trusted_until >= CLOCK.now(),
        "created_at": record.created_at.isoformat(),
        "retired_at": record.retired_at.isoformat() if record.retired_at else None,
    }


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="One JSON object per line")) -> None:
    """Every signing key: status, window, and until when it stays in the trust list."""

    async def work(db: AsyncSession, context: AppContext) -> None:
        service, config = _service(db, context), context.settings
        records = await service.all()
        if as_json:
            for record in records:
                print(json.dumps(_key_json(record, service), ensure_ascii=False))
            return
        if not records:
            console.print("no signing keys: run `healthcode keys generate`", markup=False)
            return
        for record in records:
            shown = _key_json(record, service)
            window = f"from {_when(record.not_before, config)}"
            if record.not_after:
                window += f" to {_when(record.not_after, config)}"
            if record.status == ACTIVE:
                trust = "signing"
            elif record.status == NEXT:
                trust = "in the trust list, signs from the next rotation"
            elif shown["published"]:
                trust = f"in the trust list until {_when(service.trusted_until(record), config)}"
            else:
                trust = "no longer in the trust list"
            console.print(
                f"{record.kid}  {record.status:<7}  {record.issuer}  {window}  {trust}", markup=False, soft_wrap=True
            )

    with_context(work)


@app.command("trusted")
def trusted() -> None:
    """Check the other issuers' lists of HEALTHCODE_TRUSTED_LISTS and show their keys (exit 1 if
    one is refused); run it after downloading a list, before restarting the server."""
    config = settings()
    try:
        lists = trusted_lists(config)
    except TrustListError as error:
        raise _refuse(error) from None
    if not lists:
        console.print("no trusted lists: HEALTHCODE_TRUSTED_LISTS is empty", markup=False)
        return
    for trust in lists:
        console.print(
            f"{trust.issuer}: {len(trust.keys)} keys, issued {_when(datetime_of(trust.issued_at), config)} "
            f"({trust.source})",
            markup=False,
            soft_wrap=True,
        )
        for key in trust.keys:
            console.print(f"  {b64url(key.kid)} nbf {key.not_before} exp {key.not_after}", markup=False, soft_wrap=True)


def datetime_of(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
