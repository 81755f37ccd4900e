"""What a holder is told when the authority acts on a certificate or decides a correction request.

Plain formatting over the stored payload (no database): the outbox (app.services.notify) delivers it.
A template message shows about 20 characters per field (WeChat, since 2023), so the reason is cut
there and the message links to the holder's page that shows it whole: the certificate's page for an
action, the request's page for a correction result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain.status import cn_date
from app.integrations.wechat import fit_field

CERTIFICATE_NOTICE = "certificate_notice"
CORRECTION_RESULT = "correction_result"
# WeChat's `phrase` fields take at most 5 characters.
ACTION_RESULTS = {"suspend": "已暂扣", "unsuspend": "已解除暂扣", "revoke": "已撤销", "cancel": "已注销",
                  "correct": "已更正"}
CORRECTION_RESULTS = {"approved": "已通过", "rejected": "已驳回"}


# The notice template's fields as the WeChat console shows them (the simulator names them so).
FIELDS = {"thing1": "事项", "phrase2": "结果", "time3": "时间", "thing4": "备注"}
clip = fit_field  # ~20 characters per template field (WeChat, since 2023)


def certificate_payload(public_id: str, item: str, action: str, reason: str, until: date | None,
                        at_text: str) -> dict[str, Any]:
    """The stored payload of a certificate notice (`item` names the certificate, e.g. 低压电工作业)."""
    return {"public_id": public_id, "item": item, "action": action, "reason": reason,
            "until": until.isoformat() if until else None, "at": at_text}


def correction_payload(request_id: int, field_label: str, result: str, reason: str, at_text: str,
                       ) -> dict[str, Any]:
    """The stored payload of a correction result."""
    return {"request_id": request_id, "field": field_label, "result": result, "reason": reason, "at": at_text}


def _until_text(payload: dict[str, Any]) -> str:
    return f"{cn_date(date.fromisoformat(payload['until']))}起恢复" if payload.get("until") else ""


def template_data(kind: str, payload: dict[str, Any]) -> dict[str, str]:
    """Fields of the notice template (事项, 结果, 时间, 备注): the template in config uses these keys."""
    if kind == CORRECTION_RESULT:
        note = payload["reason"] or "证书信息已按您的申请更正"
        return {"thing1": clip(f"信息更正：{payload['field']}"), "phrase2": CORRECTION_RESULTS[payload["result"]],
                "time3": payload["at"], "thing4": clip(note)}
    until = _until_text(payload)
    note = f"{until}：{payload['reason']}" if until else payload["reason"]
    return {"thing1": clip(f"证书：{payload['item']}"), "phrase2": ACTION_RESULTS[payload["action"]],
            "time3": payload["at"], "thing4": clip(note or "请查看详情")}


def text(kind: str, payload: dict[str, Any], url: str) -> str:
    """The customer-service fallback: everything in one message."""
    if kind == CORRECTION_RESULT:
        if payload["result"] == "approved":
            body = f"您申请更正的“{payload['field']}”已更正，电子证书已同步更新。"
        else:
            body = f"您申请更正的“{payload['field']}”未通过。理由：{payload['reason']}"
    else:
        until = _until_text(payload)
        body = (f"您的证书（{payload['item']}）{ACTION_RESULTS[payload['action']]}。"
                f"{('理由：' + payload['reason']) if payload['reason'] else ''}{('；' + until) if until else ''}")
    return f"{body}\n详情：{url}"


def path(kind: str, payload: dict[str, Any]) -> str:
    """The holder's page that shows the whole text."""
    if kind == CORRECTION_RESULT:
        return f"/h5/corrections/{payload['request_id']}"
    return f"/h5/my/cert/{payload['public_id']}"
