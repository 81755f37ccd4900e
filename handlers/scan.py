"""扫码查询: the scanned text is judged by the verification service and the verdict is sent back.

The same `Verifier.verify_text` (app/services/verification.py) answers the /v/ page and the API, so a
scan here says exactly what the page says; this module only words the verdict for a chat message.
"""

from __future__ import annotations

from app.services import ratelimit
from app.services.ratelimit import Hit, Rule
from app.services.verification import Verdict
from handlers import Context, Incoming, Reply, replies, router

SCANS = Rule("scan:openid", limit=30, window=600)  # a bare number is a lookup, so scans are rate-limited


@router.on("event", event="scancode_waitmsg")
@router.on("event", event="scancode_push")
def scanned(msg: Incoming, ctx: Context) -> Reply:
    """Reply with the verdict on what the scanner read."""
    text = msg.scan_result.strip()
    if not text:
        return replies.SCAN_EMPTY
    refused = ratelimit.check(ctx.store, ctx.now, Hit(SCANS, msg.openid))
    if refused is not None:
        return replies.RATE_OPENID.format(minutes=refused.minutes)
    if ctx.verify_text is None:
        return replies.SCAN_UNAVAILABLE
    return render(ctx.verify_text(text), ctx)


def render(verdict: Verdict, ctx: Context) -> str:
    """Headline, explanation, masked fields and live status; anything not genuine says how to check."""
    fields = dict(verdict.fields)
    if verdict.status is not None:
        fields["当前状态"] = verdict.status.label
        if not verdict.status.is_valid:
            fields["状态说明"] = verdict.status.detail
    fields["核验时间"] = verdict.checked_at.strftime("%Y-%m-%d %H:%M")
    text = replies.scan_verdict(verdict.headline, verdict.explanation, fields)
    if not verdict.is_genuine:
        text += "\n" + replies.SCAN_HOW_TO_CHECK.format(domain=ctx.official_domain)
    elif getattr(verdict, "notice", ""):
        text += "\n" + verdict.notice
    return replies.fit(text, ctx.base_url)
