"""Notification outbox: decisions and reminders enqueue a row in their own transaction; a sender
delivers it later.

Delivery tries a template message first (verified service accounts; since 2023 WeChat shows no
first/remark lines and about 20 characters per field) and falls back to a customer-service text
message (allowed within 48 hours of the user's last interaction). A failure only reschedules the row:
the decision it reports was committed before and is never undone. Each kind of notification has
its own template (configured in [wechat]) and wording: `MESSAGES`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.integrations.wechat import (
    TemplateDataError,
    WeChatApi,
    WeChatApiError,
    WeChatUnavailable,
    fit_field,
)
from app.services import notices, reminder_texts
from app.services.timeutil import china_text, utc_naive
from app.storage.models import ManualReviewRequest, Notification

log = logging.getLogger(__name__)

REVIEW_RESULT = "review_result"
REMINDER = "reminder"  # app/services/reminders.py: published, expiring, review due
CLAIM_LEASE = timedelta(minutes=2)  # a claimed row is retried after this if its sender died mid-way
MAX_ATTEMPTS = 12  # with the backoff below: about a day and a half of retries, then state "failed"
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
RESULT_LABELS = {"approved": "已通过", "rejected": "已驳回"}
# The review-result template's fields (key -> the name the template shows).
REVIEW_FIELDS = {"thing1": "审核事项", "phrase2": "审核结果", "time3": "审核时间", "thing4": "备注"}
SEND_ERRORS = (WeChatApiError, WeChatUnavailable, TemplateDataError)


@dataclass(frozen=True)
class Sender:
    """What delivery needs: the API client, each kind's template id and our base URL."""

    api: WeChatApi
    templates: Mapping[str, str]
    base_url: str


@dataclass(frozen=True)
class Message:
    """One notification as WeChat gets it: template fields and link, or the fallback text."""

    data: dict[str, str]
    url: str
    text: str


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0


def template_ids(settings: Settings) -> dict[str, str]:
    """Each kind's template id from [wechat]."""
    notice = settings.wechat.notice_template_id
    return {REVIEW_RESULT: settings.wechat.review_template_id, REMINDER: settings.wechat.reminder_template_id,
            notices.CERTIFICATE_NOTICE: notice, notices.CORRECTION_RESULT: notice}


def sender_from(settings: Settings, api: WeChatApi) -> Sender:
    """A Sender using the app's shared WeChatApi."""
    return Sender(api, template_ids(settings), settings.server.base_url.rstrip("/"))


def pending(openid: str, kind: str, payload: dict[str, Any], at: datetime) -> Notification:
    """A new outbox row, due at once (not yet added: batch writers add many and flush once)."""
    moment = utc_naive(at)
    return Notification(openid=openid, kind=kind, state="pending", attempts=0, next_attempt_at=moment,
                        payload=json.dumps(payload, ensure_ascii=False), created_at=moment)


def enqueue(session: Session, openid: str, kind: str, payload: dict[str, Any], at: datetime) -> Notification:
    """Queue one notification in the caller's transaction (committed with what it reports)."""
    row = pending(openid, kind, payload, at)
    session.add(row)
    session.flush()
    return row


def enqueue_review_result(session: Session, request: ManualReviewRequest, at: datetime) -> Notification:
    """Queue the worker's notification in the caller's transaction (committed with the decision)."""
    payload = {"request_id": request.id, "result": request.state, "reason": request.reason or "",
               "decided_at": china_text(request.decided_at)}
    return enqueue(session, request.openid, REVIEW_RESULT, payload, at)


def template_data(payload: dict[str, Any]) -> dict[str, str]:
    """Fields of the review-result template; the template in config must use these keys."""
    result = payload["result"]
    note = payload["reason"] or ("可在公众号查看电子证书" if result == "approved" else "请查看详情")
    return {"thing1": "实名认证人工审核", "phrase2": RESULT_LABELS[result],
            "time3": payload["decided_at"], "thing4": fit_field(note)}


def text_message(payload: dict[str, Any], status_url: str) -> str:
    """The customer-service fallback: the whole result and reason in one message."""
    if payload["result"] == "approved":
        body = "您的实名认证人工审核已通过，现在可以在“我的证书”查看和下载电子证书。"
    else:
        body = f"您的实名认证人工审核未通过。理由：{payload['reason']}\n您可以按要求重新提交申请。"
    return f"{body}\n详情：{status_url}"


