"""The verification page, POST /api/verify, the JWKS and the status list, against the real database."""

# Fixtures are imported explicitly from verify_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import cbor2
import pytest
from flask import Flask
from sqlalchemy import update

from app.clock import FixedClock
from app.domain import qrtext
from app.domain.keyring import b64url, b64url_decode, from_jwks, new_signing_key
from app.domain.qrtoken import ListedStatus, ListOutcome, seal_sign1, status_entry, verify_status_list
from app.services import certificate_files, keyring
from app.services.lookup_limits import LIMITS, PAIR
from app.services.seed import DemoPerson
from app.storage.models import Certificate
from tests.integration.verify_fixtures import (  # noqa: F401 - fixtures
    CANCELLED,
    EXPIRED,
    OVERDUE,
    REISSUED,
    REVOKED,
    SUSPENDED,
    VALID,
    certificate_of,
    keyed_app,
    path_of,
    printed_text,
    showcase,
    sql_counter,
)

HEADLINE = re.compile(r'id="verdict">([^<]*)<')


def headline(html: str) -> str:
    match = HEADLINE.search(html)
    assert match, html[:500]
    return match.group(1)


def open_page(app: Flask, text: str) -> str:
    response = app.test_client().get(path_of(text))
    assert response.status_code == 200
    return response.text


def test_a_genuine_valid_certificate_shows_valid_with_masked_holder_data(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[VALID]
    html = open_page(keyed_app, printed_text(keyed_app, holder))
    assert headline(html) == "证书真实有效"
    assert holder.id_number not in html and holder.name not in html
    assert holder.id_number[:4] + "**********" + holder.id_number[-4:] in html
    assert holder.name[0] + "*" in html
    assert keyring.list_keys(Path(keyed_app.config["SETTINGS"].signing.key_dir))[0].kid in html
    assert "cx.example.gov.cn" in html and "2026-11-28 10:00:00" in html


@pytest.mark.parametrize(("index", "expected"), [
    (SUSPENDED, "证书真实，但已暂扣"),
    (REVOKED, "证书真实，但已撤销"),
    (CANCELLED, "证书真实，但已注销"),
    (EXPIRED, "证书真实，但已过期"),
    (OVERDUE, "证书真实，但已失效（逾期未复审）"),
])
def test_each_status_has_its_own_headline(keyed_app: Flask, showcase: list[DemoPerson], index: int,
                                          expected: str) -> None:
    html = open_page(keyed_app, printed_text(keyed_app, showcase[index]))
    assert headline(html) == expected


def test_after_a_reissue_the_old_printed_code_is_superseded_and_names_the_current_version(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[REISSUED]  # the seed re-imported this holder with a new validity period
    old = open_page(keyed_app, printed_text(keyed_app, holder, version=1))
    assert headline(old) == "证书真实，但已被第2版取代"
    assert "现行版本" in old and "第2版" in old
    assert headline(open_page(keyed_app, printed_text(keyed_app, holder))) == "证书真实有效"


BAD_TOKENS = {
    "not base64": lambda t: "not*base64!",
    "truncated": lambda t: t[:-12],
    "one character": lambda t: "A",
    "wrong alg ES256": lambda t: _with_header(t, {1: -7, 4: _kid(t)}),
    "alg none": lambda t: _with_header(t, {1: 0, 4: _kid(t)}),
    "unknown kid": lambda t: _with_header(t, {1: -8, 4: b"ZZZZZZZZ"}),
    "tampered payload": lambda t: _tamper(t),
    "signed by a stranger": lambda t: b64url(seal_sign1(cbor2.loads(b64url_decode(t)).value[2], new_signing_key())),
    "over-long": lambda t: t * 20,
    "extra path segment": lambda t: t + "/x",
    "percent-encoded junk": lambda t: "%00%ff%3Cscript%3E",
}


def _kid(token: str) -> bytes:
    return cbor2.loads(cbor2.loads(b64url_decode(token)).value[0])[4]


def _with_header(token: str, header: dict) -> str:
    _, _, payload, signature = cbor2.loads(b64url_decode(token)).value
    return b64url(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(header), {}, payload, signature])))


def _tamper(token: str) -> str:
    """Keep the signature, change the holder's validity end date inside the payload."""
    protected, _unprotected, payload, signature = cbor2.loads(b64url_decode(token)).value
    body = cbor2.loads(payload)
    body[-70001][10] += 3650
    return b64url(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(body, canonical=True), signature])))


@pytest.mark.parametrize("name", BAD_TOKENS)
def test_every_bad_token_is_shown_as_forged_without_touching_the_database(
        keyed_app: Flask, showcase: list[DemoPerson], name: str) -> None:
    token = legacy_token(keyed_app, showcase[VALID])
    bad = BAD_TOKENS[name](token)
    with sql_counter(keyed_app) as statements:
        response = keyed_app.test_client().get("/v/" + bad)
    assert response.status_code == 200
    assert headline(response.text) == "伪造或被篡改的二维码"
    assert statements == []


