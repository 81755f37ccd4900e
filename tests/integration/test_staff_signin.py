"""Back-office sign-in with two factors, server-side sessions and no username oracle (issues 12 and 13)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import FixedClock
from app.services import signin, staff_admin, twofactor
from app.services.staff import view_of
from app.storage.db import Database
from app.storage.models import AuditEntry, RecoveryCode, Staff, StaffSession
from tests.integration.review_fixtures import PASSWORD, csrf_from, make_staff, staff_login
from tests.integration.staff_fixtures import account, code_for, secret_of

LOCKED = "已锁定"


def _post_password(client: FlaskClient, username: str, password: str = PASSWORD) -> tuple[int, str, str]:
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def _post_code(client: FlaskClient, path: str, code: str) -> tuple[int, str, str]:
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"code": code, "csrf_token": token})
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def _actions(app: Flask) -> list[str]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# ---- enrolment and the code ---------------------------------------------------------------------

def test_a_first_sign_in_enrols_an_authenticator_and_shows_ten_recovery_codes_once(
        app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.new", enrolled=False)
    status, location, _ = _post_password(client, "cq.new")
    assert status == 302 and location.endswith("/admin/login/enrol")
    assert client.get("/admin/").headers["Location"].endswith("/admin/login/enrol")  # nothing else before it
    page = client.get("/admin/login/enrol").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]{32})<', page)
    assert secret and "<svg" in page and "<path" in page  # our own QR code, inline
    assert client.get("/admin/login/enrol").get_data(as_text=True).count(secret.group(1)) == 1  # same on reload
    assert _post_code(client, "/admin/login/enrol", "000000")[0] == 401
    status, _, shown = _post_code(client, "/admin/login/enrol", code_for(app, secret.group(1), "cq.new"))
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", shown)
    assert status == 200 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    staff = account(app, "cq.new")
    assert staff.totp_enabled_at is not None and secret.group(1).encode() not in (staff.totp_secret_enc or b"")
    with app.extensions["db"].session() as session:
        stored = [row.code_hash for row in session.scalars(select(RecoveryCode))]
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    assert _actions(app)[-2:] == ["staff.2fa_enrolled", "staff.sign_in"]


def test_sign_in_needs_the_code_and_a_code_is_good_only_once(app: Flask, client: FlaskClient,
                                                           clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    status, location, _ = _post_password(client, "cq.reviewer")
    assert location.endswith("/admin/login/code")
    assert client.get("/admin/").headers["Location"].endswith("/admin/login/code")
    code = pyotp.TOTP(secret_of(app, "cq.reviewer")).at(clock.now())
    assert _post_code(client, "/admin/login/code", code)[0] == 302
    assert client.get("/admin/").status_code == 200
    other = app.test_client()
    _post_password(other, "cq.reviewer")
    status, _, page = _post_code(other, "/admin/login/code", code)  # the same code, replayed
    assert status == 401 and "验证码错误" in page


def test_a_recovery_code_signs_in_once(app: Flask, clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == "cq.reviewer"))
        assert staff is not None
        codes = twofactor.new_recovery_codes(session, staff, app.extensions["pii"], clock.now())
    for expected in (302, 401):
        client = app.test_client()
        _post_password(client, "cq.reviewer")
        assert _post_code(client, "/admin/login/code", codes[0].upper().replace("-", " "))[0] == expected
    assert "staff.recovery_code_used" in _actions(app)


def test_five_wrong_codes_lock_the_account_and_end_the_half_done_session(app: Flask, client: FlaskClient,
                                                                        clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    _post_password(client, "cq.reviewer")
    for _ in range(4):
        assert "验证码错误" in _post_code(client, "/admin/login/code", "000000")[2]
    status, _, page = _post_code(client, "/admin/login/code", "000000")
    assert status == 401 and LOCKED in page
    assert client.get("/admin/login/code").headers["Location"].endswith("/admin/login")  # that session is over
    status, _, page = _post_password(app.test_client(), "cq.reviewer")  # even the right password, while locked
    assert status == 401 and LOCKED in page
    clock.moment += timedelta(minutes=16)
    staff_login(app.test_client(), "cq.reviewer")
    assert "staff.locked" in _actions(app)


def test_wrong_passwords_and_wrong_codes_add_up_to_one_lock(app: Flask, clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    for _ in range(3):
        assert _post_password(app.test_client(), "cq.reviewer", "wrong-password")[0] == 401
    client = app.test_client()
    _post_password(client, "cq.reviewer")  # a right password does not start the count over
    assert "验证码错误" in _post_code(client, "/admin/login/code", "000000")[2]
    assert LOCKED in _post_code(client, "/admin/login/code", "000000")[2]


def test_a_temporary_password_must_be_changed_before_any_page(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.admin", role="admin")
    make_staff(app, "cq.clerk")
    with app.extensions["db"].session() as session:
        clerk = session.scalar(select(Staff).where(Staff.username == "cq.clerk"))
        assert clerk is not None
        issued = staff_admin.reset_password(session, app.extensions["pii"], view_of(account(app, "cq.admin")),
                                            clerk, app.extensions["clock"].now())
    staff_login(client, "cq.clerk", issued.password)
    assert client.get("/admin/").headers["Location"].endswith("/admin/password")
    page = client.get("/admin/password").get_data(as_text=True)
    assert "临时密码" in page and 'name="current"' not in page
    token = csrf_from(page)
    same = client.post("/admin/password", data={"csrf_token": token, "new": issued.password, "repeat": issued.password})
    assert same.status_code == 400 and "不能与原密码相同" in same.get_data(as_text=True)
    done = client.post("/admin/password", data={"csrf_token": token, "new": "my-own-password-1",
                                                "repeat": "my-own-password-1"})
    assert done.status_code == 302 and client.get("/admin/").status_code == 200
    assert not account(app, "cq.clerk").must_change_password


# ---- the same answer for every username -----------------------------------------------------------

@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash check of a sign-in, counted (the work, measured without a clock)."""
    checked: list[str] = []
    real: Callable[[str, str], bool] = signin.password_matches

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(signin, "password_matches", counting)
    return checked


