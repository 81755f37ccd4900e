"""输入查询 and 扫码查询 through the webhook, as a worker or an inspector would use them."""
# Fixtures are imported explicitly from webhook_fixtures/fakes_fixtures, so F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.services import accounts, registry
from app.services.lookup_limits import LIMITS, NUMBER, PAIR, SENDER
from app.services.seed import DemoPerson
from app.storage.models import Certificate, WechatUser
from app.web.query_pages import LINK_TTL
from tests.integration.test_next_steps import says_what_to_do
from tests.integration.verify_fixtures import (  # noqa: F401
    CANCELLED,
    EXPIRED,
    OVERDUE,
    REVOKED,
    SUSPENDED,
    keyed_app,
    printed_text,
    showcase,
)
from tests.integration.verify_fixtures import UNPUBLISHED as UNPUBLISHED_INDEX
from tests.integration.webhook_fixtures import (  # noqa: F401
    UNPUBLISHED,
    VALID,
    CountingVerifier,
    holders,
    wechat,
)
from tests.wechat_helper import WeChatServer

LINK = re.compile(r'<a href="http://localhost(/h5/[^"]+)">')


def test_tapping_input_query_explains_the_format_with_an_example(wechat: WeChatServer) -> None:
    text = wechat.click("o-worker", "QUERY_INPUT").text
    assert "证件号码 姓名" in text and "例如" in text


