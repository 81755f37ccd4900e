"""Public ids: opaque, unguessable, and in time order so their index grows at one end."""

from __future__ import annotations

import re

from app.services.importwriter import public_ids


def test_a_public_id_is_a_time_prefix_and_96_random_bits() -> None:
    ids = public_ids(1000, now=1_764_500_000.0)
    assert len(set(ids)) == 1000
    assert all(re.fullmatch(r"[0-9a-v]{7}[A-Za-z0-9_-]{16}", i) for i in ids)
    assert len({i[:7] for i in ids}) == 1  # one prefix per batch
    assert len({i[7:] for i in ids}) == 1000


def test_later_batches_sort_after_earlier_ones_byte_wise_and_ignoring_case() -> None:
    # SQLite compares bytes; MySQL's utf8mb4_unicode_ci compares case-insensitively.
    times = [1_764_500_000.0, 1_764_500_000.1, 1_764_500_003.2, 1_800_000_000.0, 3_000_000_000.0]
    batches = [public_ids(3, now=t) for t in times]
    flat = [i for batch in batches for i in batch]
    assert [i[:7] for i in sorted(flat)] == [i[:7] for i in flat]
    assert [i[:7] for i in sorted(flat, key=str.casefold)] == [i[:7] for i in flat]
