"""What the back-office search box takes a typed text to be."""

from __future__ import annotations

import pytest

from app.services.certificate_search import Query, classify


@pytest.mark.parametrize(("typed", "expected"), [
    ("", None),
    ("   ", None),
    ("11010519491231002X", Query("id_number", number="11010519491231002X")),
    (" 11010519491231002x ", Query("id_number", number="11010519491231002X")),
    ("110105491231002", Query("id_number", number="110105491231002")),  # a legacy 15-digit number
    ("T11010519491231002X", Query("cert_no", number="T11010519491231002X")),
    ("张伟 11010519491231002X", Query("name_and_id", number="11010519491231002X", name="张伟")),
    ("11010519491231002X 张伟", Query("name_and_id", number="11010519491231002X", name="张伟")),
    ("0f8ka2b3cQx1yZ7wV9uT_a", Query("text", text="0f8ka2b3cQx1yZ7wV9uT_a")),  # a public id
    ("AQ2019001", Query("text", text="AQ2019001")),  # a management certificate number
    ("重庆长江化工", Query("text", text="重庆长江化工")),
    ("重庆 长江化工", Query("text", text="重庆 长江化工")),
    ("T11010519491231002X 张伟", Query("name_and_id", number="11010519491231002X", name="张伟")),
    ("11010519491231002X 110105491231002", Query("text", text="11010519491231002X 110105491231002")),
])
def test_the_typed_text_is_classified(typed: str, expected: Query | None) -> None:
    assert classify(typed) == expected
