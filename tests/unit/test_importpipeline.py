"""Preparing import rows: the MySQL text written out in prepare() is render() of the bound values."""

from __future__ import annotations

import os

from app.domain.catalogue import Catalogue
from app.domain.pii import PiiCipher
from app.services.demo import generate_rows
from app.services.importpipeline import Prepared, prepare
from app.storage.bulk import render

HOSTILE = ["O'Brien 建设", "反斜杠\\结尾", "x'); DROP TABLE people; --", "100% %s", 'say "hi"']


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = list(generate_rows(400, seed=21))
    for n, text in enumerate(HOSTILE):  # free text that must take the hex form
        safety = next(r for r in rows[n * 20:] if r["证书类型"] == "安全生产知识和管理能力考核合格证")
        safety.update({"单位名称": text, "证书编号": f"AQ-{text}"})
    return rows


def test_rendered_rows_are_exactly_render_of_the_bound_values() -> None:
    catalogue, key = Catalogue.load_default(), os.urandom(32)
    checked = hexed = 0
    for number, row in enumerate(_rows(), 2):
        bound = prepare(number, row, catalogue, PiiCipher(key))
        text = prepare(number, row, catalogue, PiiCipher(key), rendered=True)
        if isinstance(bound, list):
            assert bound == text
            continue
        assert isinstance(bound, Prepared) and isinstance(text, Prepared)
        assert isinstance(bound.person_values, tuple) and isinstance(bound.cert_values, tuple)
        # Encryption is randomised: compare with the ciphertexts of the rendered side put in (the
        # values before them hold no comma).
        person = list(bound.person_values)
        person[2] = bytes.fromhex(str(text.person_values).split(",")[2][2:-1])
        cert = list(bound.cert_values)
        cert[1] = bytes.fromhex(str(text.cert_values).split(",")[1][2:-1])
        assert text.person_values == render(tuple(person))
        assert text.cert_values == render(tuple(cert))
        assert (text.id_key, text.cert_key, text.fingerprint, text.review, text.text) == (
            bound.id_key, bound.cert_key, bound.fingerprint, bound.review, bound.text)
        checked += 1
        hexed += "_utf8mb4 X'" in str(text.cert_values)
    assert checked >= 390 and hexed == len(HOSTILE) - 2  # '100% %s' and 'say "hi"' are quoted as they are
