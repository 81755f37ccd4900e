"""Subscribe, unsubscribe, menu views, and everything else (a short help)."""

from __future__ import annotations

from app.integrations import rediskeys
from handlers import Context, Incoming, Reply, replies, router


@router.on("event", event="subscribe")
def subscribe(msg: Incoming, ctx: Context) -> Reply:
    """A new follower learns the three menu functions."""
    return replies.WELCOME


@router.on("event", event="unsubscribe")
def unsubscribe(msg: Incoming, ctx: Context) -> Reply:
    """Forget the conversation state; WeChat shows nothing to someone who left."""
    ctx.store.delete(rediskeys.conversation(msg.openid))
    return None


@router.on("event", event="view")
@router.on("event", event="location")
@router.on("event", event="templatesendjobfinish")
def silent(msg: Incoming, ctx: Context) -> Reply:
    """Events that need no answer (opening a menu link, location reports, template receipts)."""
    return None


@router.on("text")
@router.on("image")
@router.on("voice")
@router.otherwise
def help_reply(msg: Incoming, ctx: Context) -> Reply:
    """Unknown text, images, voice, unknown message types: a short help."""
    return replies.HELP
