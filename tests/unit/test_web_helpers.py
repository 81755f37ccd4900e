"""Pure helpers of the web layer: template filters, which error page a path gets, which posts skip CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.web.errors import page_family, text_for
from app.web.filters import duration_text, review_wait_text
from app.web.security import is_exempt


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (None, "暂无数据"),
        (timedelta(seconds=10), "约 1 分钟"),
        (timedelta(minutes=42), "约 42 分钟"),
        (timedelta(hours=3), "约 3 小时"),
        (timedelta(hours=3, minutes=5), "约 3 小时 5 分钟"),
        (timedelta(days=2), "约 2 天"),
        (timedelta(days=2, hours=3, minutes=59), "约 2 天 3 小时"),
    ],
)
def test_durations_read_as_chinese_text(span: timedelta | None, text: str) -> None:
    assert duration_text(span) == text


@pytest.mark.parametrize(("span", "sentence"), [
    (None, "近期还没有审核完成的申请，暂时无法估计审核需要多长时间。"),
    (timedelta(days=2, hours=3), "近期人工审核通常需要约 2 天 3 小时。"),
    (timedelta(minutes=42), "近期人工审核通常需要约 42 分钟。"),
])
def test_the_review_wait_is_a_sentence_even_without_data(span: timedelta | None, sentence: str) -> None:
    assert review_wait_text(span) == sentence


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/api/verify", "api"),
        ("/api/status-list", "api"),
        ("/admin", "admin"),
        ("/admin/requests/3", "admin"),
        ("/administrator", "public"),
        ("/h5/my", "public"),
        ("/v/abc", "public"),
        ("/nonexistent", "public"),
    ],
)
def test_error_pages_take_the_look_of_their_part_of_the_site(path: str, family: str) -> None:
    assert page_family(path) == family


@pytest.mark.parametrize(
    ("status", "title"),
    [(404, "页面不存在"), (429, "操作过于频繁"), (500, "系统出现问题"), (418, "请求有误"), (502, "系统出现问题")],
)
def test_every_status_has_chinese_wording(status: int, title: str) -> None:
    assert text_for(status).title == title


@pytest.mark.parametrize(("path", "exempt"), [
    ("/wechat", True),                 # WeChat's signature
    ("/api/verify", True),             # JSON, no cookies
    ("/v/T1234", True),                # the ID check: a comparison, nothing stored, no session
    ("/h5/register", False),
    ("/h5/review/new", False),
    ("/admin/login", False),
    ("/wechatx", False),
    ("/verify", False),
])
def test_which_posts_skip_the_csrf_token(path: str, exempt: bool) -> None:
    assert is_exempt(path) is exempt
