"""Plain display values for a found certificate, shared by replies, pages and the CLI."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from app.domain.catalogue import Catalogue
from app.domain.status import StatusCode
from app.services.registry import Found

KIND_LABELS = {"special_ops": "特种作业操作证", "safety_mgmt": "安全生产知识和管理能力考核合格证"}
NO_NUMBER = "—"  # a management certificate exported without a 证号 (docs/rules.md, "The certificates")


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue shipped with the code (loaded once per process)."""
    return Catalogue.load_default()


def scope_labels(cert: Any) -> tuple[str, str]:
    """(作业类别, 操作项目) or (人员类型, 行业类别) as Chinese labels."""
    cat = catalogue()
    if cert.kind == "special_ops":
        category = cat.category_by_code(cert.category_code or "")
        item = cat.item_by_code(cert.item_code or "")
        return (category.name if category else "", item.name if item else "")
    ptype = cat.personnel_type_by_code(cert.personnel_type_code or "")
    industry = cat.industry_by_code(cert.industry_code or "")
    return (ptype.name if ptype else "", industry.name if industry else "")


def describe(found: Found, on: date) -> dict[str, Any]:
    """Masked, display-ready fields of one certificate (no full ID number)."""
    cert, person, status = found.certificate, found.person, found.status
    first, second = scope_labels(cert)
    labels = ("作业类别", "操作项目") if cert.kind == "special_ops" else ("人员类型", "行业类别")
    return {
        "证书类型": KIND_LABELS[cert.kind],
        "姓名": person.name,
        "证件号码": person.id_masked,
        "证书编号": cert.cert_no_masked or NO_NUMBER,
        labels[0]: first,
        labels[1]: second,
        "单位名称": cert.employer if cert.kind == "safety_mgmt" else None,
        "有效期": f"{cert.valid_from.isoformat()} 至 {cert.valid_until.isoformat()}",
        "签发机关": cert.issuing_authority,
        "版本": cert.version,
        "状态": status.label,
        "状态说明": status.detail,
        "status_code": status.code.value,
        "查询日期": on.isoformat(),
        **administrative_note(found),
    }


# Statuses set by the issuing authority: while one is in force, the holder's pages show its reason.
ADMINISTRATIVE = frozenset({StatusCode.SUSPENDED, StatusCode.REVOKED, StatusCode.CANCELLED})


def administrative_note(found: Found) -> dict[str, str | None]:
    """The authority's reason and a suspension's end day while they are in force (ASCII keys: pages
    for the holder show them; the public /v/ page and replies leave them out, a reason may be personal)."""
    cert, code = found.certificate, found.status.code
    in_force = code in ADMINISTRATIVE
    until = cert.suspended_until if code == StatusCode.SUSPENDED else None
    return {"admin_reason": (cert.admin_reason or None) if in_force else None,
            "suspended_until": until.isoformat() if until else None}
