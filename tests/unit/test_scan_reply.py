"""The 扫码查询 reply: a link to the code's page (the inspector view for an inspector), where to report
a misused certificate with the authority's phone, and no signing-key jargon."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from app.domain.catalogue import Named
from app.domain.status import StatusCode, StatusResult
from app.services.verification import FORGED, GENUINE, Verdict
from handlers import Context, replies, scan

TOKEN = bytes(range(40))


def _ctx() -> Context:
    now = datetime(2026, 12, 3, 10, 0)
    return Context(session=None, pii=None, store=None, today=now.date(), now=now,  # type: ignore[arg-type]
                   base_url="https://cx.example.gov.cn", official_domain="cx.example.gov.cn", link=lambda ids: "")


def _genuine(**extra: Any) -> Verdict:
    status = StatusResult(StatusCode.VALID, "有效", "", None, None, True)
    return Verdict(GENUINE, "证书真实有效", "签名有效。", datetime(2026, 12, 3, 10, 0), status=status,
                   fields={"姓名": "陈*建", "签发机关": "重庆市应急管理局"}, kid="tnoPs3Za", token=TOKEN, **extra)


class _Catalogue:
    def authority(self, name: str) -> Named | None:
        return Named("500000", name, phone="023-12345678") if name == "重庆市应急管理局" else None


@pytest.fixture(autouse=True)
def _phones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "catalogue", _Catalogue)


def test_the_public_reply_links_to_the_page_and_names_the_authoritys_phone() -> None:
    text = scan.render(_genuine(), _ctx())
    assert '<a href="https://cx.example.gov.cn/v/' in text and "/inspect/" not in text
    assert replies.report_line("重庆市应急管理局", "023-12345678") in text
    assert "tnoPs3Za" not in text and "签名密钥" not in text


def test_an_inspectors_reply_links_to_the_inspector_view() -> None:
    assert '<a href="https://cx.example.gov.cn/inspect/v/' in scan.render(_genuine(), _ctx(), inspector=True)


def test_a_forgery_has_no_page_link_and_says_how_to_check() -> None:
    forged = Verdict(FORGED, "假冒证书", "不是本系统签发。", datetime(2026, 12, 3, 10, 0))
    text = scan.render(forged, _ctx())
    assert "<a href" not in text and "正确的核验方法" in text


@pytest.mark.parametrize(("phone", "line"), [
    ("023-12345678", "发现冒用、涂改证书的，可向签发机关举报：重庆市应急管理局，电话 023-12345678"),
    (None, "发现冒用、涂改证书的，可向签发机关举报：重庆市应急管理局"),
])
def test_the_report_line_gives_the_phone_only_when_known(phone: str | None, line: str) -> None:
    assert replies.report_line("重庆市应急管理局", phone) == line
