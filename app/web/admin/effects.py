"""What follows a committed decision in the back office: its WeChat notices, and a fresh status list.

Both are best effort after the commit: a notice that WeChat does not take now stays in the outbox
for `flask notify send-pending`; the status list is rebuilt on its next request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from app.services import notify, status_list
from app.web import deps

log = logging.getLogger(__name__)


def send_now(notification_id: int) -> bool:
    """Try one notification right away; any failure is left to `flask notify send-pending`."""
    try:
        sender = notify.sender_from(deps.settings(), deps.wechat_api())
        report = notify.send_pending(deps.db_session(), sender, deps.clock().now(), only=notification_id)
    except Exception:  # the decision is committed; never turn a delivery problem into an error page
        log.exception("immediate notification %s failed; the outbox keeps it", notification_id)
        deps.db_session().rollback()
        return False
    return report.sent == 1


def send_all(notification_ids: Iterable[int]) -> bool:
    """Send each notice now; True when every one was delivered."""
    return all([send_now(i) for i in notification_ids])


def status_changed() -> None:
    """A certificate's status changed: drop the cached signed status lists (every key's)."""
    store = deps.store()
    for kid in deps.signing_keys().public_keys():
        status_list.invalidate(store, kid)
