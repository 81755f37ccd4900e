"""`flask keys` and the offline `flask verify`: no database, no network."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from app.cli import keys as keys_cli
from app.cli import verify as verify_cli
from app.config import Settings, replace
from app.domain import qrtext
from app.domain import qrtoken as q
from app.domain.keyring import b64url
from app.render import CertificateView, render_png
from app.services import keyring

BASE_URL = "https://cx.yjj.cq.gov.cn"


@pytest.fixture
def runner(tmp_path: Path) -> FlaskCliRunner:
    app = Flask("verify-test")
    app.config["SETTINGS"] = replace(Settings(), signing={"key_dir": str(tmp_path / "keys")})
    keys_cli.register(app)
    verify_cli.register(app)
    return app.test_cli_runner()


def _key_dir(runner: FlaskCliRunner) -> Path:
    return Path(runner.app.config["SETTINGS"].signing.key_dir)


def _token(runner: FlaskCliRunner, version: int = 1, cert_id: str = "pubid123", name: str = "张三") -> bytes:
    claims = q.build_claims(
        cert_id=cert_id,
        version=version,
        kind=q.CertKind.SPECIAL_OPS,
        code="0101",
        holder_name=name,
        id_number="11010519491231002X",
        valid_from=date(2026, 1, 1),
        valid_until=date(2031, 12, 31),
        authority_code="500000",
    )
    return q.sign_certificate(claims, keyring.load_signer(_key_dir(runner)), "CN-TEST", int(time.time()))


def test_keys_generate_list_rotate_and_retire(runner: FlaskCliRunner) -> None:
    assert "generated key" in runner.invoke(args=["keys", "generate"]).output
    first = keyring.list_keys(_key_dir(runner))[0].kid
    assert "new active key" in runner.invoke(args=["keys", "rotate"]).output
    assert "已吊销 / revoked" in runner.invoke(args=["keys", "retire", first, "--yes"]).output
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"{first}" in listing and "已吊销" in listing and "签发中" in listing
    assert "PRIVATE" not in listing
    assert runner.invoke(args=["keys", "generate"]).exit_code == 1


def test_verify_a_url_with_the_local_keys(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["keys", "generate"])
    text = qrtext.qr_text(BASE_URL, _token(runner))
    result = runner.invoke(args=["verify", text, "--id-number", "11010519491231002x"])
    assert result.exit_code == 0, result.output
    assert "证书真实有效 / GENUINE" in result.output and "张三" in result.output and "一致" in result.output


def test_verify_an_image_file_against_a_jwks_and_a_status_list(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["keys", "generate"])
    token = _token(runner)
    view = CertificateView(
        "special_ops",
        "中华人民共和国特种作业操作证",
        "张三",
        "男",
        "1101**********002X",
        "T1101**********002X",
        "2026-01-01",
        "2026-01-01",
        "2031-12-31",
        "重庆市应急管理局",
        "有效",
        1,
    )
    image = tmp_path / "cert.png"
    image.write_bytes(render_png(view, qrtext.qr_text(BASE_URL, token), None))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keyring.export_jwks(_key_dir(runner))))
    status = tmp_path / "status.cose"
    entries = {q.status_entry("pubid123", 1): q.ListedStatus.SUPERSEDED}
    status.write_bytes(
        q.sign_status_list(entries, int(time.time()), 3600, keyring.load_signer(_key_dir(runner)), "CN-TEST")
    )
    result = runner.invoke(args=["verify", str(image), "--jwks", str(jwks), "--status-list", str(status)])
    assert result.exit_code == 1
    assert "已被新版本取代" in result.output and "SUPERSEDED" in result.output


def test_verify_reports_a_forgery_and_a_revoked_key(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["keys", "generate"])
    token = _token(runner)
    forged = runner.invoke(args=["verify", qrtext.qr_text(BASE_URL, token)[:-4] + "AAAA"])
    assert forged.exit_code == 1 and "伪造" in forged.output
    runner.invoke(args=["keys", "retire", keyring.list_keys(_key_dir(runner))[0].kid, "--yes"])
    revoked = runner.invoke(args=["verify", qrtext.qr_text(BASE_URL, token)])
    assert revoked.exit_code == 1 and "签名密钥已吊销" in revoked.output


def test_an_image_without_a_qr_code_is_a_clear_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "blank.png"
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    runner.invoke(args=["keys", "generate"])
    result = runner.invoke(args=["verify", str(path)])
    assert result.exit_code == 1 and "未找到二维码" in result.output


def test_a_legacy_url_and_bare_tokens_of_260_characters_verify_without_touching_the_filesystem(
    runner: FlaskCliRunner,
) -> None:
    runner.invoke(args=["keys", "generate"])
    token = _token(runner, cert_id="0KJ8F2Ak7Qm2xVb9RtP4wZc", name="欧阳晓明")  # a real-sized token
    spellings = [qrtext.legacy_qr_text(BASE_URL, token), qrtext.b32(token), b64url(token)]
    assert len(b64url(token)) > 255  # longer than a file name may be (OSError: File name too long)
    for text in spellings:
        result = runner.invoke(args=["verify", text])
        assert result.exit_code == 0 and "欧阳晓明" in result.output, (text, result.output)


@pytest.mark.parametrize(
    ("argument", "kind"),
    [
        ("HTTPS://CX.YJJ.CQ.GOV.CN/V/2KCE", "url"),
        ("https://cx.yjj.cq.gov.cn/v/0oRNo", "url"),
        ("cx.yjj.cq.gov.cn/V/2KCE", "url"),
        ("0oRNogEnBEhWa2Rh", "token"),
        ("2KCE" * 70, "token"),
        ("0o" + "A" * 300, "token"),
        ("cert.png", "image"),
        ("/tmp/photos/scan 1.jpg", "image"),
        ("C:\\scans\\cert.png", "image"),
    ],
)
def test_the_argument_is_told_apart_by_its_text(argument: str, kind: str) -> None:
    assert verify_cli.argument_kind(argument) == kind


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels but carries almost no data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def _truncated_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"these are not pixels\n", "不是图片文件"),
        ("photo.jpg", _truncated_jpeg(), "已损坏或不完整"),
        ("huge.png", _png_header_only(20_000, 20_000), "图片过大"),
    ],
)
def test_a_file_that_is_no_usable_image_gives_one_clear_line(
    runner: FlaskCliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    runner.invoke(args=["keys", "generate"])
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["verify", str(path)])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
