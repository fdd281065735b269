"""``healthcode verify TOKEN``: check a code token as a checkpoint would (API.md "Verification API").

Prints the fields of ``POST /api/v1/verifications``; exit status 0 when the token is valid, 1 when
it is not. The keys and revocations are read from the database (and HEALTHCODE_TRUSTED_LISTS).
"""

from __future__ import annotations

import json
import sys

import msgspec
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.codes.schemas import verification_out
from healthcode.codes.trust import TrustListError
from healthcode.codes.verification import VerificationResult, load_snapshot, result_of, verify_with
from healthcode.config import Settings

STDIN = "-"


def verify(
    token: str = typer.Argument(..., help="The token (HC1:...), as the QR code holds it; - reads it from stdin"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, as the API answers"),
) -> None:
    """Verify a code token: valid, reason, colour, masked name and document, issuer, expiry."""
    text = sys.stdin.read() if token == STDIN else token

    async def work(db: AsyncSession, config: Settings) -> VerificationResult:
        snapshot = await load_snapshot(db, config, CLOCK)
        return result_of(verify_with(snapshot, text, CLOCK.now()))

    try:
        result = with_db(work)
    except TrustListError as error:
        errors.print(f"refused: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    fields = msgspec.to_builtins(verification_out(result))
    if as_json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        for name, value in fields.items():
            shown = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            console.print(f"{name}: {shown}", markup=False, soft_wrap=True)
    if not result.valid:
        raise typer.Exit(1)
