"""The second factor's pure parts: which codes match, what a typed code becomes, the QR code."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import pytest

from app.clock import CHINA
from app.services import twofactor

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 12, 3, 10, 0, 15, tzinfo=CHINA)
STEP = pyotp.TOTP(SECRET).timecode(NOW)


@pytest.mark.parametrize(("seconds", "step"), [
    (0, STEP), (-30, STEP - 1), (30, STEP + 1),  # one step of phone-clock drift either way
    (-60, None), (60, None),  # two steps off: refused
])
def test_a_code_matches_its_step_within_one_step_of_drift(seconds: int, step: int | None) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=seconds))
    assert twofactor.matching_step(SECRET, code, NOW) == step


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5"])
def test_anything_but_six_digits_is_no_code(typed: str) -> None:
    assert twofactor.matching_step(SECRET, twofactor.clean_code(typed), NOW) is None


@pytest.mark.parametrize(("typed", "clean"), [
    ("123 456", "123456"), (" 123-456 ", "123456"), ("ABCDE-FGHJK", "abcdefghjk"), ("１２３", "１２３"),
])
def test_spaces_and_dashes_are_ignored_and_letters_lowered(typed: str, clean: str) -> None:
    assert twofactor.clean_code(typed) == clean


def test_the_qr_code_is_inline_svg_naming_the_issuer_and_the_account() -> None:
    uri = twofactor.provisioning_uri(SECRET, "cq.admin")
    assert uri.startswith("otpauth://totp/") and f"secret={SECRET}" in uri and "cq.admin" in uri
    svg = twofactor.qr_svg(uri)
    assert svg.startswith("<svg") and "<path" in svg and "http" not in svg.replace("http://www.w3.org", "")


def test_a_new_secret_holds_160_bits() -> None:
    secrets = {twofactor.new_secret() for _ in range(20)}
    assert len(secrets) == 20 and all(len(s) == 32 for s in secrets)
