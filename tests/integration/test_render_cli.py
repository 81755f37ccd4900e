"""`flask certs render CERT_NO --format png|pdf -o FILE` and `flask keys generate --if-missing`."""

# Fixtures are imported explicitly from verify_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from app.services.seed import DemoPerson
from tests.integration.verify_fixtures import VALID, keyed_app, showcase  # noqa: F401 - fixtures


def test_render_writes_a_png_and_a_pdf_of_the_certificate(
        keyed_app: Flask, showcase: list[DemoPerson], tmp_path: Path) -> None:
    runner = keyed_app.test_cli_runner()
    number = "T" + showcase[VALID].id_number
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
        out = tmp_path / f"cert.{fmt}"
        result = runner.invoke(args=["certs", "render", number, "--item", "低压电工作业", "--format", fmt,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic) and "已生成" in result.output


def test_a_number_covering_several_certificates_lists_the_choices_and_a_public_id_picks_one(
        keyed_app: Flask, showcase: list[DemoPerson], tmp_path: Path) -> None:
    runner = keyed_app.test_cli_runner()
    out = tmp_path / "cert.png"
    ambiguous = runner.invoke(args=["certs", "render", "T" + showcase[VALID].id_number, "-o", str(out)])
    assert ambiguous.exit_code == 1 and not out.exists()
    assert "--item 低压电工作业" in ambiguous.output and "--item 熔化焊接与热切割作业" in ambiguous.output
    public_id = ambiguous.output.split("public id ")[1].split(",")[0]
    by_id = runner.invoke(args=["certs", "render", public_id, "-o", str(out)])
    assert by_id.exit_code == 0, by_id.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_render_of_an_unknown_number_fails_clearly_and_writes_nothing(
        keyed_app: Flask, showcase: list[DemoPerson], tmp_path: Path) -> None:
    out = tmp_path / "none.png"
    result = keyed_app.test_cli_runner().invoke(args=["certs", "render", "T440524188001010014", "-o", str(out)])
    assert result.exit_code == 1 and "未找到该证书" in result.output and not out.exists()


def test_render_without_a_signing_key_says_how_to_make_one(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    from app.services.seed import seed

    people = seed(app.extensions["db"], app.extensions["pii"], app.extensions["clock"].today(), count=0)[1]
    result = runner.invoke(args=["certs", "render", "T" + people[VALID].id_number, "--item", "低压电工作业",
                                 "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "keys generate" in result.output


def test_keys_generate_if_missing_is_idempotent(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["keys", "generate", "--if-missing"])
    second = runner.invoke(args=["keys", "generate", "--if-missing"])
    assert first.exit_code == 0 and "generated key" in first.output
    assert second.exit_code == 0 and "nothing to do" in second.output
    assert runner.invoke(args=["keys", "generate"]).exit_code == 1  # without the flag: refuse
