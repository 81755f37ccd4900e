"""`flask calendar load FILE | show`: holiday years published by the State Council."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.domain.workdays import YearFileError, parse_year_file
from app.services.calendar import current_calendar, store_year

group = AppGroup("calendar", help="Statutory holidays and make-up working days.")


@group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(file: Path) -> None:
    """Load one year's holidays and make-up working days (format: docs/rules.md)."""
    try:
        year = parse_year_file(file.read_text(encoding="utf-8"))
    except YearFileError as exc:
        raise click.ClickException(str(exc)) from exc
    with current_app.extensions["db"].session() as session:
        store_year(session, year)
    click.echo(f"{year.year}年：节假日 {len(year.holidays)} 天，调休上班 {len(year.makeup_workdays)} 天，已载入")


@group.command("show")
def show_command() -> None:
    """List the years for which working days can be counted."""
    with current_app.extensions["db"].session() as session:
        years = current_calendar(session).years()
    click.echo(f"已有节假日数据的年份：{years[0]}–{years[-1]}（共 {len(years)} 年）")
