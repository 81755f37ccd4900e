"""信息更正: a verified holder reports a wrong field with a photo; a reviewer of the certificate's authority
decides within 5 working days; approving corrects the record through the operators' path."""

# Fixtures are imported explicitly from their modules, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.clock import CHINA, FixedClock
from app.config import Settings, WechatSettings, replace
from app.services.corrections import PHOTO_CONTEXT
from app.services.seed import DemoPerson
from app.storage.models import CertificateChange, CorrectionRequest, Person
from tests.integration.certadmin_fixtures import (
    audit_actions,
    bind,
    person_id_of,
    post_form,
    staff_client,
    with_fake_wechat,
)
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, wechat_settings  # noqa: F401
from tests.integration.review_fixtures import (
    SECRETS_IN_METADATA,
    SICHUAN,
    csrf_from,
    jpeg_bytes,
    jpeg_with_metadata,
    sign_in_worker,
    staff_login,
)
from tests.integration.verify_fixtures import REISSUED, VALID, certificate_of, keyed_app, showcase  # noqa: F401

OPENID = "o-holder-correction"
MAX_PHOTO = 1024 * 1024


@pytest.fixture
def settings(settings: Settings, wechat_settings: WechatSettings) -> Settings:
    """Notices go to the fake WeChat; photos up to 1 MB (the body limit is that plus the form)."""
    return replace(with_fake_wechat(settings, wechat_settings), review={"max_photo_bytes": MAX_PHOTO})


@pytest.fixture
def holder(keyed_app: Flask, showcase: list[DemoPerson]) -> tuple[FlaskClient, str]:
    """The valid showcase holder, bound and signed in on a phone; and the certificate's public id."""
    bind(keyed_app, person_id_of(keyed_app, showcase[VALID]), OPENID)
    phone = keyed_app.test_client()
    sign_in_worker(phone, OPENID)
    return phone, certificate_of(keyed_app, showcase[VALID]).public_id


@dataclass(frozen=True)
class Filed:
    """A pending request, a reviewer of its authority signed in, and the request's back-office page."""

    row_id: int
    reviewer: FlaskClient
    page: str


@pytest.fixture
def filed(keyed_app: Flask, holder: tuple[FlaskClient, str]) -> Filed:
    phone, public_id = holder
    assert _file(phone, public_id, jpeg_bytes()).status_code == 302
    [row] = _requests(keyed_app)
    return Filed(row.id, staff_client(keyed_app, "cq.reviewer", "reviewer"), f"/admin/corrections/{row.id}")


def _file(phone: FlaskClient, public_id: str, photo: bytes | None = None, **fields: str) -> TestResponse:
    """Post the correction form as a phone would."""
    form = f"/h5/my/cert/{public_id}/correction"
    data: dict[str, object] = {"csrf_token": csrf_from(phone.get(form).get_data(as_text=True)), "field": "name",
                               "value": "陈艳建", "note": "身份证上是“艳”字", **fields}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "evidence.jpg")
    return phone.post(form, data=data, content_type="multipart/form-data")


def _requests(app: Flask) -> list[CorrectionRequest]:
    with app.extensions["db"].session() as session:
        rows = list(session.scalars(select(CorrectionRequest).order_by(CorrectionRequest.id)))
        session.expunge_all()
        return rows


