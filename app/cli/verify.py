"""`flask verify TOKEN|URL|IMAGE_FILE`: offline check of a certificate QR code (no database, no network)."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.clock import CHINA
from app.domain.keyring import JwksError, PublicKeyEntry, b64url_decode, from_jwks
from app.domain.qrtext import verify_text
from app.domain.qrtoken import (
    CertClaims,
    CertKind,
    ListOutcome,
    StatusList,
    Verification,
    id_number_matches,
    verify_status_list,
)
from app.services import keyring, offline_verdict
from app.services.offline_verdict import OfflineVerdict

# Bilingual lines per offline verdict; without a status list the CLI says the signature is valid and
# prints, below, that the live status was not checked.
VERDICT_TEXT = {
    OfflineVerdict.FORGED: "伪造或被篡改的二维码 / FORGED or tampered code",
    OfflineVerdict.KEY_REVOKED: "签名密钥已吊销，不能证明真实 / signing key REVOKED: not proof of anything",
    OfflineVerdict.EXPIRED_LIVE_CODE: "二维码已过期，请持证人刷新 / live code EXPIRED: ask the holder to refresh",
    OfflineVerdict.SUSPENDED: "证书真实，但已暂扣 / genuine but SUSPENDED",
    OfflineVerdict.REVOKED: "证书真实，但已撤销 / genuine but REVOKED",
    OfflineVerdict.CANCELLED: "证书真实，但已注销 / genuine but CANCELLED",
    OfflineVerdict.SUPERSEDED: "证书真实，但已被新版本取代 / genuine but SUPERSEDED by a newer version",
    OfflineVerdict.REVIEW_OVERDUE: "证书真实，但已失效（逾期未复审） / genuine but INVALID: renewal review overdue",
    OfflineVerdict.EXPIRED: "证书真实，但已过有效期 / genuine but EXPIRED",
    OfflineVerdict.VALID: "证书真实有效 / GENUINE and valid",
    OfflineVerdict.UNCHECKED: "证书真实有效 / GENUINE and valid",
}
KIND_TEXT = {CertKind.SPECIAL_OPS: "特种作业操作证", CertKind.SAFETY_MGMT: "安全生产知识和管理能力考核合格证"}


MAX_IMAGE_PIXELS = 40_000_000  # a phone photo is 12-50 MP; a "400-megapixel" file is a bomb
_URL = re.compile(r"https?:", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_MIN_TOKEN_CHARS = 100  # our tokens are 260-330 characters; file names are shorter


def argument_kind(code: str) -> str:
    """"url", "token" or "image", from the text alone: a token or URL never touches the filesystem."""
    text = code.strip()
    if _URL.match(text) or "/V/" in text or "/v/" in text:
        return "url"
    if _TOKEN.fullmatch(text) and (len(text) >= _MIN_TOKEN_CHARS or text.startswith("0o")):
        return "token"
    return "image"


def _open_rgb(path: Path) -> Any:
    """The image as RGB, refusing huge ones before decoding their pixels."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            return image.convert("RGB")


