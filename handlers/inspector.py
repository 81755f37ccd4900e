"""Inspectors in the chat: binding a WeChat account with the back office's one-time code.

The code is sent as text ("绑定 123456" or the six digits alone) or scanned (扫码查询) from the QR code
the back office shows; app/services/inspector_binding.py checks and uses it up. What an inspector's
scan answers is in handlers/scan.py.
"""

from __future__ import annotations

from app.domain.inspection import BIND_TEXT_PATTERN, bind_code_in
from app.services import inspector_binding
from handlers import Context, Incoming, Reply, replies, router

_ANSWERS = {
    inspector_binding.UNKNOWN: replies.BIND_UNKNOWN,
    inspector_binding.LIMITED: replies.BIND_LIMITED,
    inspector_binding.TAKEN: replies.BIND_TAKEN,
}


# A binding code is never a query ("证件号码 姓名") nor a holder's name: it wins over both, in any
# conversation state and whichever module registered first.
@router.on("text", pattern=BIND_TEXT_PATTERN, priority=8)
def bind_by_text(msg: Incoming, ctx: Context) -> Reply:
    """A binding code typed in the chat."""
    code = bind_code_in(msg.content)
    return bind(msg.openid, code, ctx) if code else replies.HELP


def bind_code_scanned(text: str) -> str | None:
    """The code in a scanned binding QR code, or None when the scan is something else."""
    if not text.startswith(inspector_binding.BIND_QR_PREFIX):
        return None
    return bind_code_in(text[len(inspector_binding.BIND_QR_PREFIX):])


def bind(openid: str, code: str, ctx: Context) -> str:
    """Use the code, commit the binding, and say what happened."""
    outcome = inspector_binding.redeem(ctx.session, ctx.store, ctx.pii, openid, code, ctx.now)
    ctx.session.commit()
    if outcome.result == inspector_binding.BOUND:
        return replies.BIND_DONE.format(username=outcome.username)
    return _ANSWERS[outcome.result]
