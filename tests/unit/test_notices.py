"""A holder's notices fit WeChat's template fields; the full text is in the fallback and on the linked page."""

from __future__ import annotations

from datetime import date

import pytest

from app.integrations.wechat import check_template_data
from app.services import notices

LONG_REASON = "经查，持证人于2026年11月在重庆长江化工有限公司违章作业，造成设备损坏，依法暂扣特种作业操作证"


@pytest.mark.parametrize("action", ["suspend", "unsuspend", "revoke", "cancel", "correct"])
def test_every_certificate_notice_fits_the_template_rules(action: str) -> None:
    until = date(2027, 3, 1) if action == "suspend" else None
    payload = notices.certificate_payload("pid123", "熔化焊接与热切割作业（特种作业操作证）", action,
                                          LONG_REASON, until, "2026-12-03 10:00")
    data = notices.template_data(notices.CERTIFICATE_NOTICE, payload)
    check_template_data(data)  # raises past 20 characters
    assert len(data["phrase2"]) <= 5  # WeChat's phrase fields
    text = notices.text(notices.CERTIFICATE_NOTICE, payload, "https://x/h5/my/cert/pid123")
    assert LONG_REASON in text and text.endswith("https://x/h5/my/cert/pid123")
    assert notices.path(notices.CERTIFICATE_NOTICE, payload) == "/h5/my/cert/pid123"


def test_a_suspension_notice_puts_the_end_day_first() -> None:
    payload = notices.certificate_payload("p", "低压电工作业", "suspend", "违章作业", date(2027, 3, 1),
                                          "2026-12-03 10:00")
    data = notices.template_data(notices.CERTIFICATE_NOTICE, payload)
    assert data["phrase2"] == "已暂扣" and data["thing4"].startswith("2027年3月1日起恢复")
    assert "2027年3月1日起恢复" in notices.text(notices.CERTIFICATE_NOTICE, payload, "u")


@pytest.mark.parametrize(("result", "reason", "note"), [
    ("approved", "", "证书信息已按您的申请更正"),
    ("rejected", LONG_REASON, LONG_REASON[:19] + "…"),
])
def test_a_correction_result_is_cut_to_twenty_characters(result: str, reason: str, note: str) -> None:
    payload = notices.correction_payload(7, "单位名称", result, reason, "2026-12-03 10:00")
    data = notices.template_data(notices.CORRECTION_RESULT, payload)
    check_template_data(data)
    assert data["thing4"] == note and data["thing1"] == "信息更正：单位名称"
    assert notices.path(notices.CORRECTION_RESULT, payload) == "/h5/corrections/7"
    assert (reason or "已更正") in notices.text(notices.CORRECTION_RESULT, payload, "u")
