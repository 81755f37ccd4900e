"""Inspectors: binding WeChat with a one-time code, the inspector view against the public one, the
log of every check, the holder's 查验记录, the back office's list and CSV, and authority scope."""

# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from app.services.seed import DemoPerson
from app.storage.models import AuditEntry, Certificate, Inspection
from tests.integration.h5_fixtures import (  # noqa: F401
    WECHAT_UA,
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    wechat_settings,
    worker,
)
from tests.integration.inspector_fixtures import INSPECTOR_OPENID, code_app, inspector, open_code  # noqa: F401
from tests.integration.review_fixtures import CHONGQING, SICHUAN, csrf_from, make_staff, staff_login
from tests.integration.staff_fixtures import account
from tests.integration.verify_fixtures import VALID, path_of, printed_text
from tests.wechat_helper import WeChatServer

WRONG_ID = "11010519491231002X"


def _rows(app: Flask) -> list[Inspection]:
    with app.extensions["db"].session() as session:
        rows = list(session.scalars(select(Inspection).order_by(Inspection.id)))
        session.expunge_all()
        return rows


def _actions(app: Flask) -> list[str]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _chat(app: Flask) -> WeChatServer:
    return WeChatServer(app.test_client(), app.config["SETTINGS"])


def _admin(app: Flask, username: str = "city.admin", authority: str = "*", role: str = "admin"):  # type: ignore[no-untyped-def]
    make_staff(app, username, role=role, authority=authority)
    client = app.test_client()
    staff_login(client, username)
    return client


def _csv(admin) -> list[str]:  # type: ignore[no-untyped-def]
    """The export's lines; the streamed response is closed so its database session ends."""
    response = admin.get("/admin/inspections.csv")
    try:
        assert response.mimetype == "text/csv"
        return list(response.get_data(as_text=True).splitlines())
    finally:
        response.close()


def _bind_code(app: Flask, admin, staff_id: int) -> str:  # type: ignore[no-untyped-def]
    page = admin.get(f"/admin/staff/{staff_id}").get_data(as_text=True)
    answer = admin.post(f"/admin/staff/{staff_id}/bind-code", data={"csrf_token": csrf_from(page)})
    found = re.search(r'id="bind-code">绑定 (\d{6})<', answer.get_data(as_text=True))
    assert answer.status_code == 200 and found is not None
    return found.group(1)


def test_an_inspector_binds_by_sending_the_code_once_and_an_admin_unbinds_in_one_click(code_app: Flask) -> None:
    staff_id = make_staff(code_app, "cq.inspector", role="inspector", authority=CHONGQING)
    admin = _admin(code_app)
    code = _bind_code(code_app, admin, staff_id)
    chat = _chat(code_app)
    assert "绑定成功" in chat.send_text(INSPECTOR_OPENID, f"绑定 {code}").text
    assert account(code_app, "cq.inspector").wechat_openid == INSPECTOR_OPENID
    assert "无效" in chat.send_text("o-someone-else", code).text  # used once
    page = admin.get(f"/admin/staff/{staff_id}").get_data(as_text=True)
    assert "已绑定微信" in page
    admin.post(f"/admin/staff/{staff_id}/unbind", data={"csrf_token": csrf_from(page)})
    assert account(code_app, "cq.inspector").wechat_openid is None
    assert {"inspector.bind_code", "inspector.bind", "inspector.unbind"} <= set(_actions(code_app))


def test_the_binding_qr_code_binds_when_scanned_in_the_official_account(code_app: Flask) -> None:
    staff_id = make_staff(code_app, "cq.inspector", role="inspector", authority=CHONGQING)
    code = _bind_code(code_app, _admin(code_app), staff_id)
    assert "绑定成功" in _chat(code_app).scan(INSPECTOR_OPENID, f"ECERT-BIND:{code}").text
    assert account(code_app, "cq.inspector").wechat_openid == INSPECTOR_OPENID


def test_guessing_binding_codes_is_cut_off_after_five_tries(code_app: Flask) -> None:
    chat = _chat(code_app)
    answers = [chat.send_text("o-guesser", f"绑定 {100000 + n}", msg_id=str(9000 + n)).text for n in range(6)]
    assert all("无效" in a for a in answers[:5]) and "次数过多" in answers[5]