def _neutral(page: str, username: str) -> str:
    """The page without what legitimately differs: the echoed username and the CSRF token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page.replace(f'value="{username}"', 'value=""'))


def test_unknown_and_known_usernames_get_the_same_page_status_lock_and_work(
        app: Flask, hash_checks: list[str]) -> None:
    make_staff(app, "cq.reviewer")
    disabled = make_staff(app, "cq.gone")
    with app.extensions["db"].session() as session:
        gone = session.get(Staff, disabled)
        assert gone is not None
        gone.active = False
    answers: dict[str, list[tuple[int, str]]] = {}
    for username in ("cq.reviewer", "nobody.here", "cq.gone"):
        for attempt in range(7):  # five to lock, two more while locked
            before = len(hash_checks)
            status, _, page = _post_password(app.test_client(), username, "wrong-password")
            assert len(hash_checks) == before + 1, (username, attempt)  # one scrypt check on every path
            answers.setdefault(username, []).append((status, _neutral(page, username)))
    assert answers["cq.reviewer"] == answers["nobody.here"] == answers["cq.gone"]
    assert [LOCKED in page for _, page in answers["nobody.here"]] == [False] * 4 + [True] * 3
    assert {status for status, _ in answers["nobody.here"]} == {401}


def test_a_locked_account_still_checks_the_password_and_says_only_locked(app: Flask,
                                                                          hash_checks: list[str]) -> None:
    make_staff(app, "cq.reviewer")
    for _ in range(5):
        _post_password(app.test_client(), "cq.reviewer", "wrong-password")
    before = len(hash_checks)
    status, _, page = _post_password(app.test_client(), "cq.reviewer")
    assert status == 401 and LOCKED in page and len(hash_checks) == before + 1


# ---- sessions live on the server ------------------------------------------------------------------

def _copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of the client's back-office cookie."""
    cookie = client.get_cookie("admin_session", path="/admin")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("admin_session", cookie.value, path="/admin")
    return thief


