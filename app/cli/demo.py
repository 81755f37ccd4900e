"""`flask demo seed|holders`: invented certificates for development and demos, and who to try."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import seed as demo_seed

group = AppGroup("demo", help="Demo data for development.")


@group.command("seed")
@click.option("--count", default=300, show_default=True, help="Generated certificates besides the showcase.")
@click.option("--if-empty", is_flag=True, help="Do nothing when certificates already exist (the demo holders "
                                               "are printed either way).")
def seed_command(count: int, if_empty: bool) -> None:
    """Create demo certificates of both kinds, every status represented."""
    database = current_app.extensions["db"].for_jobs()
    if if_empty and not demo_seed.is_empty(database):
        click.echo("数据库已有证书，跳过演示数据")
    else:
        today = current_app.extensions["clock"].today()
        summary, _people = demo_seed.seed(database, current_app.extensions["pii"], today, count)
        click.echo(f"演示数据：新增 {summary.accepted} 张证书，拒绝 {summary.rejected}")
    _print_holders()


@group.command("holders")
def holders_command() -> None:
    """Print the demo holders again: ID number, name, what each shows and their status today."""
    if not _print_holders():
        raise click.ClickException("数据库中没有演示持证人：请先运行 flask --app app demo seed")


def _print_holders() -> bool:
    """The showcase holders in this database, one line each; False when there are none."""
    app = current_app
    found = demo_seed.showcase_holders(app.extensions["db"], app.extensions["pii"], app.extensions["clock"].today())
    if found:
        click.echo("可用于查询的演示持证人（证件号码 姓名 — 说明；今天的状态）：")
    for person, labels in found:
        click.echo(f"  {person.id_number} {person.name} — {person.note}；今天：{'、'.join(labels)}")
    return bool(found)
