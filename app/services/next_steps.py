"""What to do next about a certificate in each status, and whom to call: one place for the wording.

我的证书 (list and detail), the 输入查询 detail page, the /v/ verification page and the chat replies
all show `next_step(...)`; the issuing authority's phone is data (app/domain/data/authorities.json)
and, when unknown, only its name is given. The words are neutral (no "您"), because a holder and an
inspector both read them. Sources for the rules behind them: docs/rules.md ("What a holder is told").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain.status import StatusCode, cn_date
from app.services.presenters import catalogue
from app.services.registry import Found

# 安全生产培训管理办法 Art. 22: published within 10 working days of the exam; the validity runs from
# the issue date, so it can begin before the e-certificate appears.
UNPUBLISHED = "电子证书将于{available}发布（考试合格后第10个工作日）。发布后可在【我的证书】查看、下载和亮证。"
UNPUBLISHED_UNKNOWN = ("电子证书在考试合格后10个工作日内发布，具体日期要等当年节假日安排公布后才能算出。"
                       "发布后可在【我的证书】查看、下载和亮证。")
VALID_FROM_EARLIER = ("有效期从{valid_from}算起，早于发布日期：有效期按发证日期计算，"
                      "电子证书要在考试合格后才生成和发布。")
# 原安监总局令第30号 Art. 22-23: apply within the 60 days before the review falls due, to the issuing
# authority or the one where the holder works, after safety training and an exam, with a health certificate.
REVIEW_DUE = ("请在{due}前申请复审：先参加安全培训并考试合格，再带上医疗机构出具的健康证明和从事特种作业情况的材料，"
              "向签发机关或工作所在地的考核发证机关提出申请。")
# Art. 26 (失效 when not reviewed in time); a late review making it usable again is our reading (docs/rules.md).
REVIEW_OVERDUE = ("证书应在{due}前复审，逾期未复审已失效，失效期间不得凭此证作业。请尽快到签发机关或工作所在地的"
                  "考核发证机关办理复审：先参加安全培训并考试合格，再带上健康证明和从事特种作业情况的材料提出申请。"
                  "办理前请先打电话确认所需材料。")
EXPIRED = ("有效期已于{until}届满，不能再凭此证作业。需要继续从事该项作业的，请联系签发机关办理换证"
           "（可能需要重新参加培训和考试）；以后请在有效期届满前提前申请。")
SUSPENDED_UNTIL = "暂扣期间不得凭此证作业，{until}起自动恢复，无需另行办理。"
SUSPENDED_OPEN = "暂扣期间不得凭此证作业，暂扣解除后证书自动恢复。"
SUSPENDED_QUESTION = "对暂扣有疑问的，请联系签发机关。"
REVOKED = "证书已被签发机关撤销，不能再凭此证作业。对撤销有异议的，请联系签发机关。"
CANCELLED = "证书已被签发机关注销，不能再凭此证作业。如果不是持证人本人申请注销，或有疑问，请联系签发机关。"
SUPERSEDED = "这是旧版本证书，已换发第{current}版，请出示和使用新版本。"
SUPERSEDED_UNKNOWN = "这是旧版本证书，已换发新版本，请出示和使用新版本。"
REASON = {StatusCode.SUSPENDED: "暂扣原因：{reason}。", StatusCode.REVOKED: "撤销原因：{reason}。",
          StatusCode.CANCELLED: "注销原因：{reason}。"}
SUMMARIES = {
    StatusCode.UNPUBLISHED: "预计{available}发布",
    StatusCode.REVIEW_DUE: "请在{due}前复审",
    StatusCode.REVIEW_OVERDUE: "已失效，请尽快办理复审",
    StatusCode.EXPIRED: "已过期，请联系签发机关换证",
    StatusCode.SUSPENDED: "暂扣中，不得凭此证作业",
    StatusCode.REVOKED: "已撤销，不能再使用",
    StatusCode.CANCELLED: "已注销，不能再使用",
    StatusCode.SUPERSEDED: "请使用新版本证书",
}
CONTACT_WITH_PHONE = "{authority}，电话 {phone}"


@dataclass(frozen=True)
class Situation:
    """The plain facts the advice depends on."""

    code: StatusCode
    valid_from: dt.date
    valid_until: dt.date
    authority: str
    phone: str | None = None
    available_on: dt.date | None = None
    review_due: dt.date | None = None
    admin_reason: str | None = None
    suspended_until: dt.date | None = None
    current_version: int | None = None


@dataclass(frozen=True)
class NextStep:
    """A short line for lists and template messages, the full advice, and whom to call."""

    summary: str
    action: str
    authority: str
    phone: str | None

    @property
    def contact(self) -> str:
        """`重庆市应急管理局，电话 023-67611082`, or the name alone when its phone is not known."""
        return CONTACT_WITH_PHONE.format(authority=self.authority, phone=self.phone) if self.phone else self.authority


def next_step(s: Situation) -> NextStep | None:
    """What to do about a certificate in this situation; None while it is simply valid."""
    action = _action(s)
    if action is None:
        return None
    return NextStep(_summary(s), action, s.authority, s.phone)


def _day(day: dt.date | None) -> str:
    return cn_date(day) if day else ""


def _summary(s: Situation) -> str:
    if s.code == StatusCode.SUSPENDED and s.suspended_until:
        return f"暂扣中，{_day(s.suspended_until)}起恢复"
    if s.code == StatusCode.UNPUBLISHED and s.available_on is None:
        return "发布日期待定"
    return SUMMARIES[s.code].format(available=_day(s.available_on), due=_day(s.review_due))


def _action(s: Situation) -> str | None:
    """The advice for the status, with the reason the authority recorded where there is one."""
    recorded = (s.admin_reason or "").strip()
    reason = REASON[s.code].format(reason=recorded) if s.code in REASON and recorded else ""
    match s.code:
        case StatusCode.UNPUBLISHED:
            return _unpublished(s)
        case StatusCode.REVIEW_DUE:
            return REVIEW_DUE.format(due=_day(s.review_due))
        case StatusCode.REVIEW_OVERDUE:
            return REVIEW_OVERDUE.format(due=_day(s.review_due))
        case StatusCode.EXPIRED:
            return EXPIRED.format(until=_day(s.valid_until))
        case StatusCode.SUSPENDED:
            ends = SUSPENDED_UNTIL.format(until=_day(s.suspended_until)) if s.suspended_until else SUSPENDED_OPEN
            return reason + ends + SUSPENDED_QUESTION
        case StatusCode.REVOKED:
            return reason + REVOKED
        case StatusCode.CANCELLED:
            return reason + CANCELLED
        case StatusCode.SUPERSEDED:
            return SUPERSEDED.format(current=s.current_version) if s.current_version else SUPERSEDED_UNKNOWN
    return None


def _unpublished(s: Situation) -> str:
    if s.available_on is None:
        return UNPUBLISHED_UNKNOWN
    text = UNPUBLISHED.format(available=_day(s.available_on))
    if s.valid_from < s.available_on:
        text += VALID_FROM_EARLIER.format(valid_from=_day(s.valid_from))
    return text


def situation_of(found: Found, current_version: int | None = None, with_reason: bool = False) -> Situation:
    """The facts of a looked-up certificate, with its authority's phone from the catalogue.

    The authority's recorded reason goes only to the holder's own pages (and inspectors'): a reason
    for 撤销 can be health information (令第30号 Art. 30(二) "身体条件不适合"), which a scanner, an
    employer or anyone who knows a name and number must not read (PIPL Art. 28).
    """
    cert, status = found.certificate, found.status
    authority = catalogue().authority(cert.issuing_authority)
    return Situation(status.code, cert.valid_from, cert.valid_until, cert.issuing_authority,
                     authority.phone if authority else None, status.available_on, status.review_due,
                     cert.admin_reason if with_reason else None, cert.suspended_until, current_version)


def for_found(found: Found, current_version: int | None = None, with_reason: bool = False) -> NextStep | None:
    """`next_step` for a looked-up certificate (`with_reason`: the holder's own page, or an inspector's)."""
    return next_step(situation_of(found, current_version, with_reason))
