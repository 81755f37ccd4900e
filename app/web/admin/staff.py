"""Staff administration (admins): list, create, change roles and scope, disable, reset a password or 2FA.

An admin scoped to one 签发机关 sees and changes only that authority's accounts; any other id is a
plain 404. A temporary password is shown once, on the answer to the form that made it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.staffpolicy import ALL_AUTHORITIES
from app.services import staff_admin, staff_sessions, twofactor
from app.services.presenters import catalogue
from app.services.staff import ROLE_LABELS, ROLES, StaffError, StaffView, parse_roles
from app.storage.models import Staff
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, idle_limit, roles_required

Page = str | BaseResponse | tuple[str, int]


def _admin() -> StaffView:
    staff = current_staff()
    assert staff is not None
    return staff


def scope_choices(admin: StaffView) -> list[tuple[str, str]]:
    """(value, label) of the scopes this admin may give: their own, or every authority and 全部."""
    if not admin.all_authorities:
        return [(admin.authority, admin.authority)]
    return [(ALL_AUTHORITIES, "全部签发机关")] + [(a.name, a.name) for a in catalogue().authorities]


def _form_roles() -> list[str]:
    return [role for role in request.form.getlist("roles") if role in ROLES]


def _list_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    admin, db = _admin(), deps.db_session()
    accounts = staff_admin.visible(db, admin)
    return render_template("admin/staff_list.html", accounts=accounts, roles=ROLES, role_labels=ROLE_LABELS,
                           locked=staff_admin.locked_usernames(db, deps.pii(), accounts, deps.clock().now()),
                           parse_roles=parse_roles,
                           scopes=scope_choices(admin), error=error, form=request.form), status


@bp.get("/staff")
@roles_required("admin")
def staff_list() -> Page:
    return _list_page()


@bp.post("/staff")
@roles_required("admin")
def staff_create() -> Page:
    """A new account; its temporary password is on this answer only."""
    db = deps.db_session()
    try:
        issued = staff_admin.create(db, _admin(), request.form.get("username", "")[:64], _form_roles(),
                                    request.form.get("authority", "")[:100], deps.clock().now())
    except StaffError as exc:
        db.rollback()
        return _list_page(exc.message, 400)
    db.commit()
    return render_template("admin/staff_password.html", account=issued.staff, password=issued.password, new=True)


def _target(staff_id: int) -> Staff:
    found = staff_admin.find(deps.db_session(), _admin(), staff_id)
    if found is None:
        abort(404)
    return found


def _edit_page(account: Staff, error: str | None = None, status: int = 200, bind_code: Any = None,
               ) -> tuple[str, int]:
    """The account's page; `bind_code` a fresh WeChat binding code to show once (inspectors)."""
    db, now = deps.db_session(), deps.clock().now()
    return render_template("admin/staff_edit.html", account=account, roles=ROLES, role_labels=ROLE_LABELS,
                           held=parse_roles(account.roles), scopes=scope_choices(_admin()), error=error,
                           bind_code=bind_code,
                           bind_qr=twofactor.qr_svg(bind_code.qr_text) if bind_code is not None else None,
                           sessions=staff_sessions.open_sessions(db, account.id, now, idle_limit()),
                           codes_left=twofactor.recovery_codes_left(db, account.id)), status


@bp.get("/staff/<int:staff_id>")
@roles_required("admin")
def staff_edit(staff_id: int) -> Page:
    return _edit_page(_target(staff_id))


@bp.post("/staff/<int:staff_id>")
@roles_required("admin")
def staff_update(staff_id: int) -> Page:
    """New roles and scope (audited with before and after)."""
    account, db = _target(staff_id), deps.db_session()
    try:
        changed = staff_admin.update(db, _admin(), account, _form_roles(), request.form.get("authority", "")[:100],
                                     deps.clock().now())
    except StaffError as exc:
        db.rollback()
        return _edit_page(_target(staff_id), exc.message, 400)
    db.commit()
    flash(f"{account.username} 的角色和范围已保存" if changed else "没有改动", "success")
    return redirect(url_for("admin.staff_edit", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/active")
@roles_required("admin")
def staff_active(staff_id: int) -> Page:
    """Disable (its sessions end at once) or re-enable."""
    account, db = _target(staff_id), deps.db_session()
    active = request.form.get("active") == "1"
    try:
        staff_admin.set_active(db, _admin(), account, active, deps.clock().now())
    except StaffError as exc:
        db.rollback()
        return _edit_page(_target(staff_id), exc.message, 400)
    db.commit()
    flash(f"{account.username} 已{'启用' if active else '停用'}", "success")
    return redirect(url_for("admin.staff_edit", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/password")
@roles_required("admin")
def staff_reset_password(staff_id: int) -> Page:
    """A temporary password, shown once; to be changed at the next sign-in."""
    account, db = _target(staff_id), deps.db_session()
    try:
        issued = staff_admin.reset_password(db, deps.pii(), _admin(), account, deps.clock().now())
    except StaffError as exc:
        return _edit_page(account, exc.message, 400)
    db.commit()
    return render_template("admin/staff_password.html", account=issued.staff, password=issued.password, new=False)


@bp.post("/staff/<int:staff_id>/two-factor")
@roles_required("admin")
def staff_reset_two_factor(staff_id: int) -> Page:
    """Forget the colleague's authenticator: they set up a new one at the next sign-in."""
    account, db = _target(staff_id), deps.db_session()
    try:
        staff_admin.reset_two_factor(db, _admin(), account, deps.clock().now())
    except StaffError as exc:
        return _edit_page(account, exc.message, 400)
    db.commit()
    flash(f"已重置 {account.username} 的两步验证，下次登录时需重新设置验证器", "success")
    return redirect(url_for("admin.staff_edit", staff_id=staff_id))
