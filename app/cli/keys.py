"""`flask keys generate|rotate|list|retire KID`: the QR signing keys (never prints key material)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.services import keyring

group = AppGroup("keys", help="QR-code signing keys (Ed25519) in [signing] key_dir.")

STATUS_LABELS = {"active": "签发中 active", "retired": "仅核验 retired", "revoked": "已吊销 revoked"}


def _key_dir() -> Path:
    return Path(current_app.config["SETTINGS"].signing.key_dir)


@contextmanager
def _reported(action: str) -> Iterator[None]:
    """Turn a keyring error into a one-line CLI error."""
    try:
        yield
    except keyring.KeyringError as exc:
        raise click.ClickException(f"{action}失败 / failed: {exc}") from exc


@group.command("generate")
@click.option("--if-missing", is_flag=True, help="Do nothing when keys already exist (for start-up scripts).")
def generate_command(if_missing: bool) -> None:
    """Create the first signing key."""
    with _reported("生成密钥"):
        if if_missing and keyring.list_keys(_key_dir()):
            click.echo("已有签名密钥，未生成新密钥 / keys already present, nothing to do")
            return
        click.echo(f"已生成签名密钥 / generated key {keyring.generate(_key_dir()).kid}")


@group.command("rotate")
def rotate_command() -> None:
    """Create a new active key; the old one keeps verifying what it signed."""
    with _reported("轮换密钥"):
        click.echo(f"新的签名密钥 / new active key {keyring.rotate(_key_dir()).kid}")


@group.command("list")
def list_command() -> None:
    """List keys with their status."""
    with _reported("读取密钥"):
        metas = keyring.list_keys(_key_dir())
    if not metas:
        click.echo("尚无签名密钥 / no keys yet: run `flask keys generate`")
    for meta in metas:
        click.echo(f"{meta.kid}  {meta.created}  {STATUS_LABELS[meta.status.value]}")


@group.command("retire")
@click.argument("kid")
@click.confirmation_option(prompt="该密钥签发的全部二维码将显示“签名密钥已吊销”。确定吗？ Revoke this key?")
def retire_command(kid: str) -> None:
    """Revoke a compromised key: everything it signed verifies as "signing key revoked"."""
    with _reported("吊销密钥"):
        replacement = keyring.retire(_key_dir(), kid)
    click.echo(f"已吊销 / revoked {kid}")
    if replacement is not None:
        click.echo(f"新的签名密钥 / new active key {replacement.kid}（请重新生成证照文件 / re-render files）")


def register(app: Flask) -> None:
    """Attach the `keys` group to a Flask app."""
    app.cli.add_command(group)
