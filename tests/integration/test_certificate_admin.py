"""Certificate administration in the back office: 暂扣 until a day, 解除暂扣, 撤销/注销 by two people,
corrections with history, and what the holder, /v/, the status list and the audit log see."""

# Fixtures are imported explicitly from their modules, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from app.clock import CHINA, FixedClock
from app.config import Settings, WechatSettings
from app.domain.keyring import from_jwks
from app.domain.qrtoken import ListedStatus, ListOutcome, status_entry, verify_status_list
from app.services import registry, status_list
from app.services.seed import DemoPerson
from app.storage.models import CertificateAction, CertificateChange, Person
from tests.integration.certadmin_fixtures import (
    audit_actions,
    bind,
    notifications_to,
    person_id_of,
    post_form,
    printed_qr,
    staff_client,
    stored,
    verify_page,
    with_fake_wechat,
)
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, wechat_settings  # noqa: F401
from tests.integration.review_fixtures import SICHUAN, sign_in_worker
from tests.integration.verify_fixtures import (  # noqa: F401
    SAFETY_MGMT,
    SUSPENDED,
    VALID,
    certificate_of,
    keyed_app,
    showcase,
)
from tests.wechat_helper import WeChatServer

OPENID = "o-holder-valid"
SUSPEND = {"action": "suspend", "until": "2027-03-01", "basis": "xcf-9-3", "reason": "违章作业，依法暂扣至2027年3月1日"}


@pytest.fixture
def settings(settings: Settings, wechat_settings: WechatSettings) -> Settings:
    """Notices go to the loopback fake WeChat."""
    return with_fake_wechat(settings, wechat_settings)


@pytest.fixture
def valid(keyed_app: Flask, showcase: list[DemoPerson]) -> str:
    """The public id of the valid showcase certificate; its holder is bound to OPENID."""
    bind(keyed_app, person_id_of(keyed_app, showcase[VALID]), OPENID)
    return certificate_of(keyed_app, showcase[VALID]).public_id


def _listed(app: Flask, public_id: str, now: datetime) -> ListedStatus | None:
    """What the served status list says about the certificate at `now`."""
    client = app.test_client()
    keys = from_jwks(client.get("/.well-known/jwks.json").get_json())
    result = verify_status_list(client.get("/api/status-list").data, keys, int(now.timestamp()))
    assert result.outcome == ListOutcome.VALID
    cert = stored(app, public_id)
    return result.lookup(cert.public_id, cert.version)


def test_a_suspension_reaches_v_the_status_list_and_the_holder_and_ends_by_itself(
        keyed_app: Flask, valid: str, fake_wechat: FakeWeChat, clock: FixedClock) -> None:
    assert _listed(keyed_app, valid, clock.now()) is None  # the list is now cached
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    response = post_form(operator, page, f"{page}/actions", SUSPEND)
    assert response.status_code == 302
    assert "已暂扣，2027-03-01起自动恢复，已通知持证人" in operator.get(page).get_data(as_text=True)

    headline, html = verify_page(keyed_app, valid)
    assert headline == "证书真实，但已暂扣" and "2027年3月1日起恢复" in html
    assert _listed(keyed_app, valid, clock.now()) == ListedStatus.SUSPENDED  # the cache was dropped
    [message] = fake_wechat.state.messages_for(OPENID)
    data = message.payload["data"]
    assert data["phrase2"]["value"] == "已暂扣" and data["thing4"]["value"].startswith("2027年3月1日起恢复")
    assert message.payload["url"].endswith(f"/h5/my/cert/{valid}")

    holder = keyed_app.test_client()
    sign_in_worker(holder, OPENID)
    mine = holder.get(f"/h5/my/cert/{valid}").get_data(as_text=True)
    assert "2027年3月1日起自动恢复" in mine and f"暂扣原因：{SUSPEND['reason']}" in mine  # the next step

    clock.moment = datetime(2027, 3, 1, 8, 0, tzinfo=CHINA)  # nobody acts
    assert verify_page(keyed_app, valid)[0] == "证书真实有效"
    with keyed_app.extensions["db"].session() as session:
        cert = stored(keyed_app, valid)
        assert status_list.listed_entries(session, date(2027, 3, 1)).get(
            status_entry(cert.public_id, cert.version)) is None
    assert "暂扣期间不得凭此证作业" not in holder.get(f"/h5/my/cert/{valid}").get_data(as_text=True)
    [(action, actor, _at)] = audit_actions(keyed_app, f"certificate:{valid}")
    assert (action, actor) == ("certificate.suspend", "staff:cq.operator")


