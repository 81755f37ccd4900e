"""One writer at a time per holder: what makes "count, then insert" a single step on both databases.

A cap ("five face checks a day", "one open review request") is a count followed by an insert. Two
requests that count at the same time both see room and both insert, unless every writer first
takes the same lock and counts only after getting it:

- MariaDB/InnoDB at REPEATABLE READ reads from a snapshot taken at the transaction's first plain
  read. A count in a transaction that had already read something (the holder, the WeChat user)
  sees the world as it was then, lock or no lock. So the lock is taken as the first statement of
  a fresh transaction, and the count that follows sees what the previous lock holder committed.
- SQLite ignores SELECT ... FOR UPDATE. Its only write lock is the database's, which a write
  statement takes (waiting up to the connection's busy timeout). A no-op UPDATE of the holder's
  row is that write on SQLite and an exclusive row lock on InnoDB: one statement for both.

Keep the work done under the lock short: on SQLite it blocks every writer, on InnoDB every other
writer of this holder's row (the importer included) until the caller commits or rolls back.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.storage.models import Person


def lock_holder(db: Session, person_id: int) -> None:
    """Commit the session's transaction, then start a new one holding the holder's row until it ends."""
    db.commit()
    db.execute(update(Person).where(Person.id == person_id).values(updated_at=Person.updated_at)
               .execution_options(synchronize_session=False))