def read_qr_image(path: Path) -> str:
    """The text of the first QR code in an image file; one clear line for any file that is not one."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        rgb = _open_rgb(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise click.ClickException(f"找不到图片文件 / no such image file: {path}") from exc
    except UnidentifiedImageError as exc:
        raise click.ClickException(f"不是图片文件 / not an image file: {path}") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise click.ClickException(f"图片过大 / image too large ({exc}): {path}") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or damaged data, unreadable file
        raise click.ClickException(f"图片文件已损坏或不完整 / damaged or truncated image: {path}") from exc
    found = [b for b in zxingcpp.read_barcodes(rgb) if b.format == zxingcpp.BarcodeFormat.QRCode]
    if not found:
        raise click.ClickException(f"图片中未找到二维码 / no QR code found in {path}")
    return str(found[0].text)


def _load_keys(jwks_path: Path | None) -> dict[str, PublicKeyEntry]:
    if jwks_path is None:
        return keyring.load_public_keyring(Path(current_app.config["SETTINGS"].signing.key_dir))
    try:
        return from_jwks(json.loads(jwks_path.read_text(encoding="utf-8")))
    except (ValueError, JwksError) as exc:
        raise click.ClickException(f"JWKS 文件无效 / invalid JWKS file {jwks_path}: {exc}") from exc


def _load_status_list(path: Path, keys: dict[str, PublicKeyEntry], now: int) -> StatusList:
    """Verify a status-list file: the raw COSE bytes, or the same as base64url text."""
    data = path.read_bytes()
    with contextlib.suppress(UnicodeDecodeError, ValueError):  # else raw binary
        data = b64url_decode(data.decode("ascii").strip())
    result = verify_status_list(data, keys, now)
    if result.outcome in (ListOutcome.FORGED, ListOutcome.KEY_REVOKED):
        raise click.ClickException(f"状态列表无效 / status list not trusted: {result.outcome}")
    if result.outcome == ListOutcome.STALE:
        click.echo("警告：状态列表已过期，请更新 / WARNING: status list is past its time-to-live", err=True)
    return result


def verdict(result: Verification, status: StatusList | None, today: date) -> tuple[bool, str]:
    """(valid?, bilingual verdict line) for a verification and the status list, if one was given."""
    decided = offline_verdict.decide(result, status, today)
    return decided in (OfflineVerdict.VALID, OfflineVerdict.UNCHECKED), VERDICT_TEXT[decided]


def _fields(result: Verification, claims: CertClaims) -> list[tuple[str, Any]]:
    issued = datetime.fromtimestamp(result.issued_at or 0, UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("证书种类 kind", KIND_TEXT[claims.kind]),
        ("姓名 name", claims.holder_name),
        ("证件号码 ID (masked)", claims.masked_id_number),
        ("项目/行业代码 item/industry", claims.code),
    ]
    if claims.personnel_type:
        rows.append(("人员类型代码 personnel type", claims.personnel_type))
    rows += [
        ("有效期 valid", f"{claims.valid_from} — {claims.valid_until}"),
        ("签发机关代码 authority", claims.authority_code),
        ("证书标识 cert id", claims.cert_id),
        ("版本 version", str(claims.version)),
        ("签发方 issuer", result.issuer or ""),
        ("签名密钥 key id", result.kid or ""),
        ("签名时间 signed", issued),
    ]
    if result.expires_at:
        rows.append(("亮证码失效 live code expires", str(datetime.fromtimestamp(result.expires_at, UTC))))
    return rows


@click.command("verify")
@click.argument("code")
@click.option(
    "--jwks",
    "jwks_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Public keys (JWKS). Default: the local [signing] key_dir.",
)
@click.option(
    "--status-list",
    "status_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Signed status list saved from /api/status-list.",
)
@click.option("--id-number", help="ID number read from the holder's ID card, to confirm it matches.")
@with_appcontext
def verify_command(
    code: str, jwks_path: Path | None, status_path: Path | None, id_number: str | None
) -> None:
    """Verify TOKEN, URL or IMAGE_FILE offline; exit status 0 only for a genuine, valid certificate."""
    text = read_qr_image(Path(code)) if argument_kind(code) == "image" else code
    now = int(time.time())
    keys = _load_keys(jwks_path)
    status = _load_status_list(status_path, keys, now) if status_path else None
    result = verify_text(text, keys, now)
    claims = result.claims
    valid, line = verdict(result, status, datetime.now(CHINA).date())
    click.echo(f"结论 / verdict: {line}")
    if claims is not None:
        for label, value in _fields(result, claims):
            click.echo(f"  {label}: {value}")
        if id_number is not None:
            ok = id_number_matches(claims, id_number)
            click.echo(f"  证件号码核对 ID check: {'一致 / matches' if ok else '不一致 / DOES NOT MATCH'}")
            valid = valid and ok
        if status is None:
            click.echo("  未提供状态列表，未核对实时状态 / live status not checked (no --status-list)")
    sys.exit(0 if valid else 1)


def register(app: Flask) -> None:
    """Attach the `verify` command to a Flask app."""
    app.cli.add_command(verify_command)
