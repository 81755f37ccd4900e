"""输入查询 and 扫码查询 through the webhook, as a worker or an inspector would use them."""
# Fixtures are imported explicitly from webhook_fixtures/fakes_fixtures, so F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.services.lookup_limits import BY_SENDER, NAMES_PER_NUMBER
from app.services.seed import DemoPerson
from app.web.query_pages import LINK_TTL
from tests.integration.verify_fixtures import keyed_app, printed_text, showcase  # noqa: F401
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
    assert "状态：未发布" in text and re.search(r"预计\d{4}年\d+月\d+日发布", text)


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


def test_many_names_tried_for_one_number_lock_that_number_even_for_the_right_name(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    for index, name in enumerate(["王一", "王二", "王三", "王四", "王五"][:NAMES_PER_NUMBER.limit]):
        assert "未查询到" in wechat.send_text(f"o-guess-{index}", f"{holder.id_number} {name}").text
    text = wechat.send_text("o-other", f"{holder.id_number} {holder.name}").text
    assert "已暂时锁定" in text and "分钟后再试" in text


def test_one_user_asking_too_often_is_told_to_wait(wechat: WeChatServer) -> None:
    for _ in range(BY_SENDER.limit):
        wechat.send_text("o-busy", "11010519491231002X 王小明")
    assert "查询过于频繁" in wechat.send_text("o-busy", "11010519491231002X 王小明").text


def test_a_user_over_their_own_limit_cannot_lock_someone_elses_number(
        wechat: WeChatServer, holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    for _ in range(BY_SENDER.limit):
        wechat.send_text("o-sprayer", "11010519491231002X 王小明")
    for name in ["王一", "王二", "王三", "王四", "王五"]:  # refused, and not counted against the number
        assert "查询过于频繁" in wechat.send_text("o-sprayer", f"{holder.id_number} {name}").text
    assert "状态：有效" in wechat.send_text("o-holder", f"{holder.id_number} {holder.name}").text


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
