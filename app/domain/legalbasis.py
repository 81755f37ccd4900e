"""The legal bases an administrative action may cite, kept as data (data/legal_bases.json).

Each basis names the actions and certificate kinds it applies to; the sources are in docs/rules.md
("Administrative actions and their legal basis"). A bureau adds a basis by adding an entry: the code
is stored with every action taken, so an entry is never reused for another text.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "legal_bases.json"


class LegalBasisError(ValueError):
    """The legal-basis file is not valid; the message names the entry."""


@dataclass(frozen=True)
class LegalBasis:
    """One article (or decision) an action may rest on."""

    code: str
    actions: frozenset[str]
    kinds: frozenset[str]
    citation: str  # e.g. 原安监总局令第30号第三十条第一款第（三）项
    text: str  # what the article says, in a few words

    @property
    def label(self) -> str:
        """How a form and a record show it: the article, then its words."""
        return f"{self.citation}：{self.text}"


class LegalBases:
    """The list, looked up by code or by what an action on a kind of certificate may cite."""

    def __init__(self, bases: list[LegalBasis]) -> None:
        self._bases = bases
        self._by_code = {b.code: b for b in bases}
        if len(self._by_code) != len(bases):
            raise LegalBasisError("legal_bases.json: duplicate code")

    def get(self, code: str) -> LegalBasis | None:
        """The basis with this code, if any."""
        return self._by_code.get(code)

    def for_action(self, action: str, kind: str) -> list[LegalBasis]:
        """The bases an action on a certificate of this kind may cite, in file order."""
        return [b for b in self._bases if action in b.actions and kind in b.kinds]

    def allows(self, code: str, action: str, kind: str) -> bool:
        """Whether `code` may be cited for this action on this kind."""
        basis = self.get(code)
        return basis is not None and action in basis.actions and kind in basis.kinds


def _entry(raw: object) -> LegalBasis:
    """One entry, checked strictly: a typo in the file must not silently drop a basis."""
    if not isinstance(raw, dict) or set(raw) != {"code", "actions", "kinds", "citation", "text"}:
        raise LegalBasisError(f"legal_bases.json: bad entry {raw!r}")
    if not all(isinstance(raw[k], str) and raw[k] for k in ("code", "citation", "text")):
        raise LegalBasisError(f"legal_bases.json: empty text in {raw.get('code')!r}")
    if not all(isinstance(raw[k], list) and raw[k] for k in ("actions", "kinds")):
        raise LegalBasisError(f"legal_bases.json: actions and kinds must be lists in {raw['code']!r}")
    return LegalBasis(raw["code"], frozenset(raw["actions"]), frozenset(raw["kinds"]), raw["citation"], raw["text"])


def parse(text: str) -> LegalBases:
    """Parse the JSON document."""
    doc = json.loads(text)
    return LegalBases([_entry(raw) for raw in doc["bases"]])


@functools.lru_cache(maxsize=1)
def load_default() -> LegalBases:
    """The list shipped with the code (loaded once per process)."""
    return parse(_DATA.read_text("utf-8"))