def test_a_holder_files_a_correction_and_a_reviewer_approves_it(
        keyed_app: Flask, showcase: list[DemoPerson], holder: tuple[FlaskClient, str], fake_wechat: FakeWeChat,
) -> None:
    phone, public_id = holder
    assert "信息有误？申请更正" in phone.get(f"/h5/my/cert/{public_id}").get_data(as_text=True)
    filed = _file(phone, public_id, jpeg_with_metadata())
    assert filed.status_code == 302
    status = phone.get(filed.headers["Location"]).get_data(as_text=True)
    assert "已提交，待处理" in status and 'id="correction-deadline">2026-12-04 前<' in status
    [row] = _requests(keyed_app)
    stored_photo = keyed_app.extensions["pii"].decrypt(row.photo_enc, PHOTO_CONTEXT)
    assert not any(secret in stored_photo for secret in SECRETS_IN_METADATA)  # re-encoded, no metadata

    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    queue = reviewer.get("/admin/corrections").get_data(as_text=True)
    assert f"#{row.id}" in queue and "剩余5个工作日" in queue  # submitted on a Saturday: Mon-Fri to go
    page = f"/admin/corrections/{row.id}"
    assert reviewer.get(f"{page}/photo").mimetype == "image/jpeg"
    assert post_form(reviewer, page, f"{page}/decide", {"decision": "approve"}).status_code == 302

    old_name = showcase[VALID].name
    with keyed_app.extensions["db"].session() as session:
        person = session.get(Person, person_id_of(keyed_app, showcase[VALID]))
        assert person is not None and person.name == "陈艳建"
        sources = set(session.scalars(select(CertificateChange.source)))
        assert sources == {f"correction:{row.id} staff:cq.reviewer"}
    operator = staff_client(keyed_app, "cq.operator", "operator")
    history = operator.get(f"/admin/certificates/{public_id}").get_data(as_text=True)
    assert f"姓名：<del>{old_name}</del> → 陈艳建" in history and f"持证人申请更正 #{row.id}" in history
    assert "陈艳建" in phone.get(f"/h5/my/cert/{public_id}").get_data(as_text=True)
    assert "已更正" in phone.get(f"/h5/corrections/{row.id}").get_data(as_text=True)
    [message] = fake_wechat.state.messages_for(OPENID)
    data = message.payload["data"]
    assert (data["thing1"]["value"], data["phrase2"]["value"]) == ("信息更正：姓名", "已通过")
    assert message.payload["url"].endswith(f"/h5/corrections/{row.id}")
    trail = [(a, who) for a, who, _ in audit_actions(keyed_app, f"correction:{row.id}")]
    assert trail == [("correction.submit", f"openid:{OPENID}"), ("correction.approved", "staff:cq.reviewer")]
    assert [a for a, _, _ in audit_actions(keyed_app, f"certificate:{public_id}")] == ["certificate.correct"]


def test_a_rejection_needs_a_reason_which_the_holder_reads_in_full(
        keyed_app: Flask, holder: tuple[FlaskClient, str], filed: Filed, fake_wechat: FakeWeChat) -> None:
    phone, reviewer, page = holder[0], filed.reviewer, filed.page
    assert post_form(reviewer, page, f"{page}/decide", {"decision": "reject"}).status_code == 400
    reason = "证明材料照片模糊，看不清身份证上的姓名，请在光线充足处重新拍摄后再次提交"
    assert post_form(reviewer, page, f"{page}/decide", {"decision": "reject", "reason": reason}).status_code == 302
    assert f'id="correction-reason">{reason}<' in phone.get(f"/h5/corrections/{filed.row_id}").get_data(as_text=True)
    [message] = fake_wechat.state.messages_for(OPENID)
    assert message.payload["data"]["thing4"]["value"] == reason[:19] + "…"
    with keyed_app.extensions["db"].session() as session:
        assert session.scalar(select(CertificateChange.id)) is None


def test_only_reviewers_of_the_certificates_authority_see_and_decide(
        keyed_app: Flask, holder: tuple[FlaskClient, str]) -> None:
    phone, public_id = holder
    _file(phone, public_id, jpeg_bytes())
    [row] = _requests(keyed_app)
    page = f"/admin/corrections/{row.id}"
    sichuan = staff_client(keyed_app, "sc.reviewer", "reviewer", SICHUAN)
    assert f"#{row.id}" not in sichuan.get("/admin/corrections").get_data(as_text=True)
    for path in (page, f"{page}/photo"):
        assert sichuan.get(path).status_code == 404
    assert post_form(sichuan, "/admin/corrections", f"{page}/decide", {"decision": "approve"}).status_code == 404
    operator = staff_client(keyed_app, "cq.operator", "operator")
    assert operator.get(page).status_code == 403
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    assert reviewer.post(f"{page}/decide", data={"decision": "approve"}).status_code == 400  # no CSRF token
    assert _requests(keyed_app)[0].state == "pending"


def test_only_the_bound_holder_can_ask_and_only_once_at_a_time(
        keyed_app: Flask, showcase: list[DemoPerson], holder: tuple[FlaskClient, str]) -> None:
    phone, public_id = holder
    stranger = keyed_app.test_client()
    sign_in_worker(stranger, "o-stranger")
    assert stranger.get(f"/h5/my/cert/{public_id}/correction").status_code == 404
    other = certificate_of(keyed_app, showcase[VALID + 2]).public_id  # another holder's certificate
    assert phone.get(f"/h5/my/cert/{other}/correction").status_code == 404
    assert _file(phone, public_id, jpeg_bytes()).status_code == 302
    second = _file(phone, public_id, jpeg_bytes(), field="gender", value="女")
    assert second.status_code == 400 and "已有一个待处理的更正申请" in second.get_data(as_text=True)
    assert len(_requests(keyed_app)) == 1