def test_a_cookie_copied_before_logout_stops_working_after_it(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    thief = _copy_of(client, app)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/admin/").headers["Location"].endswith("/admin/login")
    with app.extensions["db"].session() as session:
        row = session.scalar(select(StaffSession))
        assert row is not None and row.end_reason == "logout"


def test_the_cookie_holds_a_random_token_and_the_database_only_its_hash(app: Flask, client: FlaskClient) -> None:
    staff_id = make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    cookie = client.get_cookie("admin_session", path="/admin")
    assert cookie is not None and cookie.http_only and len(cookie.value) >= 40
    assert "cq.reviewer" not in cookie.value and str(staff_id) != cookie.value
    flask_session = client.get_cookie("session")
    assert flask_session is None or "admin_staff_id" not in flask_session.value
    with app.extensions["db"].session() as session:
        row = session.scalar(select(StaffSession))
        assert row is not None and cookie.value not in row.token_hash and len(row.token_hash) == 64


def test_disabling_an_account_ends_its_sessions_everywhere(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    make_staff(app, "cq.admin", role="admin")
    staff_login(client, "cq.reviewer")
    with app.extensions["db"].session() as session:
        target = session.scalar(select(Staff).where(Staff.username == "cq.reviewer"))
        assert target is not None
        staff_admin.set_active(session, view_of(account(app, "cq.admin")), target, False,
                               app.extensions["clock"].now())
    assert client.get("/admin/").headers["Location"].endswith("/admin/login")


def test_the_half_done_session_of_a_password_alone_opens_no_page(app: Flask, client: FlaskClient,
                                                                 clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    _post_password(client, "cq.reviewer")
    for path in ("/admin/", "/admin/queue", "/admin/password"):
        assert client.get(path).headers["Location"].endswith("/admin/login/code")
    clock.moment += timedelta(minutes=11)  # the code must follow within ten minutes
    assert client.get("/admin/login/code").headers["Location"].endswith("/admin/login")


class _BrokenStore:
    """A key-value store whose server is gone: every call fails."""

    def __getattr__(self, name: str) -> Callable[..., object]:
        def fail(*_args: object, **_kwargs: object) -> object:
            raise ConnectionError("redis is down")
        return fail


def test_signed_in_staff_keep_working_while_redis_is_down(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.admin", role="admin,reviewer")
    staff_login(client, "cq.admin")
    app.extensions["store"] = _BrokenStore()
    for path in ("/admin/", "/admin/queue", "/admin/staff", "/admin/audit", "/admin/calendar"):
        assert client.get(path).status_code == 200, path
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_with_the_database_away_a_signed_in_page_is_a_chinese_error_not_a_crash(
        app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    app.extensions["db"] = Database(f"sqlite:///{tmp_path}/empty.sqlite3")  # no tables: every query fails
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test
    response = client.get("/admin/")
    assert response.status_code >= 500 and "系统" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_one_code_posted_twice_at_the_same_moment_signs_in_once(app: Flask, clock: FixedClock, kind: str) -> None:
    make_staff(app, "cq.reviewer")
    if kind == "totp":
        code = code_for(app, secret_of(app, "cq.reviewer"), "cq.reviewer")
    else:
        with app.extensions["db"].session() as session:
            staff = session.scalar(select(Staff).where(Staff.username == "cq.reviewer"))
            assert staff is not None
            code = twofactor.new_recovery_codes(session, staff, app.extensions["pii"], clock.now())[0]
    clients, tokens = [app.test_client(), app.test_client()], []
    for client in clients:
        _post_password(client, "cq.reviewer")
        tokens.append(csrf_from(client.get("/admin/login/code").get_data(as_text=True)))
    start, statuses = threading.Barrier(2), []

    def post(client: FlaskClient, token: str) -> None:
        start.wait(10)
        statuses.append(client.post("/admin/login/code", data={"code": code, "csrf_token": token}).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302, 401]