def test_only_inspector_accounts_get_a_binding_code(code_app: Flask) -> None:
    staff_id = make_staff(code_app, "cq.reviewer", role="reviewer", authority=CHONGQING)
    admin = _admin(code_app)
    page = admin.get(f"/admin/staff/{staff_id}").get_data(as_text=True)
    assert "执法人员微信绑定" not in page
    answer = admin.post(f"/admin/staff/{staff_id}/bind-code", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 400 and "只有执法人员账号" in answer.get_data(as_text=True)


def test_a_bound_inspector_sees_name_and_photo_and_anyone_else_the_masked_page(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    path = path_of(printed_text(code_app, holders[VALID]))
    seen = open_code(worker(INSPECTOR_OPENID), path)
    html = seen.get_data(as_text=True)
    assert seen.status_code == 200 and holders[VALID].name in html and 'id="holder-photo"' in html
    assert seen.headers["Cache-Control"] == "no-store"
    photo_url = re.search(r'id="holder-photo" src="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    photo = worker(INSPECTOR_OPENID)
    open_code(photo, path)
    image = photo.client.get(photo_url)
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and "no-store" in image.headers["Cache-Control"]
    anonymous = worker("o-passer-by")
    public = open_code(anonymous, path).get_data(as_text=True)
    assert holders[VALID].name not in public and "/inspect/photo" not in public and "证书真实有效" in public
    assert anonymous.client.get(photo_url).status_code == 404
    assert code_app.test_client().get(photo_url).status_code == 404


def test_each_check_is_logged_and_a_wrong_id_number_turns_the_banner_red(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    path = path_of(printed_text(code_app, holders[VALID]))
    browser = worker(INSPECTOR_OPENID)
    html = open_code(browser, path).get_data(as_text=True)
    [row] = _rows(code_app)
    assert (row.inspector, row.authority, row.verdict, row.id_check) == ("cq.inspector", CHONGQING, "valid", None)
    answer = browser.client.post("/inspect" + path, data={"csrf_token": csrf_from(html), "row": str(row.id),
                                                           "id_number": WRONG_ID, "site": "某某隧道工地"})
    page = answer.get_data(as_text=True)
    banner = page.split("</section>", 1)[0]
    assert 'verdict-bad' in banner and "身份证号码与持证人不符" in banner and "不一致" in banner
    assert f'value="{WRONG_ID}"' in page  # the typed number stays
    [row] = _rows(code_app)
    assert (row.id_check, row.site) == ("mismatch", "某某隧道工地")
    right = browser.client.post("/inspect" + path, data={"csrf_token": csrf_from(page), "row": str(row.id),
                                                          "id_number": holders[VALID].id_number})
    assert "verdict-ok" in right.get_data(as_text=True).split("</section>", 1)[0]


def test_the_site_is_remembered_for_the_inspectors_next_check_that_day(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    browser = worker(INSPECTOR_OPENID)
    first = path_of(printed_text(code_app, holders[VALID]))
    html = open_code(browser, first).get_data(as_text=True)
    [row] = _rows(code_app)
    browser.client.post("/inspect" + first, data={"csrf_token": csrf_from(html), "row": str(row.id),
                                                  "id_number": WRONG_ID, "site": "某某煤矿"})
    second = path_of(printed_text(code_app, holders[2]))
    assert 'value="某某煤矿"' in open_code(browser, second).get_data(as_text=True)
    assert [r.site for r in _rows(code_app)] == ["某某煤矿", "某某煤矿"]


def test_an_inspectors_scan_links_to_the_inspector_view_and_is_logged_once_with_its_page(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    text = printed_text(code_app, holders[VALID])
    reply = _chat(code_app).scan(INSPECTOR_OPENID, text).text
    assert "/inspect/v/" in reply and "签名密钥" not in reply
    open_code(worker(INSPECTOR_OPENID), path_of(text))
    assert [(r.channel, r.inspector) for r in _rows(code_app)] == [("scan", "cq.inspector")]


def test_an_anonymous_scan_links_to_the_public_page_and_says_where_to_report(
        code_app: Flask, holders: list[DemoPerson]) -> None:
    reply = _chat(code_app).scan("o-passer-by", printed_text(code_app, holders[VALID])).text
    assert "http://localhost/v/" in reply and "/inspect/" not in reply
    assert "可向签发机关举报：" in reply and "签名密钥" not in reply and holders[VALID].name not in reply
    assert _rows(code_app) == []


def test_the_holder_sees_who_checked_and_the_back_office_lists_and_exports_in_scope(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    open_code(worker(INSPECTOR_OPENID), path_of(printed_text(code_app, holders[VALID])))
    holder = worker("o-holder-valid")
    holder.onboard(holders[VALID])
    mine = holder.get("/h5/my").get_data(as_text=True)
    assert "查验记录" in mine and "执法人员 cq.inspector" in mine and CHONGQING in mine
    listing = _admin(code_app).get("/admin/inspections").get_data(as_text=True)
    assert "cq.inspector" in listing and "有效" in listing
    lines = _csv(_admin(code_app, "cq.operator", CHONGQING, "operator"))
    assert lines[0].lstrip("\ufeff").startswith("时间,执法人员") and len(lines) == 2 and "cq.inspector" in lines[1]
    other = _admin(code_app, "sc.admin", SICHUAN)
    assert "cq.inspector" not in other.get("/admin/inspections").get_data(as_text=True)
    assert len(_csv(other)) == 1
    assert "inspections-total\">1<" in _admin(code_app, "cq.admin", CHONGQING).get("/admin/").get_data(as_text=True)


def test_a_disabled_inspector_is_anonymous_again(code_app: Flask, holders: list[DemoPerson], inspector: str,
                                                 worker: Callable[[str], Worker]) -> None:
    with code_app.extensions["db"].session() as session:
        from app.storage.models import Staff

        staff = session.scalar(select(Staff).where(Staff.username == inspector))
        assert staff is not None
        staff.active = False
    html = open_code(worker(INSPECTOR_OPENID), path_of(printed_text(code_app, holders[VALID]))).get_data(as_text=True)
    assert holders[VALID].name not in html and _rows(code_app) == []


def test_the_public_link_of_a_scan_comes_back_to_the_same_page_after_the_silent_sign_in(
        code_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    reply = _chat(code_app).scan("o-passer-by", printed_text(code_app, holders[VALID])).text
    link = re.search(r'href="http://localhost(/v/[^"]+)"', reply).group(1)  # type: ignore[union-attr]
    browser = worker("o-passer-by")
    page = open_code(browser, link)
    assert page.status_code == 200 and "证书真实有效" in page.get_data(as_text=True)
    assert browser.client.get(link).status_code == 200  # signed in now: no second trip through WeChat


def test_a_browser_that_keeps_no_cookie_ends_on_the_public_page_without_looping(
        code_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    browser = worker("o-no-cookies")
    browser.client = code_app.test_client(use_cookies=False)
    browser.client.environ_base["HTTP_USER_AGENT"] = WECHAT_UA
    page = open_code(browser, path_of(printed_text(code_app, holders[VALID])))
    assert page.status_code == 200 and "证书真实有效" in page.get_data(as_text=True)


def test_an_inspector_sees_only_photos_of_certificates_they_checked_today(
        code_app: Flask, holders: list[DemoPerson], inspector: str, worker: Callable[[str], Worker]) -> None:
    browser = worker(INSPECTOR_OPENID)
    html = open_code(browser, path_of(printed_text(code_app, holders[VALID]))).get_data(as_text=True)
    checked = re.search(r'id="holder-photo" src="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    with code_app.extensions["db"].session() as session:
        other = session.scalars(select(Certificate.public_id).where(Certificate.photo_id.is_not(None))
                                .order_by(Certificate.id.desc()).limit(1)).one()
    assert browser.client.get(checked).status_code == 200
    assert browser.client.get(f"/inspect/photo/{other}").status_code == 404
