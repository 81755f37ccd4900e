"""What every back-office page shows around its content: the signed-in staff member and, once the
holiday table ends within 60 days, the banner asking for next year's file."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from app.services.calendar_coverage import coverage
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff

log = logging.getLogger(__name__)


@bp.context_processor
def _layout() -> dict[str, object]:
    """`staff` for the header and `calendar_banner` (the coverage) when the banner is due.

    It runs for error pages of the back office too: with the database away, they still render (a
    plain header) rather than failing a second time.
    """
    try:
        staff = current_staff()
        if staff is None:
            return {"staff": None, "calendar_banner": None}
        covered = coverage(deps.db_session(), deps.clock().today())
    except SQLAlchemyError:
        log.warning("back-office header without staff or calendar: the database did not answer")
        return {"staff": None, "calendar_banner": None}
    return {"staff": staff, "calendar_banner": covered if covered.banner_due else None}
