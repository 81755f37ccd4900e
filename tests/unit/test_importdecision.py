"""What an import does to one row: every outcome of the one rule, as a table."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.identity import certificate_identity
from app.domain.importdecision import Action, Incoming, Seen, Stored, decide, short_print

PRINT_A, PRINT_B = "a" * 64, "b" * 64
STORED = Stored(version=2, valid_from=date(2024, 3, 1), fingerprint=PRINT_A)


def row(valid_from: date = date(2024, 3, 1), fingerprint: str = PRINT_A, number: int = 9) -> Incoming:
    return Incoming(number, valid_from, fingerprint)


@pytest.mark.parametrize(("existing", "incoming", "seen", "action", "reason"), [
    # nothing stored, nothing seen: a new certificate (a second item of a known holder is one too)
    (None, row(), None, Action.NEW, ""),
    # stored, the same values: nothing to do (re-importing a file changes nothing)
    (STORED, row(), None, Action.UNCHANGED, ""),
    # stored, same validity start, other values: a correction in place
    (STORED, row(fingerprint=PRINT_B), None, Action.UPDATED, ""),
    # a later validity start: a reissue, a new version
    (STORED, row(date(2027, 3, 1), PRINT_B), None, Action.REISSUED, ""),
    # an earlier validity start than the current version: refused, naming the version
    (STORED, row(date(2020, 3, 1), PRINT_B), None, Action.REJECTED, "早于系统中的当前版本（第2版）"),
    # revoked or cancelled by the authority: an import does not change it (an unchanged row is fine)
    (Stored(2, date(2024, 3, 1), PRINT_A, "revoked"), row(date(2027, 3, 1), PRINT_B), None, Action.REJECTED,
     "已被签发机关撤销"),
    (Stored(2, date(2024, 3, 1), PRINT_A, "cancelled"), row(fingerprint=PRINT_B), None, Action.REJECTED,
     "已被签发机关注销"),
    (Stored(2, date(2024, 3, 1), PRINT_A, "revoked"), row(), None, Action.UNCHANGED, ""),
    # suspended: corrections and reissues go ahead (the writer carries the suspension over)
    (Stored(2, date(2024, 3, 1), PRINT_A, "suspended"), row(date(2027, 3, 1), PRINT_B), None, Action.REISSUED, ""),
    # the file named this certificate earlier with the same values: an exact repeat
    (None, row(), Seen(4, short_print(PRINT_A)), Action.REJECTED, "与第4行完全重复"),
    (STORED, row(), Seen(4, short_print(PRINT_A)), Action.REJECTED, "与第4行完全重复"),
    # ... with other values: a conflict naming the first row, whatever is stored
    (None, row(fingerprint=PRINT_B), Seen(4, short_print(PRINT_A)), Action.REJECTED, "与第4行是同一张证书"),
    (STORED, row(date(2027, 3, 1), PRINT_B), Seen(4, short_print(PRINT_A)), Action.REJECTED,
     "但内容不同，请核对后单独导入"),
])
def test_each_row_gets_exactly_one_outcome(existing: Stored | None, incoming: Incoming, seen: Seen | None,
                                           action: Action, reason: str) -> None:
    decision = decide(existing, incoming, seen)
    assert decision.action == action
    assert reason in decision.reason and bool(decision.reason) == bool(reason)


def test_what_the_run_saw_earlier_wins_over_what_is_stored() -> None:
    """Why the outcome cannot depend on batches: a repeat is a repeat whether or not row 4 was written yet."""
    seen = Seen(4, short_print(PRINT_A))
    changed = row(date(2024, 3, 1), PRINT_B)
    assert decide(STORED, changed, seen) == decide(None, changed, seen)


@pytest.mark.parametrize(("args", "identity"), [
    (("special_ops", "01", "0101", None, None), "T/01/0101"),
    (("special_ops", "02", "0201", None, None), "T/02/0201"),
    (("safety_mgmt", None, None, "1", "02"), "M/1/02"),
])
def test_a_certificate_is_its_item_or_its_personnel_type_and_industry(args: tuple[str, ...], identity: str,
                                                                       ) -> None:
    assert certificate_identity(*args) == identity


@pytest.mark.parametrize("args", [
    ("special_ops", "01", None, None, None),
    ("safety_mgmt", None, None, "1", None),
    ("other", "01", "0101", None, None),
    ("special_ops", "0/1", "0101", None, None),
])
def test_an_identity_needs_both_of_its_codes(args: tuple[str | None, ...]) -> None:
    with pytest.raises(ValueError):
        certificate_identity(*args)  # type: ignore[arg-type]