def test_a_scan_in_the_official_account_shows_an_action_at_once(
        keyed_app: Flask, valid: str, settings: Settings) -> None:
    scanner = WeChatServer(keyed_app.test_client(), settings)
    text = printed_qr(keyed_app, valid)
    assert "证书真实有效" in scanner.scan("o-inspector", text).text
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    assert post_form(operator, page, f"{page}/actions", SUSPEND).status_code == 302
    reply = scanner.scan("o-inspector", text).text
    assert "证书真实，但已暂扣" in reply and "2027年3月1日起恢复" in reply


def test_a_suspension_can_be_lifted_early_and_the_holder_is_told_both_times(
        keyed_app: Flask, valid: str, fake_wechat: FakeWeChat) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    assert post_form(operator, page, f"{page}/actions", SUSPEND).status_code == 302
    lifted = post_form(operator, page, f"{page}/actions",
                       {"action": "unsuspend", "basis": "fy-decision", "reason": "复议决定撤销暂扣决定"})
    assert lifted.status_code == 302
    cert = stored(keyed_app, valid)
    assert (cert.admin_state, cert.suspended_until, cert.admin_reason) == (None, None, None)
    assert verify_page(keyed_app, valid)[0] == "证书真实有效"
    assert [m.payload["data"]["phrase2"]["value"] for m in fake_wechat.state.messages_for(OPENID)] == [
        "已暂扣", "已解除暂扣"]
    holder = keyed_app.test_client()
    sign_in_worker(holder, OPENID)
    mine = holder.get(f"/h5/my/cert/{valid}").get_data(as_text=True)  # where both notices link
    assert "复议决定撤销暂扣决定" in mine and SUSPEND["reason"] in mine and "暂扣期间不得凭此证作业" not in mine


