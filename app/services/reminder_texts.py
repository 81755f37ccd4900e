"""The Chinese wording of reminders: the template message's fields and the full customer-service text.

The template ([wechat] reminder_template_id, chosen in the WeChat console's template library) must
have the fields in FIELDS. Since 2023 WeChat shows about 20 characters per field and no first/remark
lines, so the fields are short and the message links to the certificate's page for the rest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain.reminders import EXPIRY_NOTICES, NoticeKind
from app.domain.status import cn_date
from app.integrations.wechat import fit_field
from app.services.presenters import catalogue

# Template field key -> its name in the template (what WeChat shows to the left of the value).
FIELDS = {"thing1": "证书名称", "phrase2": "提醒事项", "time3": "日期", "thing4": "温馨提示"}
# phrase fields hold at most 5 characters.
SUBJECTS = {NoticeKind.PUBLISHED: "证书已发布", NoticeKind.EXPIRY_90: "即将到期", NoticeKind.EXPIRY_30: "即将到期",
            NoticeKind.REVIEW_DUE: "需要复审"}
HINTS = {NoticeKind.PUBLISHED: "可在我的证书查看、下载和亮证", NoticeKind.EXPIRY_90: "请及时申请换证",
         NoticeKind.EXPIRY_30: "请尽快申请换证", NoticeKind.REVIEW_DUE: "请在此日期前完成复审"}


def template_data(payload: dict[str, Any]) -> dict[str, str]:
    """The reminder template's fields for one queued reminder."""
    kind = NoticeKind(payload["notice"])
    return {"thing1": fit_field(payload["title"]), "phrase2": SUBJECTS[kind],
            "time3": cn_date(date.fromisoformat(payload["about"])), "thing4": HINTS[kind]}


def _call(authority: str) -> str:
    """Whom to ask: the issuing authority, with its phone when the deployment knows it."""
    named = catalogue().authority(authority)
    return f"{authority}（电话{named.phone}）" if named and named.phone else authority


def text_message(payload: dict[str, Any], url: str) -> str:
    """The customer-service fallback: the whole reminder in one message, with the link."""
    kind, title = NoticeKind(payload["notice"]), payload["title"]
    about = cn_date(date.fromisoformat(payload["about"]))
    if kind == NoticeKind.PUBLISHED:
        body = f"您的{title}电子证书已于{about}发布，可在“我的证书”查看、下载和亮证。"
    elif kind == NoticeKind.REVIEW_DUE:
        body = (f"您的{title}应于{about}前完成复审，逾期未复审证书失效。"
                f"请向{_call(payload['authority'])}申请复审。")
    else:
        body = (f"您的{title}将于{about}到期（提前{EXPIRY_NOTICES[kind]}天提醒），到期后不能再凭此证作业。"
                f"请向{_call(payload['authority'])}申请换证。")
    return f"{body}\n详情：{url}\n（可在“我的证书”关闭提醒）"
