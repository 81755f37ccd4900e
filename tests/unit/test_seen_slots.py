"""The importer's memory of the certificates a run met (`SeenSlots`), checked against a dict."""

from __future__ import annotations

import random

import pytest

from app.services.importer import SeenSlots

SPREAD = 1 << 17  # slots this far apart share an array


@pytest.mark.parametrize(("slots", "values"), [
    ([], []),
    ([0, 0], [0, 1]),                                       # the smallest slot and value
    ([(1 << 60) - 1, 0, (1 << 60) - 1], [(1 << 63) - 1, 5, 6]),  # the largest, never mistaken for a key
    ([3, 3 + SPREAD, 3 + 2 * SPREAD, 3 + SPREAD], [1, 2, 3, 4]),  # one array, several slots
    ([7, 3 + SPREAD, 3 + SPREAD], [3 | 1 << 63 - 1, 8, 9]),  # a value equal to another slot's bits
    (list(range(100)) * 2, list(range(200))),               # every second pass is a repeat
])
def test_each_slot_keeps_its_first_value_as_a_dict_would(slots: list[int], values: list[int]) -> None:
    table, reference = SeenSlots(), dict[int, int]()
    for slot, value in zip(slots, values, strict=True):
        assert table.first(slot, value) == reference.get(slot)
        reference.setdefault(slot, value)
    assert len(table) == len(reference)


def test_a_hundred_thousand_random_slots_agree_with_a_dict() -> None:
    rng = random.Random(7)
    pool = [rng.getrandbits(60) for _ in range(60_000)]
    table, reference = SeenSlots(), dict[int, int]()
    for n in range(100_000):
        slot = rng.choice(pool)
        assert table.first(slot, n) == reference.get(slot)
        reference.setdefault(slot, n)
    assert len(table) == len(reference)
