"""What makes one certificate: its identity, under which its versions (reissues) chain.

docs/rules.md, "The certificates and what identifies one": every special-operations certificate of a
holder carries the same 证号 ("T" + ID number), one per 操作项目, so the number does not pick a
certificate. A special-operations certificate is the holder + 作业类别 + 操作项目; a management
certificate the holder + 人员类型 + 行业类别. The holder is the stored person; this module gives the
rest as a short, readable key stored beside the person (`certificates.identity`).
"""

from __future__ import annotations

SPECIAL_OPS, SAFETY_MGMT = "special_ops", "safety_mgmt"
IDENTITY_MAX = 24  # the column's width: "T/" + 2 + "/" + 8 and "M/" + 8 + "/" + 8 fit
_PREFIX = {SPECIAL_OPS: "T", SAFETY_MGMT: "M"}


def certificate_identity(kind: str, category_code: str | None, item_code: str | None,
                         personnel_type_code: str | None, industry_code: str | None) -> str:
    """`T/<category>/<item>` or `M/<personnel type>/<industry>`; raises ValueError if a part is missing."""
    parts = (category_code, item_code) if kind == SPECIAL_OPS else (personnel_type_code, industry_code)
    if kind not in _PREFIX or not all(parts):
        raise ValueError(f"a {kind} certificate needs both codes of its identity, got {parts}")
    identity = "/".join((_PREFIX[kind], *(str(part) for part in parts)))
    if len(identity) > IDENTITY_MAX or any("/" in str(part) for part in parts):
        raise ValueError(f"identity codes too long or malformed: {parts}")
    return identity
