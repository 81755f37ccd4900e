"""输入查询: `证件号码 姓名` (or `证书编号 姓名`) in either order -> the holder's certificates with status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.idnumber import IdNumberError, normalize_id_number
from app.domain.names import PersonNameError, normalize_name
from app.integrations import rediskeys
from app.services import accounts, lookup_limits, next_steps, registry
from app.services.presenters import describe
from handlers import Context, Incoming, Reply, replies, router
from menus.menu import QUERY_KEY

STATE = "query"
STATE_TTL = 600  # the conversation waits 10 minutes for `证件号码 姓名`

_SEPARATORS = re.compile(r"[\s\u3000,，、;；]+")
_DIGITS = re.compile(r"[0-9０-９]{6,}")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＴｔ", "0123456789XXTT")
# Any text with a long digit run and a non-ASCII letter is read as a query, even without tapping the menu.
QUERY_PATTERN = r"[0-9０-９]{6,}[\s\S]*[^\x00-\x7f]|[^\x00-\x7f\s,，、][\s\S]*[0-9０-９]{6,}"


@dataclass(frozen=True)
class QueryText:
    """A parsed query: the number as typed and the name."""

    number: str
    name: str


def parse(text: str) -> QueryText | None:
    """Split `证件号码 姓名` / `姓名，证件号码` (spaces, full-width spaces, commas); None if unreadable."""
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    numbers = [t for t in tokens if _DIGITS.search(t)]
    if len(numbers) != 1 or len(tokens) < 2:
        return None
    name = " ".join(t for t in tokens if t is not numbers[0])
    return QueryText(numbers[0], name)


@router.on("event", event="click", key=QUERY_KEY)
def start(msg: Incoming, ctx: Context) -> Reply:
    """Tapping 输入查询: explain the format and wait 10 minutes for the next text."""
    ctx.store.set(rediskeys.conversation(msg.openid), STATE, ttl=STATE_TTL)
    return replies.QUERY_PROMPT


@router.on("text", state=STATE)
@router.on("text", pattern=QUERY_PATTERN)
def answer(msg: Incoming, ctx: Context) -> Reply:
    """A text read as a query: check format and limits, then look the holder up."""
    parsed = parse(msg.content)
    if parsed is None:
        return replies.QUERY_FORMAT
    if ctx.state:  # the answer ends the conversation (no round trip when there was none)
        ctx.store.delete(rediskeys.conversation(msg.openid))
    return lookup(msg.openid, parsed, ctx)


def lookup(openid: str, query: QueryText, ctx: Context) -> str:
    """Validate, rate-limit, then search; the no-match answer never says whether the number exists."""
    try:
        name = normalize_name(query.name)
        number = canonical_number(query.number, ctx.today)
    except IdNumberError as exc:
        return replies.ID_FORMAT_HINT.format(detail=exc.message)
    except PersonNameError as exc:
        return replies.NAME_FORMAT_HINT.format(detail=exc.message)
    limited = rate_limited(openid, number, name, ctx)
    if limited:
        return limited
    found = registry.find_by_number_and_name(ctx.session, ctx.pii, number, name, ctx.today)
    return format_found(found, ctx) if found else replies.QUERY_NO_MATCH


def canonical_number(raw: str, today: date) -> str:
    """An ID-shaped number (optionally "T" + ID) normalised; other certificate numbers upper-cased.

    Raises IdNumberError for a number meant as an ID number whose check digit or length is wrong.
    """
    text = raw.strip().translate(_FULL_WIDTH).upper()
    candidate = registry.id_candidate(text)
    if candidate is not None:
        return normalize_id_number(candidate, today)
    if text.isdigit() and len(text) >= 14:  # a mistyped ID number: say what is wrong with it
        normalize_id_number(text, today)
    return text


def rate_limited(openid: str, number: str, name: str, ctx: Context) -> str | None:
    """The limit message if this openid or this number asked too much; counts this attempt.

    The holder bound to this openid in 我的证书 is never refused his own number.
    """
    hit = lookup_limits.check(ctx.store, ctx.pii, ctx.now, openid, number, name,
                              own_number=lambda: accounts.holds_number(ctx.session, ctx.pii, openid, number))
    return lookup_limits.message(hit, ctx.now) if hit else None


def format_found(found: list[registry.Found], ctx: Context) -> str:
    """One block per certificate, cut to WeChat's 2048 bytes with a link to all of them."""
    blocks = [replies.cert_count(len(found))]
    for index, item in enumerate(found, start=1):
        blocks.append(replies.cert_block(index, _fields(item, ctx), ctx.link([item.certificate.public_id])))
    every = ctx.link([item.certificate.public_id for item in found])
    return replies.fit("\n\n".join(blocks), every)


def _fields(item: registry.Found, ctx: Context) -> dict[str, str]:
    """The lines a query reply shows for one certificate (masked ID number, no full number)."""
    shown = describe(item, ctx.today)
    scope = ("作业类别", "操作项目") if item.certificate.kind == "special_ops" else ("人员类型", "行业类别")
    fields = {label: str(shown.get(label) or "") for label in ("证书类型", *scope, "有效期", "状态")}
    step = next_steps.for_found(item)
    if step is not None:
        fields["说明"] = step.action
        fields["签发机关"] = step.contact
    fields["证件号码"] = str(shown["证件号码"])
    return fields
