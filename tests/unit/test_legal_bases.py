"""The legal bases are data: every action has some for each kind, and a bad file is refused."""

from __future__ import annotations

import json

import pytest

from app.domain.certactions import Action
from app.domain.legalbasis import LegalBasisError, load_default, parse


@pytest.mark.parametrize("kind", ["special_ops", "safety_mgmt"])
@pytest.mark.parametrize("action", list(Action))
def test_every_action_on_every_kind_has_a_basis_to_pick(action: Action, kind: str) -> None:
    assert load_default().for_action(action.value, kind)


def test_the_special_operations_articles_of_order_30_are_offered_for_special_operations_only() -> None:
    bases = load_default()
    revoke = [b.code for b in bases.for_action("revoke", "special_ops")]
    assert revoke[:5] == ["30-30-1", "30-30-2", "30-30-3", "30-30-4", "30-30-5"]
    assert not any(b.code.startswith("30-") for b in bases.for_action("revoke", "safety_mgmt"))
    basis = bases.get("30-31-3")
    assert basis is not None and basis.label == "原安监总局令第30号第三十一条第（三）项：特种作业操作证被依法撤销"


@pytest.mark.parametrize("entry", [
    {"code": "x", "actions": ["revoke"], "kinds": ["special_ops"], "citation": "c"},  # no text
    {"code": "x", "actions": "revoke", "kinds": ["special_ops"], "citation": "c", "text": "t"},
    {"code": "", "actions": ["revoke"], "kinds": ["special_ops"], "citation": "c", "text": "t"},
    {"code": "x", "actions": [], "kinds": ["special_ops"], "citation": "c", "text": "t"},
    {"code": "x", "actions": ["revoke"], "kinds": ["special_ops"], "citation": "c", "text": "t", "extra": 1},
])
def test_a_malformed_entry_is_refused_rather_than_dropped(entry: dict[str, object]) -> None:
    with pytest.raises(LegalBasisError):
        parse(json.dumps({"bases": [entry]}))


def test_a_code_is_never_used_twice() -> None:
    entry = {"code": "x", "actions": ["revoke"], "kinds": ["special_ops"], "citation": "c", "text": "t"}
    with pytest.raises(LegalBasisError, match="duplicate"):
        parse(json.dumps({"bases": [entry, entry]}))
