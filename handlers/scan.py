"""扫码查询: the scanned text is judged by the verification service and the verdict is sent back.

The same `Verifier.verify_text` (app/services/verification.py) answers the /v/ page and the API, so a
scan here says exactly what the page says; this module only words the verdict for a chat message.
"""

from __future__ import annotations

from app.domain.keyring import b64url
from app.domain.qrtext import legacy_qr_text
from app.integrations import rediskeys
from app.services import inspections, inspector_binding, lookup_limits, ratelimit
from app.services.presenters import catalogue
from app.services.ratelimit import Hit, Rule
from app.services.verification import CERT_NUMBER, GENUINE, Verdict
from app.storage.models import Staff
from handlers import Context, Incoming, Reply, replies, router
from handlers.inspector import bind, bind_code_scanned
from handlers.query import QueryText, lookup

SCANS = Rule("scan:openid", limit=30, window=600)  # per openid
NAME_STATE = "scan_number"  # a bare number was scanned: the next text is the holder's name
NAME_TTL = 600
_NUMBER_AAD = b"conversation.scanned_number"


@router.on("event", event="scancode_waitmsg")
@router.on("event", event="scancode_push")
def scanned(msg: Incoming, ctx: Context) -> Reply:
    """Reply with the verdict on what the scanner read."""
    text = msg.scan_result.strip()
    if not text:
        return replies.SCAN_EMPTY
    code = bind_code_scanned(text)
    if code is not None:  # the back office's binding QR code, scanned by an inspector
        return bind(msg.openid, code, ctx)
    refused = ratelimit.check(ctx.store, ctx.now, Hit(SCANS, msg.openid))
    if refused is not None:
        return lookup_limits.message(lookup_limits.LimitHit(lookup_limits.SENDER, refused.retry_after), ctx.now)
    if ctx.verify_text is None:
        return replies.SCAN_UNAVAILABLE
    verdict = ctx.verify_text(text)
    if ctx.count_verdict is not None:
        ctx.count_verdict(verdict.outcome, public_id=verdict.public_id)
    if verdict.outcome == CERT_NUMBER and verdict.number:
        return _ask_for_name(msg.openid, verdict.number, ctx)
    inspector = inspector_binding.inspector_for(ctx.session, msg.openid)
    if inspector is not None:
        _log_inspection(inspector, verdict, ctx)
    return render(verdict, ctx, inspector is not None)


def _log_inspection(inspector: Staff, verdict: Verdict, ctx: Context) -> None:
    """An inspector's scan of a genuine code is an inspection (its page adds to the same row)."""
    if verdict.outcome != GENUINE or not verdict.public_id or verdict.version is None:
        return
    details = inspections.details(ctx.session, verdict.public_id, ctx.today)
    if details is not None:
        inspections.record(ctx.session, inspector, details, verdict.version, inspections.SCAN, ctx.now)
        ctx.session.commit()


def _ask_for_name(openid: str, number: str, ctx: Context) -> str:
    """Old cards print only a number: like 输入查询, it is looked up only with the holder's name.

    The number (it holds the ID number) waits encrypted for ten minutes beside the conversation state.
    """
    ctx.store.set(rediskeys.conversation(openid), NAME_STATE, ttl=NAME_TTL)
    ctx.store.set(rediskeys.scanned_number(openid), ctx.pii.encrypt(number, _NUMBER_AAD), ttl=NAME_TTL)
    return replies.SCAN_NUMBER_NEEDS_NAME


@router.on("text", state=NAME_STATE)
def name_for_number(msg: Incoming, ctx: Context) -> Reply:
    """The name sent after scanning a bare number: look the holder up as 输入查询 does."""
    sealed = ctx.store.get(rediskeys.scanned_number(msg.openid))
    ctx.store.delete(rediskeys.conversation(msg.openid))
    ctx.store.delete(rediskeys.scanned_number(msg.openid))
    if sealed is None:
        return replies.QUERY_PROMPT
    number = ctx.pii.decrypt_text(sealed, _NUMBER_AAD)
    return lookup(msg.openid, QueryText(number, msg.content.strip()), ctx)


def render(verdict: Verdict, ctx: Context, inspector: bool = False) -> str:
    """Headline, explanation, a link to the page, masked fields and live status; anything not genuine
    says how to check, a genuine code where to report its misuse. The key id stays on the page."""
    fields = dict(verdict.fields)
    if verdict.status is not None:
        fields["当前状态"] = verdict.status.label
        if not verdict.status.is_valid:
            fields["状态说明"] = verdict.status.detail
    if verdict.next_step is not None:
        fields["下一步"] = verdict.next_step.action
        fields["签发机关"] = verdict.next_step.contact
    fields["核验时间"] = verdict.checked_at.strftime("%Y-%m-%d %H:%M")
    link = page_link(verdict, ctx.base_url, inspector)  # early, so a cut for length never drops it
    text = replies.scan_verdict(verdict.headline, verdict.explanation + (f"\n{link}" if link else ""), fields)
    if not verdict.is_genuine:
        text += "\n" + replies.SCAN_HOW_TO_CHECK.format(domain=ctx.official_domain)
    else:
        text += "\n" + _report(fields.get("签发机关", ""))
        if getattr(verdict, "notice", ""):
            text += "\n" + verdict.notice
    return replies.fit(text, ctx.base_url)


def page_link(verdict: Verdict, base_url: str, inspector: bool) -> str:
    """The line linking to the code's page: the inspector view for a bound inspector, else /v/."""
    token = getattr(verdict, "token", None)
    if not token:
        return ""
    if inspector:
        return replies.SCAN_INSPECTOR_LINK.format(url=f"{base_url.rstrip('/')}/inspect/v/{b64url(token)}")
    return replies.SCAN_PAGE_LINK.format(url=legacy_qr_text(base_url, token))


def _report(authority: str) -> str:
    """Whom to tell about a misused certificate (the authority's phone is catalogue data)."""
    found = catalogue().authority(authority) if authority else None
    return replies.report_line(authority or "签发机关", found.phone if found else None)
