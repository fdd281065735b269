"""``healthcode lists``: import an authority list file from the command line, see recent imports.

An import from here is queued like an upload on the authority desk (audited as ``lists.upload`` by
``cli``) and then run at once in this process, so an operator sees the outcome and the rejected
rows without a running server. The rejected rows are written beside the file: they hold document
numbers, as the file itself does, so the report is readable by its owner only and its writing is
audited (``lists.report_read``).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.config import Settings
from healthcode.db.models import ListImport
from healthcode.i18n import current_language
from healthcode.lists.files import HEAD_SIZE, ListFileError, detect_format
from healthcode.lists.parsing import KINDS
from healthcode.lists.report import read_rows, report_csv
from healthcode.lists.service import MAX_FILE_BYTES, ListImportService, make_list_import_service
from healthcode.privacy.sealed import Sealer

ACTOR = "cli"

app = typer.Typer(help="Authority lists: case lists, risk areas and test results.", no_args_is_help=True)


def report_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` are written: ``cases.csv`` -> ``cases.csv.rejected.csv``."""
    return path.with_name(path.name + ".rejected.csv")


def failure(upload: ListImport) -> str:
    """Why an import failed, in English: operators read the command line."""
    token = current_language.set("en")
    try:
        return ListImportService.error_message(upload) or "no reason recorded"
    finally:
        current_language.reset(token)


def _read(path: Path) -> bytes:
    """The file's bytes, or exit 1 with what is wrong with it (nothing is stored)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            errors.print(
                f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes; split it", markup=False, soft_wrap=True
            )
            raise typer.Exit(1)
        data = path.read_bytes()
    except OSError as exc:
        errors.print(f"cannot read {path}: {exc.strerror or exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        detect_format(path.name, data[:HEAD_SIZE])
    except ListFileError as exc:
        errors.print(f"refused: {exc.message}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    return data


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable and writable by the owner only (it holds document numbers)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


@app.command("import")
def import_list(
    file: Path = typer.Argument(..., help="The list file, CSV (UTF-8 or GB18030/GBK) or XLSX, with a header row"),
    kind: str = typer.Option(
        ..., "--kind", help="cases (authority case lists), areas (risk areas) or tests (laboratory test results)"
    ),
) -> None:
    """Import a case list, a risk-area list or test results now and recolour the people it concerns.

    Good rows are imported, bad rows reported in FILE.rejected.csv beside the file (exit 0).

    A file that cannot be used as a whole changes nothing (exit 1).
    """
    if kind not in KINDS:
        errors.print(f"--kind must be one of: {', '.join(KINDS)}", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    data = _read(file)

    async def work(db: AsyncSession, config: Settings) -> ListImport | None:
        service = make_list_import_service(db, config, CLOCK)
        upload = await service.queue(ACTOR, kind, file.name, data)
        # Take it before a running server's background job can (it works the oldest queued upload).
        if not await service.claim(upload.id):
            console.print(
                f"import {upload.id} was taken up by a running server's background job; "
                "follow it with `healthcode lists status`"
            )
            return None
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(f"checking the rows of {file.name}", total=None)

            def progress(current: ListImport) -> None:
                if current.total_rows:  # every row is checked: now adding them and recolouring
                    rows = current.total_rows
                    bar.update(task, total=rows, completed=rows, description="importing and recolouring")
                else:
                    bar.update(task, completed=current.processed_rows)

            upload = await service.run(upload.id, progress)
            bar.update(task, total=upload.processed_rows or 1, completed=upload.processed_rows or 1)
        if upload.status == "done" and upload.report_enc is not None:
            target = report_path(file)
            _write_private(target, report_csv(read_rows(Sealer(config.keyring).open_bytes(upload, "report_enc"))))
            await AuditTrail(db, config.audit_key, CLOCK).record(
                ACTOR, "lists.report_read", f"import:{upload.id}", written_to=str(target)
            )
            await db.commit()
        return upload

    upload = with_db(work)
    if upload is None:
        return
    if upload.status != "done":
        errors.print(
            f"import {upload.id} refused, nothing was imported: {failure(upload)}",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"import {upload.id} done: {upload.total_rows} rows, {upload.accepted_rows} accepted, "
        f"{upload.rejected_rows} rejected, {upload.recoloured_cards} cards changed colour"
    )
    if upload.rejected_rows:
        console.print(f"rejected rows written to {report_path(file)}", markup=False, soft_wrap=True)


@app.command("status")
def status(limit: int = typer.Option(20, help="How many imports, newest first")) -> None:
    """Recent imports, from the desk and from this command, newest first: one line each."""

    async def work(db: AsyncSession, config: Settings) -> None:
        uploads = list(await db.scalars(select(ListImport).order_by(ListImport.id.desc()).limit(limit)))
        if not uploads:
            console.print("no imports yet")
        for u in uploads:
            queued = f"{u.created_at.astimezone(config.zone):%Y-%m-%d %H:%M}"
            line = f"#{u.id} {queued} {u.kind} {u.filename} by {u.uploaded_by}: {u.status}"
            if u.status == "done":
                line += (
                    f", {u.total_rows} rows, {u.accepted_rows} accepted, {u.rejected_rows} rejected, "
                    f"{u.recoloured_cards} cards changed colour"
                )
            elif u.status == "failed":
                line += f": {failure(u)}"
            console.print(line, markup=False, soft_wrap=True)

    with_db(work)
