"""`flask demo seed`: invented certificates for development and demos."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import seed as demo_seed

group = AppGroup("demo", help="Demo data for development.")


@group.command("seed")
@click.option("--count", default=300, show_default=True, help="Generated certificates besides the showcase.")
@click.option("--if-empty", is_flag=True, help="Do nothing when certificates already exist.")
def seed_command(count: int, if_empty: bool) -> None:
    """Create demo certificates of both kinds, every status represented."""
    database = current_app.extensions["db"].for_jobs()
    if if_empty and not demo_seed.is_empty(database):
        click.echo("数据库已有证书，跳过演示数据")
        return
    today = current_app.extensions["clock"].today()
    summary, people = demo_seed.seed(database, current_app.extensions["pii"], today, count)
    click.echo(f"演示数据：新增 {summary.accepted} 张证书，拒绝 {summary.rejected}")
    click.echo("可用于查询的演示持证人（证件号码 姓名 — 说明）：")
    for person in people:
        click.echo(f"  {person.id_number} {person.name} — {person.note}")
