"""What every status tells the reader to do next, and whom to call (app/services/next_steps.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.status import StatusCode
from app.services.next_steps import Situation, next_step

BASE = Situation(StatusCode.VALID, valid_from=date(2026, 3, 2), valid_until=date(2032, 3, 1),
                 authority="重庆市应急管理局", phone="023-67611082")


@pytest.mark.parametrize(("changes", "summary", "says"), [
    ({"code": StatusCode.UNPUBLISHED, "available_on": date(2026, 3, 16)}, "预计2026年3月16日发布",
     ["2026年3月16日发布", "第10个工作日", "有效期从2026年3月2日算起，早于发布日期", "【我的证书】"]),
    ({"code": StatusCode.UNPUBLISHED, "available_on": date(2026, 3, 2)}, "预计2026年3月2日发布",
     ["2026年3月2日发布"]),
    ({"code": StatusCode.UNPUBLISHED}, "发布日期待定", ["10个工作日内发布", "节假日安排"]),
    ({"code": StatusCode.REVIEW_DUE, "review_due": date(2026, 5, 20)}, "请在2026年5月20日前复审",
     ["2026年5月20日前申请复审", "健康证明", "签发机关或工作所在地的考核发证机关"]),
    ({"code": StatusCode.REVIEW_OVERDUE, "review_due": date(2025, 3, 10)}, "已失效，请尽快办理复审",
     ["2025年3月10日前复审", "已失效", "不得凭此证作业", "安全培训并考试合格", "健康证明",
      "签发机关或工作所在地的考核发证机关"]),
    ({"code": StatusCode.EXPIRED}, "已过期，请联系签发机关换证", ["2032年3月1日届满", "换证"]),
    ({"code": StatusCode.SUSPENDED, "admin_reason": "违章作业", "suspended_until": date(2027, 3, 1)},
     "暂扣中，2027年3月1日起恢复", ["暂扣原因：违章作业。", "2027年3月1日起自动恢复", "不得凭此证作业"]),
    ({"code": StatusCode.SUSPENDED}, "暂扣中，不得凭此证作业", ["暂扣解除后证书自动恢复", "联系签发机关"]),
    ({"code": StatusCode.REVOKED, "admin_reason": "以欺骗手段取得"}, "已撤销，不能再使用",
     ["撤销原因：以欺骗手段取得。", "有异议"]),
    ({"code": StatusCode.REVOKED, "admin_reason": "  "}, "已撤销，不能再使用", ["已被签发机关撤销"]),
    ({"code": StatusCode.CANCELLED, "admin_reason": "持证人申请注销"}, "已注销，不能再使用",
     ["注销原因：持证人申请注销。", "不是持证人本人申请注销"]),
    ({"code": StatusCode.SUPERSEDED, "current_version": 3}, "请使用新版本证书", ["已换发第3版"]),
    ({"code": StatusCode.SUPERSEDED}, "请使用新版本证书", ["已换发新版本"]),
])
def test_each_status_says_what_to_do_next(changes: dict[str, object], summary: str, says: list[str]) -> None:
    step = next_step(replace(BASE, **changes))  # type: ignore[arg-type]
    assert step is not None
    assert step.summary == summary
    for words in says:
        assert words in step.action
    assert ("原因：" in step.action) == bool(str(changes.get("admin_reason", "")).strip())
    assert step.contact == "重庆市应急管理局，电话 023-67611082"


def test_validity_is_explained_only_when_it_starts_before_publication() -> None:
    step = next_step(replace(BASE, code=StatusCode.UNPUBLISHED, available_on=date(2026, 3, 2)))
    assert step is not None and "早于发布日期" not in step.action


def test_an_authority_without_a_known_phone_is_named_alone() -> None:
    step = next_step(replace(BASE, code=StatusCode.EXPIRED, phone=None))
    assert step is not None and step.contact == "重庆市应急管理局" and step.phone is None


def test_every_status_but_valid_has_advice() -> None:
    for code in StatusCode:
        step = next_step(replace(BASE, code=code, available_on=date(2026, 3, 16), review_due=date(2026, 5, 20)))
        assert (step is None) == (code == StatusCode.VALID), code
