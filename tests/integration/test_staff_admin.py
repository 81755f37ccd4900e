"""Staff administration in the browser: create, roles and scope, disable, resets, all audited and scoped."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.storage.models import AuditEntry, Staff
from tests.integration.review_fixtures import CHONGQING, PASSWORD, SICHUAN, csrf_from, make_staff, staff_login
from tests.integration.staff_fixtures import account

ALL = "*"


def _entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _post(client: FlaskClient, path: str, data: dict[str, object], page: str = "/admin/staff") -> tuple[int, str]:
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(path, data={**data, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def city_admin(app: Flask, client: FlaskClient) -> FlaskClient:
    """An admin of every authority, signed in."""
    make_staff(app, "city.admin", role="admin", authority=ALL)
    staff_login(client, "city.admin")
    return client


@pytest.fixture
def cq_admin(app: Flask) -> FlaskClient:
    """An admin of Chongqing only, signed in."""
    make_staff(app, "cq.admin", role="admin", authority=CHONGQING)
    client = app.test_client()
    staff_login(client, "cq.admin")
    return client


def test_an_admin_creates_an_account_whose_temporary_password_is_shown_once(app: Flask,
                                                                            city_admin: FlaskClient) -> None:
    status, page = _post(city_admin, "/admin/staff", {"username": "sc.reviewer", "roles": ["reviewer", "operator"],
                                                      "authority": SICHUAN})
    password = re.search(r'id="temporary-password">([^<]+)<', page)
    assert status == 200 and password is not None
    stored = account(app, "sc.reviewer")
    assert (stored.roles, stored.authority, stored.must_change_password) == ("reviewer,operator", SICHUAN, True)
    assert password.group(1) not in stored.password_hash
    assert password.group(1) not in city_admin.get(f"/admin/staff/{stored.id}").get_data(as_text=True)
    [entry] = _entries(app, "staff.create")
    assert entry.actor == "staff:city.admin" and entry.subject == "staff:sc.reviewer"
    newcomer = app.test_client()
    staff_login(newcomer, "sc.reviewer", password.group(1))  # enrols an authenticator on the way
    assert newcomer.get("/admin/").headers["Location"].endswith("/admin/password")


@pytest.mark.parametrize(("data", "message"), [
    ({"username": "x", "roles": ["reviewer"], "authority": CHONGQING}, "用户名须为"),
    ({"username": "cq.someone", "authority": CHONGQING}, "请至少选择一个角色"),
    ({"username": "cq.someone", "roles": ["reviewer"], "authority": "火星应急管理局"}, "没有名为"),
    ({"username": "city.admin", "roles": ["reviewer"], "authority": CHONGQING}, "已被使用"),
])
def test_a_bad_new_account_is_refused_with_a_chinese_reason(city_admin: FlaskClient, data: dict[str, object],
                                                            message: str) -> None:
    status, page = _post(city_admin, "/admin/staff", data)
    assert status == 400 and message in page


def test_an_authority_admin_sees_and_changes_only_its_own_accounts(app: Flask, cq_admin: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    sichuan = make_staff(app, "sc.reviewer", authority=SICHUAN)
    listing = cq_admin.get("/admin/staff").get_data(as_text=True)
    assert "cq.reviewer" in listing and "sc.reviewer" not in listing
    assert 'value="*"' not in listing and SICHUAN not in listing  # no scope it may not give
    assert cq_admin.get(f"/admin/staff/{sichuan}").status_code == 404
    for path in (f"/admin/staff/{sichuan}", f"/admin/staff/{sichuan}/active", f"/admin/staff/{sichuan}/password",
                 f"/admin/staff/{sichuan}/two-factor", "/admin/staff/99999999999"):
        assert _post(cq_admin, path, {"roles": ["admin"], "authority": CHONGQING, "active": "0"})[0] == 404, path
    assert account(app, "sc.reviewer").active


@pytest.mark.parametrize(("authority", "message"), [(ALL, "只有“全部签发机关”的管理员"), (SICHUAN, "本机关范围")])
def test_an_authority_admin_can_never_grant_all_or_another_authority(app: Flask, cq_admin: FlaskClient,
                                                                     authority: str, message: str) -> None:
    status, page = _post(cq_admin, "/admin/staff", {"username": "cq.new", "roles": ["reviewer"],
                                                    "authority": authority})
    assert status == 400 and message in page
    target = make_staff(app, "cq.reviewer")
    status, page = _post(cq_admin, f"/admin/staff/{target}", {"roles": ["reviewer"], "authority": authority})
    assert status == 400 and message in page and account(app, "cq.reviewer").authority == CHONGQING


def test_roles_and_scope_change_with_before_and_after_in_the_audit_log(app: Flask, city_admin: FlaskClient) -> None:
    target = make_staff(app, "cq.reviewer")
    status, _ = _post(city_admin, f"/admin/staff/{target}", {"roles": ["reviewer", "inspector"], "authority": SICHUAN})
    assert status == 302
    stored = account(app, "cq.reviewer")
    assert (stored.roles, stored.authority) == ("reviewer,inspector", SICHUAN)
    [entry] = _entries(app, "staff.update")
    assert json.loads(entry.detail) == {"before": {"roles": "reviewer", "authority": CHONGQING},
                                        "after": {"roles": "reviewer,inspector", "authority": SICHUAN}}


def test_disabling_ends_the_colleagues_session_and_re_enabling_lets_them_back(app: Flask,
                                                                             city_admin: FlaskClient) -> None:
    target = make_staff(app, "cq.reviewer")
    colleague = app.test_client()
    staff_login(colleague, "cq.reviewer")
    assert _post(city_admin, f"/admin/staff/{target}/active", {"active": "0"})[0] == 302
    assert colleague.get("/admin/").headers["Location"].endswith("/admin/login")
    token = csrf_from(colleague.get("/admin/login").get_data(as_text=True))
    refused = colleague.post("/admin/login", data={"username": "cq.reviewer", "password": PASSWORD,
                                                   "csrf_token": token})
    assert refused.status_code == 401 and "用户名或密码错误" in refused.get_data(as_text=True)
    assert _post(city_admin, f"/admin/staff/{target}/active", {"active": "1"})[0] == 302
    staff_login(colleague, "cq.reviewer")
    assert [len(_entries(app, a)) for a in ("staff.disable", "staff.enable")] == [1, 1]


def test_a_reset_password_is_new_temporary_and_ends_the_old_sessions(app: Flask, city_admin: FlaskClient) -> None:
    target = make_staff(app, "cq.reviewer")
    colleague = app.test_client()
    staff_login(colleague, "cq.reviewer")
    status, page = _post(city_admin, f"/admin/staff/{target}/password", {})
    password = re.search(r'id="temporary-password">([^<]+)<', page)
    assert status == 200 and password is not None
    assert colleague.get("/admin/").status_code == 302
    again = app.test_client()
    token = csrf_from(again.get("/admin/login").get_data(as_text=True))
    assert again.post("/admin/login", data={"username": "cq.reviewer", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 401
    staff_login(again, "cq.reviewer", password.group(1))
    assert again.get("/admin/").headers["Location"].endswith("/admin/password")
    assert _entries(app, "staff.reset_password")


def test_a_reset_second_factor_is_enrolled_again_at_the_next_sign_in(app: Flask, city_admin: FlaskClient) -> None:
    target = make_staff(app, "cq.reviewer")
    assert _post(city_admin, f"/admin/staff/{target}/two-factor", {})[0] == 302
    assert account(app, "cq.reviewer").totp_secret_enc is None
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"username": "cq.reviewer", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/admin/login/enrol")
    assert _entries(app, "staff.reset_2fa")


@pytest.mark.parametrize(("path", "data", "message"), [
    ("active", {"active": "0"}, "不能停用自己的账号"),
    ("", {"roles": ["reviewer"], "authority": ALL}, "不能取消自己的管理员角色"),
    ("password", {}, "不能重置自己的密码"),
    ("two-factor", {}, "不能重置自己的两步验证"),
])
def test_an_admin_cannot_lock_themselves_out(app: Flask, city_admin: FlaskClient, path: str,
                                            data: dict[str, object], message: str) -> None:
    me = account(app, "city.admin").id
    status, page = _post(city_admin, f"/admin/staff/{me}/{path}".rstrip("/"), data)
    assert status == 400 and message in page
    assert account(app, "city.admin").active


def test_staff_pages_are_for_admins_and_their_forms_need_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    assert client.get("/admin/staff").status_code == 403
    make_staff(app, "city.admin", role="admin", authority=ALL)
    admin = app.test_client()
    staff_login(admin, "city.admin")
    response = admin.post("/admin/staff", data={"username": "cq.sneaky", "roles": ["admin"], "authority": ALL})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    with app.extensions["db"].session() as session:
        assert session.scalar(select(Staff).where(Staff.username == "cq.sneaky")) is None


def test_a_locked_colleague_shows_as_locked_until_an_admin_resets_the_password(app: Flask,
                                                                              city_admin: FlaskClient) -> None:
    target = make_staff(app, "cq.reviewer")
    for _ in range(5):
        guesser = app.test_client()
        token = csrf_from(guesser.get("/admin/login").get_data(as_text=True))
        guesser.post("/admin/login", data={"username": "cq.reviewer", "password": "wrong-guess", "csrf_token": token})
    row = city_admin.get("/admin/staff").get_data(as_text=True).split("cq.reviewer", 1)[1].split("</tr>", 1)[0]
    assert "已锁定" in row
    status, page = _post(city_admin, f"/admin/staff/{target}/password", {})
    password = re.search(r'id="temporary-password">([^<]+)<', page)
    assert status == 200 and password is not None
    staff_login(app.test_client(), "cq.reviewer", password.group(1))  # the lock was lifted with the reset
    assert "已锁定" not in city_admin.get("/admin/staff").get_data(as_text=True)


def test_the_command_line_resets_a_lost_authenticator(app: Flask) -> None:
    make_staff(app, "city.admin", role="admin", authority=ALL)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "reset-2fa", "city.admin"])
    assert result.exit_code == 0, result.output
    assert account(app, "city.admin").totp_enabled_at is None and _entries(app, "staff.reset_2fa")
    assert "no 2FA yet" in runner.invoke(args=["staff", "list"]).output
    unknown = runner.invoke(args=["staff", "reset-2fa", "nobody"])
    assert unknown.exit_code != 0 and "no staff account" in unknown.output
