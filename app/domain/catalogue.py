"""Operation catalogue, industries, personnel types and issuing authorities, loaded from data/*.json."""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DATA_DIR = Path(__file__).parent / "data"

# The two certificate kinds (docs/rules.md, "The certificates") and their printed titles.
SPECIAL_OPS = "special_ops"
SAFETY_MGMT = "safety_mgmt"
KIND_LABELS = {SPECIAL_OPS: "特种作业操作证", SAFETY_MGMT: "安全生产知识和管理能力考核合格证"}


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """Return the comparison key of a catalogue name: NFKC, no whitespace (（）and () compare equal)."""
    return "".join(unicodedata.normalize("NFKC", name).split())


@dataclass(frozen=True)
class Item:
    """One 操作项目 (older cards: 准操项目) of the special-operations catalogue."""

    code: str
    name: str
    category_code: str
    effective_from: dt.date
    effective_until: dt.date | None  # last day in force, inclusive; None = still in force

    def in_force(self, on: dt.date) -> bool:
        """Tell whether the item is in the catalogue on `on`."""
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


@dataclass(frozen=True)
class Category:
    """One 作业类别 with its items, in the order of the published table."""

    code: str
    name: str
    effective_from: dt.date
    effective_until: dt.date | None
    items: tuple[Item, ...]

    def in_force(self, on: dt.date) -> bool:
        """Tell whether the category is in the catalogue on `on`."""
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


@dataclass(frozen=True)
class Named:
    """A coded entry of a flat list: industry, personnel type or issuing authority."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    # Issuing authorities only: where a holder or an inspector calls (reports, reviews, corrections).
    phone: str | None = None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _category(raw: dict[str, Any]) -> Category:
    items = tuple(
        Item(
            i["code"],
            i["name"],
            raw["code"],
            dt.date.fromisoformat(i["effective_from"]),
            _date(i["effective_until"]),
        )
        for i in raw["items"]
    )
    return Category(
        raw["code"],
        raw["name"],
        dt.date.fromisoformat(raw["effective_from"]),
        _date(raw["effective_until"]),
        items,
    )


def _named(raw: list[dict[str, Any]]) -> tuple[Named, ...]:
    return tuple(Named(r["code"], r["name"], tuple(r.get("aliases", ())), r.get("phone")) for r in raw)


def _read(name: str) -> Any:
    return json.loads((_DATA_DIR / name).read_text("utf-8"))


class Catalogue:
    """Look-ups over the catalogue data; construct with `Catalogue.load_default()`."""

    def __init__(
        self,
        categories: tuple[Category, ...],
        industries: tuple[Named, ...],
        personnel_types: tuple[Named, ...],
        authorities: tuple[Named, ...],
    ) -> None:
        self.categories = categories
        self.industries = industries
        self.personnel_types = personnel_types
        self.authorities = authorities
        self._items = {i.code: i for c in categories for i in c.items}
        self._category_names: dict[str, list[Category]] = {}
        for c in categories:
            self._category_names.setdefault(name_key(c.name), []).append(c)
        self._industry_names = _index(industries)
        self._personnel_names = _index(personnel_types)
        self._authority_names = _index(authorities)

    @classmethod
    def load_default(cls) -> Catalogue:
        """Load the data files shipped in app/domain/data."""
        cats = tuple(_category(c) for c in _read("catalogue.json")["categories"])
        ind = _read("industries.json")
        auth = _read("authorities.json")
        return cls(
            cats, _named(ind["industries"]), _named(ind["personnel_types"]), _named(auth["authorities"])
        )

    def find_category(self, name: str, on: dt.date) -> Category | None:
        """Return the category called `name` in force on `on`."""
        return next((c for c in self._category_names.get(name_key(name), ()) if c.in_force(on)), None)

    def find_item(self, category_name: str, item_name: str, on: dt.date) -> Item | None:
        """Return the item of that category in force on `on`; a missing trailing 作业 is tolerated."""
        category = self.find_category(category_name, on)
        if category is None:
            return None
        return _match_item(category.items, item_name, on)

    def categories_with_item(self, item_name: str, on: dt.date) -> list[Category]:
        """Return the categories that hold an item called `item_name` (for error messages)."""
        return [c for c in self.categories if c.in_force(on) and _match_item(c.items, item_name, on)]

    def item_by_code(self, code: str) -> Item | None:
        """Return the item with this code, whatever its dates."""
        return self._items.get(code)

    def category_by_code(self, code: str) -> Category | None:
        """Return the category with this code, whatever its dates."""
        return next((c for c in self.categories if c.code == code), None)

    def find_industry(self, name: str) -> Named | None:
        """Return the industry called `name` (or one of its aliases)."""
        return self._industry_names.get(name_key(name))

    def industry_by_code(self, code: str) -> Named | None:
        """Return the industry with this code."""
        return next((i for i in self.industries if i.code == code), None)

    def personnel_type(self, name: str) -> Named | None:
        """Return the personnel type (主要负责人 / 安全生产管理人员) called `name`."""
        return self._personnel_names.get(name_key(name))

    def personnel_type_by_code(self, code: str) -> Named | None:
        """Return the personnel type with this code."""
        return next((p for p in self.personnel_types if p.code == code), None)

    def authority(self, name: str) -> Named | None:
        """Return the issuing authority called `name` (or one of its aliases)."""
        return self._authority_names.get(name_key(name))

    def authority_by_code(self, code: str) -> Named | None:
        """Return the issuing authority with this administrative-division code."""
        return next((a for a in self.authorities if a.code == code), None)

    def all_labels(self) -> set[str]:
        """Return every Chinese string of the data (for the renderer's font-coverage test)."""
        labels = set(KIND_LABELS.values())
        for c in self.categories:
            labels.add(c.name)
            labels.update(i.name for i in c.items)
        for entry in (*self.industries, *self.personnel_types, *self.authorities):
            labels.add(entry.name)
            labels.update(entry.aliases)
        return labels


def _index(entries: tuple[Named, ...]) -> dict[str, Named]:
    """Map the keys of every name and alias to its entry."""
    index: dict[str, Named] = {}
    for entry in entries:
        for name in (entry.name, *entry.aliases):
            index[name_key(name)] = entry
    return index


def _match_item(items: tuple[Item, ...], name: str, on: dt.date) -> Item | None:
    """Match exactly, else with 作业 appended (exports often write 低压电工 for 低压电工作业)."""
    key = name_key(name)
    for candidate in (key, key + "作业"):
        found = next((i for i in items if name_key(i.name) == candidate and i.in_force(on)), None)
        if found is not None:
            return found
    return None