def test_a_live_code_is_valid_until_it_expires_then_asks_the_holder_to_refresh(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    cert = certificate_of(keyed_app, showcase[VALID])
    with keyed_app.test_request_context(), keyed_app.extensions["db"].session() as session:
        text, png, expires_at = certificate_files.live_qr(session, session.merge(cert), clock.now())
    assert png.startswith(b"\x89PNG") and expires_at == clock.now() + timedelta(seconds=65)
    live = open_page(keyed_app, text)
    assert headline(live) == "证书真实有效" and "动态码有效至" in live
    clock.moment += timedelta(seconds=64)  # the page showed it for 60 s; 5 s for the scan to reach us
    assert headline(open_page(keyed_app, text)) == "证书真实有效"
    clock.moment += timedelta(seconds=1)  # a screenshot is useless after 65 s
    assert headline(open_page(keyed_app, text)) == "二维码已过期，请持证人刷新"


def test_a_code_signed_by_a_revoked_key_says_so_and_a_rotated_key_still_verifies(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    key_dir = Path(keyed_app.config["SETTINGS"].signing.key_dir)
    first = printed_text(keyed_app, showcase[VALID])
    old_kid = keyring.list_keys(key_dir)[0].kid
    keyring.rotate(key_dir)
    assert headline(open_page(keyed_app, first)) == "证书真实有效"
    keyring.retire(key_dir, old_kid)
    assert headline(open_page(keyed_app, first)) == "签名密钥已吊销，无法证明真伪"


def legacy_token(app: Flask, holder: DemoPerson) -> str:
    """The holder's printed token spelled as codes printed before 2026-12 were (base64url)."""
    token = qrtext.extract_token(printed_text(app, holder))
    assert token is not None
    return b64url(token)


def api(app: Flask, body: object, **kwargs: object) -> dict:
    response = app.test_client().post("/api/verify", json=body, **kwargs)
    assert response.status_code == 200, response.text
    return response.get_json()


@pytest.mark.parametrize("url", [
    "https://evil.example.com/v/{token}",
    "https://cx.example.gov.cn.evil.com/v/{token}",
    "https://cx.example.gov.cn@evil.com/v/{token}",
    "http://localhost.evil.com/v/{token}",
    "https://evil.example.com\\@cx.example.gov.cn/v/{token}",
    "https://evil.example.com\\@localhost/v/{token}",
    "https://x@cx.example.gov.cn/v/{token}",
    "http://x@localhost/v/{token}",
    "weixin://dl/business/?t=abc",
])
def test_a_code_pointing_at_another_site_is_not_ours_even_with_a_genuine_token(
        keyed_app: Flask, showcase: list[DemoPerson], url: str) -> None:
    token = legacy_token(keyed_app, showcase[VALID])
    result = api(keyed_app, {"text": url.format(token=token)})
    assert result["outcome"] == "not_ours" and result["genuine"] is False
    assert "谨防假冒" in result["headline"] and result["certificate"] is None


def test_a_bare_number_gets_the_same_answer_whether_or_not_it_exists(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    """No existence oracle: a bare 证号 proves nothing and is not looked up without the holder's name."""
    held = api(keyed_app, {"text": "T" + showcase[VALID].id_number})
    unheld = api(keyed_app, {"text": "T440524188001010014"})
    assert held["outcome"] == "cert_number" and held["status"] is None and held["certificate"] is None
    assert {k: v for k, v in held.items() if k != "checked_at"} == {
        k: v for k, v in unheld.items() if k != "checked_at"}
    assert "姓名" in held["explanation"]


def test_a_number_with_the_holders_name_lists_every_item_masked(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[VALID]
    result = api(keyed_app, {"text": "T" + holder.id_number, "name": holder.name})
    items = [c["certificate"]["操作项目"] for c in result["certificates"]]
    assert sorted(items) == ["低压电工作业", "熔化焊接与热切割作业"]
    assert all(c["status"]["code"] == "valid" and c["genuine"] for c in result["certificates"])
    assert result["certificates"][0]["certificate"]["证件号码"].startswith(holder.id_number[:4] + "***")
    assert holder.id_number not in str(result) and holder.name not in str(result)
    wrong = api(keyed_app, {"text": "T" + holder.id_number, "name": "李四"})
    absent = api(keyed_app, {"text": "T440524188001010014", "name": holder.name})
    assert wrong["certificates"] == absent["certificates"] == [] and wrong["headline"] == absent["headline"]


def test_names_guessed_for_a_number_through_the_api_are_limited_as_in_the_chat(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[VALID]
    for name in ("李一", "李二", "李三", "李四", "李五")[:LIMITS[PAIR].limit]:
        assert api(keyed_app, {"text": "T" + holder.id_number, "name": name})["certificates"] == []
    refused = keyed_app.test_client().post("/api/verify", json={"text": "T" + holder.id_number, "name": holder.name})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3600
    message = refused.get_json()["message"]
    assert "多个不同的姓名" in message and "明天" in message and "签发机关" in message


def test_the_json_api_gives_the_same_verdict_as_the_page(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    for holder in (showcase[VALID], showcase[REVOKED], showcase[EXPIRED]):
        text = printed_text(keyed_app, holder)
        result = api(keyed_app, {"token": text})
        assert result["headline"] == headline(open_page(keyed_app, text))
        assert result["kid"] and result["official_domain"] == "cx.example.gov.cn"
        assert text.startswith("HTTP://LOCALHOST/V/")
        assert api(keyed_app, {"token": text.rsplit("/", 1)[1]})["headline"] == result["headline"]
        legacy = qrtext.legacy_qr_text("http://localhost", qrtext.b32_decode(text.rsplit("/", 1)[1]))
        assert headline(open_page(keyed_app, legacy)) == result["headline"]  # codes printed before 2026-12


@pytest.mark.parametrize("body", [None, "just a string", {"token": 42}, {"token": ""}, {"other": "x"}])
def test_a_malformed_api_request_gets_a_clear_400(keyed_app: Flask, body: object) -> None:
    response = keyed_app.test_client().post("/api/verify", json=body)
    assert response.status_code == 400 and "请提交" in response.get_json()["message"]


def test_the_api_is_rate_limited_per_client_ip(keyed_app: Flask) -> None:
    client = keyed_app.test_client()
    codes = [client.post("/api/verify", json={"text": "T110105194912310021"}).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    other = client.post("/api/verify", json={"text": "x"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_the_id_number_check_says_match_or_mismatch(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder, client = showcase[VALID], keyed_app.test_client()
    path = path_of(printed_text(keyed_app, holder))
    answers = {number: client.post(path, data={"id_number": number}).text
               for number in (holder.id_number.lower(), "11010519491231002X", "12345")}
    assert "一致：身份证号码与证书持证人相符" in answers[holder.id_number.lower()]
    assert "不一致" in answers["11010519491231002X"]
    assert "号码格式不正确" in answers["12345"]


def test_the_verification_page_gives_the_inspector_no_cookie(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    """The ID check is a comparison with the code's own data: no session, so no cookie to set."""
    path = path_of(printed_text(keyed_app, showcase[VALID]))
    client = keyed_app.test_client()
    for response in (client.get(path), client.post(path, data={"id_number": showcase[VALID].id_number})):
        assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_the_jwks_publishes_ed25519_public_keys_only(keyed_app: Flask) -> None:
    response = keyed_app.test_client().get("/.well-known/jwks.json")
    document = response.get_json()
    [key] = document["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and len(key["x"]) == 43 and "d" not in key
    assert set(from_jwks(document)) == {key["kid"]}
    assert "max-age" in response.headers["Cache-Control"]


def test_the_status_list_is_signed_and_lists_revoked_and_superseded_versions(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    response = keyed_app.test_client().get("/api/status-list")
    assert response.status_code == 200 and response.mimetype == "application/cose"
    keys = from_jwks(keyed_app.test_client().get("/.well-known/jwks.json").get_json())
    listed = verify_status_list(response.data, keys, int(clock.now().timestamp()))
    assert listed.outcome == ListOutcome.VALID

    def status(index: int, version: int | None = None) -> ListedStatus | None:
        cert = certificate_of(keyed_app, showcase[index], version)
        return listed.lookup(cert.public_id, cert.version)

    assert status(REVOKED) == ListedStatus.REVOKED and status(SUSPENDED) == ListedStatus.SUSPENDED
    assert status(REISSUED, version=1) == ListedStatus.SUPERSEDED and status(VALID) is None
    assert status(OVERDUE) == ListedStatus.REVIEW_OVERDUE and status(EXPIRED) is None
    assert all(len(k) == 16 for k in listed.entries)  # hashes only, never the ids


def test_a_revocation_reaches_the_page_at_once(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    text = printed_text(keyed_app, showcase[VALID])
    cert = certificate_of(keyed_app, showcase[VALID])
    with keyed_app.extensions["db"].session() as session, session.begin():
        session.execute(update(Certificate).where(Certificate.id == cert.id).values(admin_state="revoked"))
    assert headline(open_page(keyed_app, text)) == "证书真实，但已撤销"
    assert status_entry(cert.public_id, cert.version)  # the same id feeds the status list


def test_a_suspension_ends_by_itself_on_its_end_day_on_the_page_and_in_the_status_list(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    from app.services import status_list

    cert = certificate_of(keyed_app, showcase[SUSPENDED])
    text = printed_text(keyed_app, showcase[SUSPENDED])
    with keyed_app.extensions["db"].session() as session:
        session.execute(update(Certificate).where(Certificate.id == cert.id).values(
            suspended_until=clock.today() + timedelta(days=1)))
    assert headline(open_page(keyed_app, text)) == "证书真实，但已暂扣"
    entry = status_entry(cert.public_id, cert.version)
    with keyed_app.extensions["db"].session() as session:
        assert entry in status_list.listed_entries(session, clock.today())
        assert entry not in status_list.listed_entries(session, clock.today() + timedelta(days=1))
    clock.moment += timedelta(days=1)
    assert headline(open_page(keyed_app, text)) == "证书真实有效"
