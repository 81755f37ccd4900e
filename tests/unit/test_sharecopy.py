"""Shared copies: the terms a holder may set, when a link stops opening, what is kept about a viewer."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.sharecopy import (
    EXPIRED,
    OPEN,
    REVOKED,
    CopyTerms,
    CopyTermsError,
    coarse_agent,
    copy_state,
    copy_terms,
)

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(("purpose", "recipient", "days", "expected"), [
    ("入职审核", "重庆长江化工有限公司", "30", CopyTerms("入职审核", "重庆长江化工有限公司", dt.date(2026, 12, 27))),
    ("用于入职审核", "长江化工", "90", CopyTerms("入职审核", "长江化工", dt.date(2027, 2, 25))),  # 用于 is implied
    ("  项目  投标 ", " 渝北区 建设局\n", "7", CopyTerms("项目 投标", "渝北区 建设局", dt.date(2026, 12, 4))),
])
def test_terms_are_cleaned_and_the_last_day_counts_today(purpose: str, recipient: str, days: str,
                                                         expected: CopyTerms) -> None:
    assert copy_terms(purpose, recipient, days, TODAY) == expected


@pytest.mark.parametrize(("purpose", "recipient", "days", "field", "words"), [
    ("", "长江化工", "30", "purpose", "请填写用途"),
    ("用于", "长江化工", "30", "purpose", "请填写用途"),
    ("审" * 21, "长江化工", "30", "purpose", "不超过20个字"),
    ("入职审核", "长", "30", "recipient", "请填写提供给谁"),
    ("入职审核", "长" * 31, "30", "recipient", "不超过30个字"),
    ("入职\u202e审核", "长江化工", "30", "purpose", "无法显示的字符"),  # right-to-left override
    ("入职审核", "长江\x00化工", "30", "recipient", "无法显示的字符"),
    ("入职审核", "长江化工", "91", "days", "最长90天"),
    ("入职审核", "长江化工", "365", "days", "最长90天"),
    ("入职审核", "长江化工", "-1", "days", "最长90天"),
    ("入职审核", "长江化工", "", "days", "最长90天"),
])
def test_bad_terms_name_the_field_to_correct(purpose: str, recipient: str, days: str, field: str,
                                             words: str) -> None:
    with pytest.raises(CopyTermsError) as caught:
        copy_terms(purpose, recipient, days, TODAY)
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize(("expires_on", "revoked", "today", "state"), [
    (TODAY, False, TODAY, OPEN),  # the last day still opens
    (TODAY, False, TODAY + dt.timedelta(days=1), EXPIRED),
    (TODAY + dt.timedelta(days=30), True, TODAY, REVOKED),
    (TODAY - dt.timedelta(days=1), True, TODAY, REVOKED),  # revoked wins over expired
])
def test_a_link_opens_until_its_last_day_unless_revoked(expires_on: dt.date, revoked: bool, today: dt.date,
                                                        state: str) -> None:
    assert copy_state(expires_on, revoked, today) == state


@pytest.mark.parametrize(("agent", "kind"), [
    ("Mozilla/5.0 (Linux; Android 10) Mobile Safari/537.36 MicroMessenger/8.0.49", "微信"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", "手机浏览器"),
    ("Mozilla/5.0 (Linux; Android 13; V2203A) Chrome/116.0 Mobile Safari/537.36", "手机浏览器"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36", "电脑浏览器"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15", "电脑浏览器"),
    ("curl/8.4.0", "其他"),
    ("", "其他"),
])
def test_only_the_kind_of_browser_is_kept_about_a_viewer(agent: str, kind: str) -> None:
    assert coarse_agent(agent) == kind
