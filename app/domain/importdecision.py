"""What an import does to one row: the one rule, for the real run and the dry run alike.

`decide(existing, incoming, seen)` looks at plain values only, so the answer cannot depend on how
rows fall into batches, on how many validation workers run, or on whether anything is written:

- `seen` is what this run already met for the same certificate identity (see app.domain.identity),
  anywhere earlier in the file. A second row for one identity is never applied: an exact repeat is
  reported as such, a different row as a conflict naming the first row. (Two versions of one
  certificate in one export are a data error; the bureau imports them separately, oldest first.)
- `existing` is the current version stored *before* this run. Its absence makes a new certificate;
  the same fingerprint changes nothing; a later validity start is a reissue (a new version that
  supersedes the older ones of the same identity only); an earlier one is refused; the same start
  with other values is a correction in place (the previous values are kept in the history).
- A certificate the authority revoked (撤销) or cancelled (注销) is not changed by an import: that was
  an administrative act (docs/rules.md), and a new issue after it is checked by an operator in the back
  office. A suspended (暂扣) one may be corrected or reissued; the writer carries the suspension over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """The outcome for one row."""

    NEW = "new"
    UPDATED = "updated"
    REISSUED = "reissued"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Stored:
    """The current stored version of the certificate the row names."""

    version: int
    valid_from: dt.date
    fingerprint: str
    admin_state: str | None = None  # suspended | revoked | cancelled


@dataclass(frozen=True, slots=True)
class Incoming:
    """The row as the decision needs it."""

    row: int
    valid_from: dt.date
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Seen:
    """The first row of this run for the same identity, and a short print of its values."""

    row: int
    print_: int


@dataclass(frozen=True, slots=True)
class Decision:
    """An action, with the column and Chinese reason when the row is rejected."""

    action: Action
    column: str = ""
    reason: str = ""


ENDED = {"revoked": "撤销", "cancelled": "注销"}  # administrative acts an import does not undo
PRINT_BITS = 28  # of the fingerprint kept per seen row: a changed row is told from a repeat


def short_print(fingerprint: str) -> int:
    """The first PRINT_BITS bits of a hex fingerprint."""
    return int(fingerprint[:7], 16)


def decide(existing: Stored | None, incoming: Incoming, seen: Seen | None) -> Decision:
    """New / updated / reissued / unchanged / rejected for one row (rules in the module docstring)."""
    if seen is not None:
        if seen.print_ == short_print(incoming.fingerprint):
            return Decision(Action.REJECTED, "证书编号", f"与第{seen.row}行完全重复，只按第{seen.row}行处理")
        return Decision(Action.REJECTED, "证书编号",
                        f"与第{seen.row}行是同一张证书（同一持证人、同一项目）但内容不同，请核对后单独导入")
    if existing is None:
        return Decision(Action.NEW)
    if existing.fingerprint == incoming.fingerprint:
        return Decision(Action.UNCHANGED)
    if existing.admin_state in ENDED:
        return Decision(Action.REJECTED, "证书类型", f"该证书已被签发机关{ENDED[existing.admin_state]}，导入不改变它；"
                        "如已重新考核发证，请业务员在管理后台核实后处理")
    if incoming.valid_from < existing.valid_from:
        return Decision(Action.REJECTED, "有效期开始日期", f"早于系统中的当前版本（第{existing.version}版），未导入")
    if incoming.valid_from > existing.valid_from:
        return Decision(Action.REISSUED)  # 换证/复审换发: a new version supersedes the older ones
    return Decision(Action.UPDATED)
