"""`flask certs import|show`: the operators' tools for the registry."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import exc as db_errors
from tqdm import tqdm

from app.domain.catalogue import Catalogue
from app.domain.idnumber import IdNumberError
from app.domain.names import PersonNameError
from app.services import registry
from app.services.importer import BATCH_SIZE, ImportOptions, ImportSummary, import_file
from app.services.importsource import ImportRefused
from app.services.presenters import describe

group = AppGroup("certs", help="Certificate registry: import and look up.")
# Batches are committed one by one and a re-run counts rows already in as unchanged (docs/resilience.md).
DATABASE_LOST = ("数据库连接中断（{error}）：已提交的批次已保存。请在数据库恢复后重新运行同一命令，"
                 "已导入的行会计为“未变”。")


@group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--photos", "photos_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the photos named in the 照片 column.")
@click.option("--dry-run", is_flag=True, help="Validate and count without writing.")
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
    options = ImportOptions(photos_dir=photos_dir, dry_run=dry_run, report=report, batch_size=batch_size,
                            workers=workers, on_progress=bar.update,
                            on_total=lambda total: setattr(bar, "total", total))
    try:
        summary = import_file(file, current_app.extensions["db"].for_jobs(), current_app.extensions["pii"],
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
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_command(number: str, name: str | None, on: Any, as_json: bool) -> None:
    """Show certificates by ID number + name, or by certificate number."""
    day: date = on.date() if on else current_app.extensions["clock"].today()
    found = _lookup(number, name, day)
    items = [describe(f, day) for f in found]
    if as_json:
        click.echo(json.dumps({"on": day.isoformat(), "certificates": items}, ensure_ascii=False, indent=2))
    elif not items:
        click.echo("未找到匹配的证书（证件号码与姓名须同时匹配）")
    for item in items if not as_json else []:
        click.echo(" | ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "")))
    if not items:
        sys.exit(1)


def _lookup(number: str, name: str | None, day: date) -> list[registry.Found]:
    db, pii = current_app.extensions["db"], current_app.extensions["pii"]
    with db.session() as session:
        try:
            if name:
                return registry.find_by_number_and_name(session, pii, number, name, day)
            return registry.find_by_cert_no(session, pii, number, day)
        except (IdNumberError, PersonNameError) as exc:
            raise click.ClickException(getattr(exc, "message", str(exc))) from exc


@group.command("render")
@click.argument("cert_no")
@click.option("--format", "fmt", type=click.Choice(["png", "pdf"]), default="png", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write.")
def render_command(cert_no: str, fmt: str, output: Path) -> None:
    """Render the current version of a certificate as PNG or PDF (issue 5), watermarked for the office."""
    from app.services import certificate_files
    from app.services.keyring import KeyringError

    db, pii = current_app.extensions["db"], current_app.extensions["pii"]
    now = current_app.extensions["clock"].now()
    with db.session() as session:
        found = registry.find_by_cert_no(session, pii, cert_no, now.date())
        if not found:
            raise click.ClickException("未找到该证书编号 / no certificate with this number")
        ctx = certificate_files.signing_context(current_app)
        try:
            cert = registry.full_certificate(session, found[0].certificate)
            data = certificate_files.render_with(ctx, session, pii, cert, fmt, "cli", now)
        except KeyringError as exc:
            raise click.ClickException(f"无法签名 / cannot sign: {exc}") from exc
    output.write_bytes(data)
    click.echo(f"已生成 / wrote {output} ({len(data)} bytes, {fmt})")
