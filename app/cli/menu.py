"""`flask menu publish | show | delete`: the official account's custom menu via the WeChat API."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from app.integrations.wechat import WeChatApi, WeChatApiError, WeChatUnavailable
from menus import MenuError, build_menu

group = AppGroup("menu", help="The custom menu of the official account.")


def _api() -> WeChatApi:
    return current_app.extensions["wechat_api"]  # type: ignore[no-any-return]


def _fail(exc: Exception) -> None:
    raise click.ClickException(f"微信接口调用失败：{exc}")


@group.command("publish")
def publish() -> None:
    """Validate menus/ against WeChat's limits, then create it."""
    try:
        menu = build_menu(current_app.config["SETTINGS"].server.base_url)
    except MenuError as exc:
        raise click.ClickException("菜单不符合微信限制：" + "；".join(exc.problems)) from None
    try:
        _api().create_menu(menu)
    except (WeChatApiError, WeChatUnavailable) as exc:
        _fail(exc)
    click.echo("菜单已发布：" + "、".join(b["name"] for b in menu["button"]))


@group.command("show")
def show() -> None:
    """Print the menu WeChat currently has."""
    try:
        menu = _api().get_menu()
    except WeChatApiError as exc:
        if exc.errcode == 46003:
            click.echo("当前没有自定义菜单")
            return
        _fail(exc)
    except WeChatUnavailable as exc:
        _fail(exc)
    click.echo(json.dumps(menu, ensure_ascii=False, indent=2) if menu else "当前没有自定义菜单")


@group.command("delete")
def delete() -> None:
    """Remove the custom menu."""
    try:
        _api().delete_menu()
    except (WeChatApiError, WeChatUnavailable) as exc:
        _fail(exc)
    click.echo("菜单已删除")
