"""Display preferences: 长辈模式 (larger text, higher contrast) per holder, else per browser.

Government services must suit older users (国办公开办函〔2021〕28号, 互联网应用适老化及无障碍改造;
GB/T 37668 for web accessibility). A holder's choice is kept with the holder, so it follows him to
a new phone once he is bound in 我的证书; before that (and on pages anyone opens) a cookie remembers it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.services.timeutil import utc_naive
from app.storage.models import HolderPreference

COOKIE = "large_text"  # "1" on, "0" off; a year, HttpOnly (only the server reads it)
COOKIE_MAX_AGE = 365 * 86400


def large_text(stored: bool | None, cookie: str | None) -> bool:
    """Whether to show the large-text mode: the holder's stored choice, else this browser's cookie."""
    return stored if stored is not None else cookie == "1"


def stored_large_text(db: Session, person_id: int) -> bool | None:
    """The holder's stored choice, or None when he never chose."""
    row = db.get(HolderPreference, person_id)
    return None if row is None else row.large_text


def remember_large_text(db: Session, person_id: int, on: bool, now: datetime) -> None:
    """Keep the holder's choice (committed)."""
    row = db.get(HolderPreference, person_id) or HolderPreference(person_id=person_id)
    row.large_text, row.updated_at = on, utc_naive(now)
    db.add(row)
    db.commit()