def test_a_worker_gets_their_certificate_with_status_masked_id_and_a_detail_link(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    wechat.click("o-worker", "QUERY_INPUT")
    text = wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text
    assert "特种作业操作证" in text and "作业类别：电工作业" in text and "操作项目：低压电工作业" in text
    assert "状态：有效" in text and "有效期：" in text
    assert holder.id_number not in text
    assert f"{holder.id_number[:4]}**********{holder.id_number[-4:]}" in text
    assert LINK.search(text)


@pytest.mark.parametrize("template", ["{id} {name}", "{name} {id}", "{id}\u3000{name}", "{id}，{name}",
                                      "{name},{id}", "  {id}   {name}  ", "T{id} {name}"])
def test_the_query_accepts_spaces_full_width_spaces_commas_and_either_order(
        wechat: WeChatServer, holders: dict[str, DemoPerson], template: str) -> None:
    holder = holders[VALID]
    text = wechat.send_text("o-worker", template.format(id=holder.id_number, name=holder.name)).text
    assert "查询到2张证书" in text


def test_the_detail_link_shows_the_masked_certificate_and_its_live_status(
        client: FlaskClient, wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    text = wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text
    page = client.get(LINK.search(text).group(1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "有效" in html and "低压电工作业" in html and holder.id_number not in html
    assert page.headers["Cache-Control"] == "no-store"


def test_a_tampered_or_foreign_detail_link_is_refused(
        client: FlaskClient, wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    path = LINK.search(wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text).group(1)
    public_id, token = path.removeprefix("/h5/cert/").split("?t=")
    assert client.get(f"/h5/cert/{public_id}?t={token}x").status_code == 403
    assert client.get(f"/h5/cert/other-id?t={token}").status_code == 403
    assert "重新查询" in client.get(f"/h5/cert/{public_id}").get_data(as_text=True)


def test_a_detail_link_stops_working_after_thirty_minutes(
        client: FlaskClient, wechat: WeChatServer, holders: dict[str, DemoPerson],
        monkeypatch: pytest.MonkeyPatch) -> None:
    holder = holders[VALID]
    path = LINK.search(wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text).group(1)
    later = time.time() + LINK_TTL + 5
    assert client.get(path).status_code == 200
    monkeypatch.setattr(time, "time", lambda: later)  # itsdangerous reads the wall clock
    expired = client.get(path)
    assert expired.status_code == 403 and "已过期" in expired.get_data(as_text=True)


def test_an_unpublished_certificate_says_when_it_will_be_published(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[UNPUBLISHED]
    text = wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text
    assert "状态：未发布" in text and re.search(r"电子证书将于\d{4}年\d+月\d+日发布", text)
    assert "考试合格后第10个工作日" in text and "签发机关：" in text


@pytest.mark.parametrize("index", [SUSPENDED, REVOKED, CANCELLED, EXPIRED, OVERDUE, UNPUBLISHED_INDEX])
def test_the_reply_and_its_detail_page_say_what_to_do_next_and_whom_to_call(
        client: FlaskClient, wechat: WeChatServer, holders: dict[str, DemoPerson], index: int) -> None:
    holder = list(holders.values())[index]
    reply = wechat.send_text(f"o-asker-{index}", f"{holder.id_number} {holder.name}").text
    says_what_to_do(reply, index, public=True)
    says_what_to_do(client.get(LINK.search(reply).group(1)).text, index, public=True)  # type: ignore[union-attr]


def test_no_match_is_the_same_answer_whether_or_not_the_number_exists(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    wrong_name = wechat.send_text("o-a", f"{holder.id_number} 王小明").text
    unknown_number = wechat.send_text("o-b", "11010519491231002X 王小明").text
    assert wrong_name == unknown_number
    assert "未查询到" in wrong_name


def test_a_wrong_check_digit_gets_a_specific_format_hint(wechat: WeChatServer) -> None:
    text = wechat.send_text("o-worker", "110105194912310021 张三").text
    assert "证件号码格式有误" in text and "校验" in text


def test_a_name_with_digits_gets_a_name_hint(wechat: WeChatServer) -> None:
    wechat.click("o-worker", "QUERY_INPUT")
    assert "姓名格式有误" in wechat.send_text("o-worker", "11010519491231002X 张3").text


def test_unreadable_text_after_tapping_input_query_repeats_the_format(wechat: WeChatServer) -> None:
    wechat.click("o-worker", "QUERY_INPUT")
    assert "未能识别" in wechat.send_text("o-worker", "帮我查一下").text


def test_an_answered_query_ends_the_conversation(wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    wechat.click("o-worker", "QUERY_INPUT")
    assert "状态：有效" in wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text
    assert "暂不支持" in wechat.send_text("o-worker", "帮我查一下").text  # no longer read as a query


def test_unsubscribing_forgets_the_conversation(wechat: WeChatServer) -> None:
    wechat.click("o-worker", "QUERY_INPUT")
    assert wechat.unsubscribe("o-worker").is_success
    assert "暂不支持" in wechat.send_text("o-worker", "帮我查一下").text


def _names(count: int) -> list[str]:
    """`count` different wrong names."""
    return [f"王{chr(0x4e00 + n)}" for n in range(count)]


def _miss(wechat: WeChatServer, openid: str, holder: DemoPerson, names: list[str]) -> None:
    """`openid` asks for the holder's number with each wrong name and is told nothing matched."""
    for name in names:
        assert "未查询到" in wechat.send_text(openid, f"{holder.id_number} {name}").text


def _bind(app: Flask, openid: str, holder: DemoPerson) -> None:
    """`openid` verified and bound to `holder`, as 我的证书 leaves it after a passed face check."""
    with app.extensions["db"].session() as session:
        person = registry.find_person(session, app.extensions["pii"], holder.id_number)
        assert person is not None
        session.add(WechatUser(openid=openid, person_id=person.id, claimed_person_id=person.id,
                               verified_at=datetime(2026, 11, 1), verified_method="face"))
        session.commit()


def test_a_worker_who_mistypes_his_name_twice_still_gets_his_certificates(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    _miss(wechat, "o-worker", holder, _names(2))
    assert "状态：有效" in wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text


def test_one_sender_guessing_names_for_a_number_is_stopped_without_locking_anyone_else(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    _miss(wechat, "o-guesser", holder, _names(LIMITS[PAIR].limit))
    refused = wechat.send_text("o-guesser", f"{holder.id_number} {holder.name}").text
    assert "多个不同的姓名" in refused and "后再试" in refused and "签发机关" in refused
    assert "状态：有效" not in refused
    assert "状态：有效" in wechat.send_text("o-holder", f"{holder.id_number} {holder.name}").text


def test_only_many_senders_together_lock_a_number_and_never_for_its_verified_holder(
        app: Flask, wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    per_sender = LIMITS[PAIR].limit
    names = _names(LIMITS[NUMBER].limit)
    for index in range(0, len(names), per_sender):
        _miss(wechat, f"o-bot-{index}", holder, names[index:index + per_sender])
    locked = wechat.send_text("o-stranger", f"{holder.id_number} {holder.name}").text
    assert "暂停查询" in locked and "明天" in locked and "我的证书" in locked and "签发机关" in locked
    _bind(app, "o-holder", holder)
    assert "状态：有效" in wechat.send_text("o-holder", f"{holder.id_number} {holder.name}").text
    assert "状态：有效" in wechat.send_text("o-holder", f"T{holder.id_number} {holder.name}").text


def test_a_number_is_the_verified_holders_own_by_id_number_or_by_a_certificates_number(
        app: Flask, holders: dict[str, DemoPerson]) -> None:
    holder, manager = holders[VALID], holders["有效（安管人员）"]
    _bind(app, "o-holder", holder)
    _bind(app, "o-manager", manager)
    pii = app.extensions["pii"]
    with app.extensions["db"].session() as session:
        person = registry.find_person(session, pii, manager.id_number)
        assert person is not None
        session.execute(update(Certificate).where(Certificate.person_id == person.id)
                        .values(cert_no_hash=registry.cert_lookup_hash(pii, "AQ202600000001")))
        session.commit()
        assert accounts.holds_number(session, pii, "o-holder", holder.id_number)
        assert accounts.holds_number(session, pii, "o-holder", "T" + holder.id_number)
        assert accounts.holds_number(session, pii, "o-manager", "aq202600000001")
        assert not accounts.holds_number(session, pii, "o-holder", "AQ202600000001")
        assert not accounts.holds_number(session, pii, "o-holder", manager.id_number)
        assert not accounts.holds_number(session, pii, "o-stranger", holder.id_number)
        assert not accounts.holds_number(session, pii, "o-holder", holder.id_number[:-1] + "0")


def test_one_user_asking_too_often_is_told_when_to_try_again(wechat: WeChatServer) -> None:
    for _ in range(LIMITS[SENDER].limit):
        wechat.send_text("o-busy", "11010519491231002X 王小明")
    text = wechat.send_text("o-busy", "11010519491231002X 王小明").text
    assert "查询过于频繁" in text and "请在今天10:10（约10分钟）后再试" in text and "签发机关" in text


def test_a_verified_holder_asking_too_often_still_gets_his_own_certificates_but_nobody_elses(
        app: Flask, wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder, other = holders[VALID], holders[UNPUBLISHED]
    _bind(app, "o-holder", holder)
    for _ in range(LIMITS[SENDER].limit):
        wechat.send_text("o-holder", "11010519491231002X 王小明")
    assert "状态：有效" in wechat.send_text("o-holder", f"{holder.id_number} {holder.name}").text
    assert "查询过于频繁" in wechat.send_text("o-holder", f"{other.id_number} {other.name}").text


def test_a_user_over_their_own_limit_cannot_lock_someone_elses_number(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    for _ in range(LIMITS[SENDER].limit):
        wechat.send_text("o-sprayer", "11010519491231002X 王小明")
    for name in _names(LIMITS[NUMBER].limit + 1):  # refused, and not counted against the number
        assert "查询过于频繁" in wechat.send_text("o-sprayer", f"{holder.id_number} {name}").text
    assert "状态：有效" in wechat.send_text("o-holder", f"{holder.id_number} {holder.name}").text


def test_a_scanned_number_followed_by_names_is_limited_like_a_typed_query(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    for name in _names(LIMITS[PAIR].limit):
        wechat.scan("o-inspector", f"T{holder.id_number}")
        assert "未查询到" in wechat.send_text("o-inspector", name).text
    wechat.scan("o-inspector", f"T{holder.id_number}")
    assert "多个不同的姓名" in wechat.send_text("o-inspector", holder.name).text


def test_scanning_a_code_of_another_site_warns_of_a_possible_forgery(wechat: WeChatServer) -> None:
    text = wechat.scan("o-inspector", "https://cx.example.gov.cn.evil.example/v/abc").text
    assert "非本系统二维码，谨防假冒" in text and "正确的核验方法" in text


@pytest.mark.parametrize("push", [False, True])
def test_scanning_a_bare_certificate_number_asks_for_the_name_then_lists_every_item(
        wechat: WeChatServer, holders: dict[str, DemoPerson], push: bool) -> None:
    holder = holders[VALID]
    asked = wechat.scan("o-inspector", f"T{holder.id_number}", push=push).text
    assert "不是防伪二维码" in asked and "回复持证人姓名" in asked
    assert holder.id_number not in asked and holder.name not in asked
    text = wechat.send_text("o-inspector", holder.name).text
    assert "查询到2张证书" in text and "操作项目：低压电工作业" in text and "操作项目：熔化焊接与热切割作业" in text
    assert text.count("状态：有效") == 2 and holder.id_number not in text


def test_a_scan_uses_the_verification_service_when_it_is_wired_in(app: Flask, wechat: WeChatServer) -> None:
    verifier = CountingVerifier(headline="证书真实有效")
    app.extensions["verifier"] = verifier
    assert "证书真实有效" in wechat.scan("o-inspector", "https://cx.example.gov.cn/v/xyz").text
    assert verifier.calls == 1


def test_scanning_a_number_nobody_holds_gets_the_same_answers(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    """No existence oracle: the same question, and after a name the same no-match as 输入查询."""
    holder = holders[VALID]
    held = wechat.scan("o-one", f"T{holder.id_number}").text
    unheld = wechat.scan("o-two", "T440524188001010014").text
    assert held == unheld
    assert wechat.send_text("o-one", "李四").text == wechat.send_text("o-two", "李四").text


def test_an_empty_scan_asks_to_scan_again(wechat: WeChatServer) -> None:
    assert "重新扫描" in wechat.scan("o-inspector", "").text


def test_a_genuine_code_then_a_tampered_one_in_the_same_second_get_two_different_answers(
        keyed_app: Flask, showcase: list[DemoPerson], wechat: WeChatServer) -> None:
    genuine = printed_text(keyed_app, showcase[0])
    token_at = genuine.rindex("/") + 1
    flipped = "A" if genuine[token_at + 5] != "A" else "B"
    tampered = genuine[:token_at + 5] + flipped + genuine[token_at + 6:]
    first = wechat.scan("o-inspector", genuine, create_time=1795900000).text
    second = wechat.scan("o-inspector", tampered, create_time=1795900000).text
    assert "证书真实有效" in first
    assert "证书真实有效" not in second and "伪造" in second
