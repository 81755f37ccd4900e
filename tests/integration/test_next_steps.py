"""Every status on every page and in the chat says what to do next, with the authority's name and phone."""

# Fixtures are imported explicitly, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask

from app.services.seed import DemoPerson
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    wechat_settings,
    worker,
)
from tests.integration.verify_fixtures import (  # noqa: F401
    CANCELLED,
    EXPIRED,
    OVERDUE,
    REISSUED,
    REVOKED,
    SUSPENDED,
    UNPUBLISHED,
    keyed_app,
    path_of,
    printed_text,
    showcase,
)

PHONE = "023-67611082"  # 重庆市应急管理局 (app/domain/data/authorities.json), every demo certificate's authority
# What each showcase status must say: the index in app.services.seed and words of its advice.
ADVICE = {
    SUSPENDED: ["暂扣原因：违章作业，暂扣6个月。", "起自动恢复", "不得凭此证作业"],
    REVOKED: ["撤销原因：以欺骗手段取得。", "有异议"],
    CANCELLED: ["注销原因：持证人申请注销。", "不能再凭此证作业"],
    EXPIRED: ["届满", "办理换证"],
    OVERDUE: ["逾期未复审已失效", "办理复审", "健康证明"],
    UNPUBLISHED: ["考试合格后第10个工作日", "发布后可在【我的证书】查看"],
}
_CERT_LINK = re.compile(r'href="/h5/my/cert/([^"/]+)"')


REASON = "原因："  # the authority's recorded reason: only the holder's own pages show it


def says_what_to_do(page: str, index: int, public: bool = False) -> None:
    """The page or reply gives the showcase holder's advice and the authority's name and phone; a
    public page (anyone who scans, or knows a name and number) gives no recorded reason."""
    text = html.unescape(page)
    for words in ADVICE[index]:
        if public and REASON in words:
            assert words.split(REASON, 1)[1] not in text, (index, words)
            continue
        assert words in text, (index, words)
    assert "重庆市应急管理局" in text and PHONE in text


@pytest.mark.parametrize("index", list(ADVICE))
def test_my_certificates_list_and_detail_say_what_to_do_next(
        holders: list[DemoPerson], worker: Callable[[str], Worker], index: int) -> None:
    holder = worker(f"o-holder-{index}")
    holder.onboard(holders[index])
    listing = holder.get("/h5/my").text
    assert 'class="cert-next"' in listing
    [public_id] = _CERT_LINK.findall(listing)
    detail = holder.get(f"/h5/my/cert/{public_id}").text
    says_what_to_do(detail, index)
    assert f'href="tel:{PHONE}"' in detail


@pytest.mark.parametrize("index", [SUSPENDED, REVOKED, CANCELLED, EXPIRED, OVERDUE])
def test_the_verification_page_and_the_api_say_what_to_do_next(
        keyed_app: Flask, showcase: list[DemoPerson], index: int) -> None:
    text = printed_text(keyed_app, showcase[index])
    says_what_to_do(keyed_app.test_client().get(path_of(text)).text, index, public=True)
    answer = keyed_app.test_client().post("/api/verify", json={"text": text}).get_json()
    advice = [words for words in ADVICE[index] if REASON not in words]
    assert answer["next_step"]["phone"] == PHONE and advice[0] in answer["next_step"]["action"]
    assert REASON not in answer["next_step"]["action"]


def test_an_old_version_says_which_version_to_show(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    page = keyed_app.test_client().get(path_of(printed_text(keyed_app, showcase[REISSUED], version=1))).text
    assert "已换发第2版，请出示和使用新版本" in page


def test_a_valid_certificate_needs_no_advice(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    page = keyed_app.test_client().get(path_of(printed_text(keyed_app, showcase[0]))).text
    assert "下一步" not in page