@pytest.mark.parametrize(("change", "message"), [
    ({"until": "2026-11-28"}, "须晚于今天"),
    ({"until": "2031-12-01"}, "超过5年"),
    ({"until": "not-a-date"}, "请填写暂扣截止日期"),
    ({"basis": ""}, "请选择法律依据"),
    ({"basis": "30-30-3"}, "请选择法律依据"),  # a basis of 撤销, not of 暂扣
    ({"reason": "  "}, "请填写理由"),
    ({"reason": "理" * 201}, "不超过200字"),
])
def test_a_bad_suspension_is_refused_with_the_reason_and_nothing_changes(
        keyed_app: Flask, valid: str, change: dict[str, str], message: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    response = post_form(operator, page, f"{page}/actions", {**SUSPEND, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'id="form-suspend"' in html and "<details open id=\"form-suspend\">" in html.replace("  ", " ")
    assert stored(keyed_app, valid).admin_state is None
    assert notifications_to(keyed_app, OPENID) == []


def test_revocation_needs_a_second_admin_and_another_authority_never_sees_it(
        keyed_app: Flask, valid: str, fake_wechat: FakeWeChat) -> None:
    boss = staff_client(keyed_app, "cq.boss", "operator,admin")
    page = f"/admin/certificates/{valid}"
    proposed = post_form(boss, page, f"{page}/actions",
                         {"action": "revoke", "basis": "30-30-3", "reason": "对2026年11月的事故负有责任"})
    assert proposed.status_code == 302
    assert verify_page(keyed_app, valid)[0] == "证书真实有效"  # nothing happens before approval
    with keyed_app.extensions["db"].session() as session:
        action_id = session.scalar(select(CertificateAction.id))
    proposal = f"/admin/proposals/{action_id}"
    own = post_form(boss, proposal, f"{proposal}/decide", {"decision": "approve", "confirm": "yes"})
    assert own.status_code == 400 and "不能审批自己提出的申请" in own.get_data(as_text=True)
    again = post_form(boss, page, f"{page}/actions", {"action": "cancel", "basis": "30-31-2", "reason": "重复"})
    assert again.status_code == 400 and "待审批" in again.get_data(as_text=True)

    sichuan = staff_client(keyed_app, "sc.admin", "admin,operator", SICHUAN)
    assert f"#{action_id}" not in sichuan.get("/admin/proposals").get_data(as_text=True)
    assert sichuan.get(proposal).status_code == 404
    assert post_form(sichuan, "/admin/proposals", f"{proposal}/decide",
                     {"decision": "approve", "confirm": "yes"}).status_code == 404

    second = staff_client(keyed_app, "cq.admin", "admin")
    assert f"#{action_id}" in second.get("/admin/proposals").get_data(as_text=True)
    unconfirmed = post_form(second, proposal, f"{proposal}/decide", {"decision": "approve"})
    assert unconfirmed.status_code == 400 and stored(keyed_app, valid).admin_state is None
    assert post_form(second, proposal, f"{proposal}/decide",
                     {"decision": "approve", "confirm": "yes"}).status_code == 302
    assert stored(keyed_app, valid).admin_state == "revoked"
    assert verify_page(keyed_app, valid)[0] == "证书真实，但已撤销"
    assert [m.payload["data"]["phrase2"]["value"] for m in fake_wechat.state.messages_for(OPENID)] == ["已撤销"]
    trail = [(action, actor) for action, actor, _ in audit_actions(keyed_app, f"certificate:{valid}")]
    assert trail == [("certificate.revoke.propose", "staff:cq.boss"), ("certificate.revoke.approve", "staff:cq.admin")]


def test_a_rejected_proposal_needs_a_reason_and_changes_nothing(keyed_app: Flask, valid: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    post_form(operator, page, f"{page}/actions", {"action": "cancel", "basis": "30-31-2", "reason": "本人申请注销"})
    with keyed_app.extensions["db"].session() as session:
        action_id = session.scalar(select(CertificateAction.id))
    admin = staff_client(keyed_app, "cq.admin", "admin")
    proposal = f"/admin/proposals/{action_id}"
    assert post_form(admin, proposal, f"{proposal}/decide", {"decision": "reject"}).status_code == 400
    assert post_form(admin, proposal, f"{proposal}/decide",
                     {"decision": "reject", "note": "未收到本人书面申请"}).status_code == 302
    assert stored(keyed_app, valid).admin_state is None
    assert operator.post(f"{proposal}/decide").status_code in (400, 403)  # no token; not an admin anyway
    assert "已驳回" in operator.get(proposal).get_data(as_text=True)


def test_an_operator_corrects_the_holders_name_and_the_history_keeps_the_old_one(
        keyed_app: Flask, showcase: list[DemoPerson], valid: str, clock: FixedClock) -> None:
    holder = showcase[VALID]
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    response = post_form(operator, page, f"{page}/correct",
                         {"field": "name", "value": "陈艳建", "basis": "pipl-8",
                          "reason": "核对考试档案，姓名录入有误"})
    assert response.status_code == 302
    html = operator.get(page).get_data(as_text=True)
    assert f"姓名：<del>{holder.name}</del> → 陈艳建" in html and "业务员更正（cq.operator）" in html
    with keyed_app.extensions["db"].session() as session:
        person = session.get(Person, person_id_of(keyed_app, holder))
        assert person is not None and person.name == "陈艳建"
        # Both of the holder's certificates show the name: both keep the old value.
        assert session.scalar(select(CertificateChange.id).where(CertificateChange.previous.contains(holder.name))
                              .limit(1)) is not None
        changed = {c for (c,) in session.execute(select(CertificateChange.certificate_id))}
        assert len(changed) == 2
        pii = keyed_app.extensions["pii"]
        assert registry.find_by_id_and_name(session, pii, holder.id_number, "陈艳建", clock.today())
        assert not registry.find_by_id_and_name(session, pii, holder.id_number, holder.name, clock.today())
    [notice] = notifications_to(keyed_app, OPENID)
    assert notice.kind == "certificate_notice" and "已更正" not in notice.payload  # the payload keeps the action
    assert '"action": "correct"' in notice.payload


@pytest.mark.parametrize(("form", "message"), [
    ({"field": "employer", "value": "别的公司"}, "请选择需要更正的项目"),  # not printed on special operations
    ({"field": "id_number", "value": "110105194912310020"}, "请选择需要更正的项目"),
    ({"field": "valid_until", "value": "2019-01-01"}, "不能晚于"),
    ({"field": "gender", "value": "?"}, "男”或“女"),
])
def test_a_bad_correction_is_refused(keyed_app: Flask, valid: str, form: dict[str, str], message: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    page = f"/admin/certificates/{valid}"
    response = post_form(operator, page, f"{page}/correct", {**form, "basis": "pipl-8", "reason": "核对"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with keyed_app.extensions["db"].session() as session:
        assert session.scalar(select(CertificateChange.id)) is None


def test_actions_need_a_csrf_token_and_the_operator_role(keyed_app: Flask, valid: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    assert operator.post(f"/admin/certificates/{valid}/actions", data=SUSPEND).status_code == 400
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    page = f"/admin/certificates/{valid}"
    assert reviewer.get(page).status_code == 200 and 'id="form-suspend"' not in reviewer.get(page).get_data(
        as_text=True)
    assert post_form(reviewer, page, f"{page}/actions", SUSPEND).status_code == 403
    assert post_form(reviewer, page, f"{page}/correct", {"field": "name", "value": "x"}).status_code == 403
    assert stored(keyed_app, valid).admin_state is None


def test_another_authority_finds_nothing_and_every_url_is_a_404(
        keyed_app: Flask, showcase: list[DemoPerson], valid: str) -> None:
    sichuan = staff_client(keyed_app, "sc.operator", "operator,reviewer", SICHUAN)
    found = sichuan.get("/admin/certificates", query_string={"q": showcase[VALID].id_number})
    assert found.status_code == 200 and valid not in found.get_data(as_text=True)
    for path in (f"/admin/certificates/{valid}", f"/admin/certificates/{valid}/photo", "/admin/certificates/x" * 3):
        assert sichuan.get(path).status_code == 404
    page = "/admin/certificates"
    assert post_form(sichuan, page, f"/admin/certificates/{valid}/actions", SUSPEND).status_code == 404
    assert post_form(sichuan, page, "/admin/reveal", {"what": "id_number", "reason": "核对", "back": page,
                                                      "subject": f"person:{person_id_of(keyed_app, showcase[VALID])}"},
                     ).status_code == 302
    assert audit_actions(keyed_app, f"person:{person_id_of(keyed_app, showcase[VALID])}") == []
    assert stored(keyed_app, valid).admin_state is None


def test_search_finds_by_each_kind_of_number_and_shows_masked_results(
        keyed_app: Flask, showcase: list[DemoPerson], valid: str) -> None:
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    holder, safety = showcase[VALID], certificate_of(keyed_app, showcase[SAFETY_MGMT])
    queries = [holder.id_number, "T" + holder.id_number, f"{holder.name} {holder.id_number}", valid,
               safety.public_id, (safety.employer or "")[:4]]
    for query in queries:
        html = reviewer.get("/admin/certificates", query_string={"q": query}).get_data(as_text=True)
        assert 'id="results"' in html, query
        assert holder.id_number not in html.replace(f'value="{query}"', "")  # only what was typed in the box
    wrong_name = reviewer.get("/admin/certificates", query_string={"q": f"王五 {holder.id_number}"})
    assert 'id="results"' not in wrong_name.get_data(as_text=True)
    bad = reviewer.get("/admin/certificates", query_string={"q": "110105194912310021"}).get_data(as_text=True)
    assert 'role="alert"' in bad  # a wrong check character is explained, not silently empty


def test_the_full_id_number_and_the_photo_are_shown_only_after_a_reason_and_each_look_is_audited(
        keyed_app: Flask, showcase: list[DemoPerson], valid: str) -> None:
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    holder, page = showcase[VALID], f"/admin/certificates/{valid}"
    person = f"person:{person_id_of(keyed_app, holder)}"
    assert holder.id_number not in reviewer.get(page).get_data(as_text=True)
    refused = post_form(reviewer, page, "/admin/reveal", {"what": "id_number", "subject": person, "back": page})
    assert refused.status_code == 302 and holder.id_number not in reviewer.get(page).get_data(as_text=True)
    post_form(reviewer, page, "/admin/reveal",
              {"what": "id_number", "subject": person, "back": page, "reason": "持证人来电核对身份"})
    assert f'id="full-id">{holder.id_number}<' in reviewer.get(page).get_data(as_text=True)
    [(action, actor, _)] = audit_actions(keyed_app, person)
    assert (action, actor) == ("pii.reveal_id_number", "staff:cq.reviewer")

    assert reviewer.get(f"{page}/photo").status_code == 404
    post_form(reviewer, page, "/admin/reveal",
              {"what": "photo", "subject": f"certificate:{valid}", "back": page, "reason": "核对照片"})
    photo = reviewer.get(f"{page}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "查看持证人照片" in reviewer.get(page).get_data(as_text=True)  # the audit log on the page
    other = staff_client(keyed_app, "cq.other", "reviewer")
    assert other.get(f"{page}/photo").status_code == 404  # a grant belongs to one session
    inspector = staff_client(keyed_app, "cq.inspector", "inspector")
    assert post_form(inspector, "/admin/", "/admin/reveal", {"what": "id_number", "subject": person, "back": page,
                                                            "reason": "看看"}).status_code == 403


def test_the_detail_page_shows_status_on_a_chosen_day_and_the_forms_that_apply(
        keyed_app: Flask, showcase: list[DemoPerson], valid: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    html = operator.get(f"/admin/certificates/{valid}", query_string={"on": "2000-01-01"}).get_data(as_text=True)
    assert "未发布" in html.split('id="status-on"')[1][:200]
    assert 'id="form-suspend"' in html and 'id="form-unsuspend"' not in html
    assert operator.get(f"/admin/certificates/{valid}", query_string={"on": "garbage"}).status_code == 200
    suspended = certificate_of(keyed_app, showcase[SUSPENDED]).public_id
    html = operator.get(f"/admin/certificates/{suspended}").get_data(as_text=True)
    assert 'id="form-unsuspend"' in html and 'id="form-suspend"' not in html


def test_the_detail_page_counts_genuine_verifications_of_the_certificate_by_channel(
        keyed_app: Flask, valid: str) -> None:
    operator = staff_client(keyed_app, "cq.operator", "operator")
    assert "尚无人核验过此证书的二维码" in operator.get(f"/admin/certificates/{valid}").get_data(as_text=True)
    for _ in range(2):
        assert verify_page(keyed_app, valid)[0] == "证书真实有效"
    keyed_app.test_client().post("/api/verify", json={"text": printed_qr(keyed_app, valid)})
    keyed_app.test_client().get("/V/" + "B" * 150)  # a forgery names no certificate
    keyed_app.extensions["verification_tally"].flush()
    html = operator.get(f"/admin/certificates/{valid}").get_data(as_text=True)
    usage = html.split('id="verifications"')[1].split("</p>")[0]
    assert "核验为真 3 次" in usage and "核验页面（/v/） 2 次" in usage and "核验接口 1 次" in usage