def _review_message(payload: dict[str, Any], base_url: str) -> Message:
    url = base_url + "/h5/review"
    return Message(template_data(payload), url, text_message(payload, url))


def _reminder_message(payload: dict[str, Any], base_url: str) -> Message:
    url = f"{base_url}/h5/my/cert/{payload['public_id']}"
    return Message(reminder_texts.template_data(payload), url, reminder_texts.text_message(payload, url))


def _notice_message(kind: str) -> Callable[[dict[str, Any], str], Message]:
    """A certificate action or a correction result (app.services.notices)."""
    def compose(payload: dict[str, Any], base_url: str) -> Message:
        url = base_url + notices.path(kind, payload)
        return Message(notices.template_data(kind, payload), url, notices.text(kind, payload, url))
    return compose


MESSAGES: dict[str, Callable[[dict[str, Any], str], Message]] = {
    REVIEW_RESULT: _review_message, REMINDER: _reminder_message,
    notices.CERTIFICATE_NOTICE: _notice_message(notices.CERTIFICATE_NOTICE),
    notices.CORRECTION_RESULT: _notice_message(notices.CORRECTION_RESULT)}
FIELDS = {REVIEW_RESULT: REVIEW_FIELDS, REMINDER: reminder_texts.FIELDS,
          notices.CERTIFICATE_NOTICE: notices.FIELDS, notices.CORRECTION_RESULT: notices.FIELDS}


def template_fields(settings: Settings) -> dict[str, dict[str, str]]:
    """Template id -> its fields' names, as the WeChat console shows them (the simulator uses these)."""
    return {template_ids(settings)[kind]: fields for kind, fields in FIELDS.items()}


class DeliveryFailed(Exception):
    """Neither the template message nor the customer-service text got through."""


def deliver(sender: Sender, row: Notification) -> None:
    """Send one notification: template message, else customer-service text; raises if both fail."""
    compose = MESSAGES.get(row.kind)
    if compose is None or row.kind not in sender.templates:  # written by a newer version of this code
        raise DeliveryFailed(f"no wording for notifications of kind {row.kind!r}")
    message = compose(json.loads(row.payload), sender.base_url)
    try:
        sender.api.send_template(row.openid, sender.templates[row.kind], message.data, url=message.url)
        return
    except SEND_ERRORS as exc:
        template_error = exc
        log.warning("template message for notification %s failed (%s); trying customer-service text",
                    row.id, exc)
    try:
        sender.api.send_text(row.openid, message.text)
    except SEND_ERRORS as exc:
        raise DeliveryFailed(f"template: {template_error}; text: {exc}") from exc


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes, at most 6 hours."""
    wait: timedelta = FIRST_BACKOFF * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_BACKOFF)


def _claim(session: Session, row_id: int, at: datetime) -> bool:
    """Take a due row for this sender; a concurrent sender (command or request) then skips it."""
    result = session.execute(update(Notification).where(
        Notification.id == row_id, Notification.state == "pending", Notification.next_attempt_at <= at,
    ).values(next_attempt_at=at + CLAIM_LEASE))
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _attempt(session: Session, sender: Sender, row_id: int, now: datetime, report: SendReport) -> None:
    """Claim, deliver and record the outcome of one notification."""
    at = utc_naive(now)
    if not _claim(session, row_id, at):
        return
    row = session.get(Notification, row_id, populate_existing=True)
    assert row is not None
    row.attempts += 1
    try:
        deliver(sender, row)
    except DeliveryFailed as exc:
        row.last_error = str(exc)[:255]
        row.next_attempt_at = at + backoff(row.attempts)
        row.state = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
        report.given_up += row.state == "failed"
        report.retrying += row.state == "pending"
    else:
        row.state, row.sent_at, row.last_error = "sent", at, None
        report.sent += 1
    session.commit()


def send_pending(session: Session, sender: Sender, now: datetime, limit: int = 100,
                 only: int | None = None) -> SendReport:
    """Deliver due notifications (or just `only`), oldest first."""
    query = select(Notification.id).where(Notification.state == "pending",
                                          Notification.next_attempt_at <= utc_naive(now))
    if only is not None:
        query = query.where(Notification.id == only)
    report = SendReport()
    for row_id in list(session.scalars(query.order_by(Notification.id).limit(limit))):
        _attempt(session, sender, row_id, now, report)
    return report