def test_a_superseded_version_is_not_corrected(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    reissued = showcase[REISSUED]
    bind(keyed_app, person_id_of(keyed_app, reissued), "o-reissued")
    phone = keyed_app.test_client()
    sign_in_worker(phone, "o-reissued")
    old = certificate_of(keyed_app, reissued, version=1).public_id
    response = _file(phone, old, jpeg_bytes(), field="gender", value="女")  # refused before the value is read
    assert response.status_code == 400 and "请在现行版本上申请更正" in response.get_data(as_text=True)
    assert _requests(keyed_app) == []


@pytest.mark.parametrize(("photo", "fields", "status", "message"), [
    (None, {}, 400, "请上传证明材料"),
    (b"GIF89a not really", {}, 400, "不是有效的 JPEG 或 PNG"),
    (b"\xff" * (MAX_PHOTO + 10), {}, 400, "图片超过1MB"),
    (b"\xff" * (MAX_PHOTO + 300 * 1024), {}, 413, "上传内容过大"),  # past the body limit: not even read
    ("jpeg", {"field": "employer", "value": "别的公司"}, 400, "请选择需要更正的项目"),
    ("jpeg", {"value": ""}, 400, "请填写正确的姓名"),
    ("jpeg", {"field": "valid_until", "value": "2019-01-01"}, 400, "不能晚于"),
    ("jpeg", {"note": "说" * 201}, 400, "补充说明请不超过200字"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(
        keyed_app: Flask, holder: tuple[FlaskClient, str], photo: bytes | str | None, fields: dict[str, str],
        status: int, message: str) -> None:
    phone, public_id = holder
    response = _file(phone, public_id, jpeg_bytes() if photo == "jpeg" else photo, **fields)  # type: ignore[arg-type]
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert _requests(keyed_app) == []


def test_a_flood_of_submissions_is_capped_per_day(keyed_app: Flask, holder: tuple[FlaskClient, str]) -> None:
    phone, public_id = holder
    codes = [_file(phone, public_id, None).status_code for _ in range(11)]
    assert codes == [400] * 10 + [429]


def test_an_overdue_request_is_marked_and_counted_on_the_dashboard(
        keyed_app: Flask, holder: tuple[FlaskClient, str], clock: FixedClock) -> None:
    phone, public_id = holder
    _file(phone, public_id, jpeg_bytes())
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    assert 'id="corrections-overdue">0<' in reviewer.get("/admin/").get_data(as_text=True)
    clock.moment = datetime(2026, 12, 4, 17, 0, tzinfo=CHINA)  # the deadline itself
    staff_login(reviewer, "cq.reviewer")  # days later: the session timed out
    assert "今日到期" in reviewer.get("/admin/corrections").get_data(as_text=True)
    clock.moment = datetime(2026, 12, 7, 9, 0, tzinfo=CHINA)
    staff_login(reviewer, "cq.reviewer")
    queue = reviewer.get("/admin/corrections").get_data(as_text=True)
    assert 'id="overdue-count">已超期 1 件<' in queue and "row-overdue" in queue
    assert 'id="corrections-overdue">1<' in reviewer.get("/admin/").get_data(as_text=True)


def test_evidence_photos_are_purged_after_the_retention_period(
        keyed_app: Flask, filed: Filed, clock: FixedClock) -> None:
    reviewer, page = filed.reviewer, filed.page
    post_form(reviewer, page, f"{page}/decide", {"decision": "reject", "reason": "材料不符"})
    runner = keyed_app.test_cli_runner()
    assert "evidence photos of 0" in runner.invoke(args=["review", "purge"]).output
    clock.moment = datetime(2027, 3, 1, 9, 0, tzinfo=CHINA)
    assert "evidence photos of 1" in runner.invoke(args=["review", "purge"]).output
    staff_login(reviewer, "cq.reviewer")
    assert _requests(keyed_app)[0].photo_enc is None and reviewer.get(f"{page}/photo").status_code == 404
    assert "照片已按保存期限删除" in reviewer.get(page).get_data(as_text=True)
