"""`flask certs import|show`: the operators' tools for the registry."""

from __future__ import annotations

import contextlib
import csv
import gc
import getpass
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import exc as db_errors
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.domain.catalogue import Catalogue
from app.domain.idnumber import IdNumberError
from app.domain.names import PersonNameError
from app.services import registry
from app.services.importer import BATCH_SIZE, ImportOptions, ImportSummary, import_file
from app.services.importsource import MAX_CSV_FIELD, ImportRefused
from app.services.presenters import describe, scope_labels
from app.storage.models import AuditEntry

group = AppGroup("certs", help="Certificate registry: import and look up.")
# Batches are committed one by one and a re-run counts rows already in as unchanged (docs/resilience.md).
DATABASE_LOST = ("数据库连接中断（{error}）：已提交的批次已保存。请在数据库恢复后重新运行同一命令，"
                 "已导入的行会计为“未变”。")


@group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--photos", "photos_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the photos named in the 照片 column.")
@click.option("--dry-run", is_flag=True, help="Validate and decide every row without writing anything.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rejected rows (row, column, reason, original cells) to this CSV.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, help="Rows per committed transaction.")
@click.option("--workers", default=1, show_default=True, help="Validation processes beside the writer (0: none).")
def import_command(file: Path, photos_dir: Path | None, dry_run: bool, report_path: Path | None,
                   batch_size: int, workers: int) -> None:
    """Import an exam-system export (CSV in UTF-8/GBK, or XLSX)."""
    report = report_path.open("w", encoding="utf-8-sig", newline="") if report_path else None
    bar = tqdm(unit="行", unit_scale=True, desc="导入", file=sys.stderr, dynamic_ncols=True,
               disable=None, smoothing=0.1)
    collect = every_nth_batch(bar.update)
    options = ImportOptions(photos_dir=photos_dir, dry_run=dry_run, report=report, batch_size=batch_size,
                            workers=workers, on_progress=collect,
                            on_total=lambda total: setattr(bar, "total", total))
    csv.field_size_limit(MAX_CSV_FIELD)  # this process imports: a longer cell is refused, not buffered
    try:
        with collector_paused():
            summary = import_file(file, current_app.extensions["db"].for_jobs(),
                                  current_app.extensions["pii"],
                                  Catalogue.load_default(), options)
    except ImportRefused as exc:
        bar.close()
        raise click.ClickException(exc.message) from exc
    except (db_errors.OperationalError, db_errors.InterfaceError) as exc:  # the database went away mid-run
        bar.close()
        raise click.ClickException(DATABASE_LOST.format(error=type(exc.orig or exc).__name__)) from None
    finally:
        if report:
            report.close()
    bar.close()
    _print_summary(summary, dry_run, report_path)
    if summary.rejected:
        sys.exit(1)


COLLECT_EVERY = 20  # batches between garbage collections while automatic collection is paused


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run without automatic garbage collection (the import loop collects every COLLECT_EVERY batches).

    An import allocates millions of short-lived containers; automatic collection kept promoting
    the rows in flight and rescanning every surviving object (the application, SQLAlchemy's
    metadata), a fifth of the CPU time. Freezing moves what exists now out of the collector's
    sight; forked validation workers inherit the paused collector (their rows make no cycles).
    The setting is process-wide, which is why the command that owns the process chooses it. A
    process that froze objects itself (a pre-forking server, say) keeps them frozen.
    """
    enabled = gc.isenabled()
    freeze = gc.get_freeze_count() == 0
    gc.disable()
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()


def every_nth_batch(on_progress: Callable[[int], Any]) -> Callable[[int], None]:
    """A progress callback that also collects the cycles made since the last COLLECT_EVERY batches."""
    batches = itertools.count(1)

    def progress(rows: int) -> None:
        on_progress(rows)
        if next(batches) % COLLECT_EVERY == 0:
            gc.collect(1)  # young objects only: older ones are not scanned again
    return progress


def _print_summary(s: ImportSummary, dry_run: bool, report_path: Path | None) -> None:
    for warning in s.warnings:
        click.echo(f"提示：{warning}", err=True)
    prefix = "（试运行，未写入）" if dry_run else ""
    click.echo(f"{prefix}共 {s.rows} 行：新增 {s.accepted}，更新 {s.updated}（其中换发新版本 {s.reissued}），"
               f"未变 {s.unchanged}，拒绝 {s.rejected}")
    if s.rejected and report_path:
        click.echo(f"被拒绝的行及原因见 {report_path}")
    elif s.rejected:
        click.echo("使用 --report 文件名.csv 可导出被拒绝的行及原因", err=True)


@group.command("show")
@click.argument("number")
@click.argument("name", required=False)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Status on this date (default today).")
@click.option("--json", "as_json", is_flag=True,
              help="Machine-readable, with each certificate's public id and full number (audited).")
def show_command(number: str, name: str | None, on: Any, as_json: bool) -> None:
    """Show every current certificate by ID number + name, or by certificate number (one per item)."""
    day: date = on.date() if on else current_app.extensions["clock"].today()
    db = current_app.extensions["db"]
    with db.session() as session:
        found = _lookup(session, number, name, day)
        items = [describe(f, day) for f in found]
        if as_json:
            for item, f in zip(items, found, strict=True):
                item.update(public_id=f.certificate.public_id, cert_number_full=_full_number(session, f))
            if found:
                _audit(session, "cli_show_full_numbers", [f.certificate.public_id for f in found])
    if as_json:
        click.echo(json.dumps({"on": day.isoformat(), "certificates": items}, ensure_ascii=False, indent=2))
    elif not items:
        click.echo("未找到匹配的证书（证件号码与姓名须同时匹配）")
    for item, f in zip(items, found, strict=True) if not as_json else []:
        click.echo(" | ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "")) +
                   f" | 公开标识: {f.certificate.public_id}")
    if not items:
        sys.exit(1)


def _lookup(session: Session, number: str, name: str | None, day: date) -> list[registry.Found]:
    pii = current_app.extensions["pii"]
    try:
        if name:
            return registry.find_by_number_and_name(session, pii, number, name, day)
        return registry.find_by_cert_no(session, pii, number, day)
    except (IdNumberError, PersonNameError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from exc


def _full_number(session: Session, found: registry.Found) -> str | None:
    """The certificate's full 证号, decrypted (None when it has none)."""
    cert = registry.full_certificate(session, found.certificate)
    if cert.cert_no_enc is None:
        return None
    return str(current_app.extensions["pii"].decrypt_text(cert.cert_no_enc, b"certificates.cert_no"))


def _audit(session: Session, action: str, public_ids: list[str]) -> None:
    """Full numbers left the database: say so in the audit log (no number in the entry itself)."""
    session.add(AuditEntry(actor=f"cli:{getpass.getuser()}", action=action, subject="certificates",
                           detail=json.dumps({"public_ids": public_ids})))


@group.command("render")
@click.argument("target")
@click.option("--item", "item", help="With a 证号: the 操作项目 (or 行业类别) that picks one of the holder's "
                                     "certificates.")
@click.option("--format", "fmt", type=click.Choice(["png", "pdf"]), default="png", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write.")
def render_command(target: str, item: str | None, fmt: str, output: Path) -> None:
    """Render a certificate as PNG or PDF, watermarked for the office.

    TARGET is a certificate's public id (as printed by `certs show --json`), or its 证号 together
    with --item when the number covers several certificates.
    """
    from app.services import certificate_files
    from app.services.keyring import KeyringError

    db, pii = current_app.extensions["db"], current_app.extensions["pii"]
    now = current_app.extensions["clock"].now()
    with db.session() as session:
        found = _one_certificate(session, target, item, now.date())
        ctx = certificate_files.signing_context(current_app)
        try:
            cert = registry.full_certificate(session, found.certificate)
            data = certificate_files.render_with(ctx, session, pii, cert, fmt, "cli", now)
        except KeyringError as exc:
            raise click.ClickException(f"无法签名 / cannot sign: {exc}") from exc
    output.write_bytes(data)
    click.echo(f"已生成 / wrote {output} ({len(data)} bytes, {fmt})")


def _one_certificate(session: Session, target: str, item: str | None, day: date) -> registry.Found:
    """The certificate a public id, or a number (+ item), names; lists the choices when ambiguous."""
    by_id = registry.find_by_public_id(session, target.strip(), day) if not item else None
    if by_id is not None:
        return by_id
    try:
        found = registry.find_by_cert_no(session, current_app.extensions["pii"], target, day)
    except IdNumberError as exc:
        raise click.ClickException(exc.message) from exc
    if item:
        found = [f for f in found if item.strip() in scope_labels(f.certificate)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise click.ClickException("未找到该证书 / no certificate with this public id, number" +
                                   (" and item" if item else ""))
    choices = "\n".join(f"  --item {scope_labels(f.certificate)[1]}   (public id {f.certificate.public_id}, "
                         f"{f.status.label})" for f in found)
    raise click.ClickException(f"该证书编号下有{len(found)}张证书，请用 --item 指定操作项目，"
                               f"或改用公开标识 / this number covers {len(found)} certificates; choose one:\n{choices}")
