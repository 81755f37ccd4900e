"""TencentFaceVerifier (real tencentcloud SDK) against the fake FaceID server on loopback."""

# Fixtures are imported explicitly from fakes_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from app.config import FaceIdSettings
from app.devtools.fake_faceid import FakeFaceIdState, Outcome, create_fake_faceid_blueprint, liveness_failure
from app.devtools.loopback import serve_in_thread
from app.integrations.faceid import (
    FaceIdRejected,
    FaceIdUnavailable,
    FaceResult,
    FaceSession,
    TencentFaceVerifier,
    parse_text,
)
from tests.integration.fakes_fixtures import (  # noqa: F401
    FACEID_SECRET_ID,
    FACEID_SECRET_KEY,
    FakeFaceId,
    faceid_settings,
    fake_faceid,
)

ID_NUMBER = "11010519491231002X"
NAME = "张三"
RETURN_URL = "http://127.0.0.1:5000/h5/face/return?attempt=7"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def verifier(faceid_settings: FaceIdSettings) -> TencentFaceVerifier:
    return TencentFaceVerifier(faceid_settings)


def _start(verifier: TencentFaceVerifier) -> FaceSession:
    return verifier.start(ID_NUMBER, NAME, RETURN_URL, extra="nonce-123")


def _visit(session: FaceSession) -> requests.Response:
    """The user's browser opens the liveness page (a scripted outcome completes at once)."""
    return requests.get(session.url, allow_redirects=False, timeout=2)


def _verify(verifier: TencentFaceVerifier) -> FaceResult:
    session = _start(verifier)
    _visit(session)
    return verifier.result(session.biz_token)


def test_a_pass_returns_the_registered_identity_and_similarity(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId) -> None:
    fake_faceid.state.script(ID_NUMBER, "pass")
    session = _start(verifier)
    assert session.url.startswith(fake_faceid.server.url + "/liveness?token=")
    back = _visit(session)
    assert back.status_code == 302
    assert back.headers["Location"].startswith(RETURN_URL + "&BizToken=")
    result = verifier.result(session.biz_token)
    assert result == FaceResult(0, "成功", ID_NUMBER, NAME, 0, 0, 92.5, "nonce-123")
    assert result.face_matched(70.0)


@pytest.mark.parametrize(("outcome", "err_code", "sim"), [
    ("liveness_failed", 1001, None),
    ("spoof_suspected", 1002, None),
    (liveness_failure(1008), 1008, None),
    ("low_similarity", 2016, 45.1),
    ("name_id_mismatch", 2006, None),
    ("no_identity", 2005, None),
    ("no_photo", 2008, None),
    ("too_many_today", 2018, None),
    ("expired", 15, None),
    ("not_finished", 17, None),
])
def test_each_failure_class_is_reported_with_its_code(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId, outcome: str | Outcome,
        err_code: int, sim: float | None) -> None:
    fake_faceid.state.script(ID_NUMBER, outcome)
    result = _verify(verifier)
    assert result.err_code == err_code
    assert result.sim == sim
    assert not result.face_matched(70.0)


def test_a_substituted_identity_is_visible_in_the_result(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId) -> None:
    fake_faceid.state.script(ID_NUMBER, "substituted")
    result = _verify(verifier)
    assert result.err_code == 0
    assert (result.id_card, result.name) != (ID_NUMBER, NAME)


def test_the_liveness_page_offers_buttons_and_records_the_choice(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId) -> None:
    session = _start(verifier)
    page = _visit(session)
    assert "活体失败" in page.text and "通过" in page.text
    token = parse_qs(urlsplit(session.url).query)["token"][0]
    back = requests.post(session.url, data={"token": token, "outcome": "low_similarity"},
                         allow_redirects=False, timeout=2)
    assert back.status_code == 302
    assert verifier.result(session.biz_token).err_code == 2016


def test_an_unfinished_token_expires_after_7200_seconds(faceid_settings: FaceIdSettings) -> None:
    clock = Clock()
    state = FakeFaceIdState(secret_id=FACEID_SECRET_ID, secret_key=FACEID_SECRET_KEY, clock=clock)
    app = Flask(__name__)
    app.register_blueprint(create_fake_faceid_blueprint(state))
    with serve_in_thread(app) as server:
        settings = dataclasses.replace(faceid_settings, endpoint=f"127.0.0.1:{server.port}")
        verifier = TencentFaceVerifier(settings)
        session = _start(verifier)
        clock.now += 7201
        assert _visit(session).status_code == 200  # the page still shows, but completing fails
        token = parse_qs(urlsplit(session.url).query)["token"][0]
        done = requests.post(session.url, data={"token": token, "outcome": "pass"}, timeout=2)
        assert done.status_code == 410
        assert verifier.result(session.biz_token).err_code == 15
        clock.now += 3 * 24 * 3600
        with pytest.raises(FaceIdRejected) as caught:
            verifier.result(session.biz_token)
        assert caught.value.code == "InvalidParameterValue.BizTokenExpired"


def test_an_unknown_biz_token_is_rejected(verifier: TencentFaceVerifier) -> None:
    with pytest.raises(FaceIdRejected) as caught:
        verifier.result("not-a-token")
    assert caught.value.code == "InvalidParameterValue.BizTokenIllegal"


def test_an_api_error_is_rejected_with_its_code(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId) -> None:
    fake_faceid.state.fail_next("DetectAuth", ("InvalidParameterValue.BizTokenExpired", "BizToken过期"))
    with pytest.raises(FaceIdRejected) as caught:
        _start(verifier)
    assert caught.value.code == "InvalidParameterValue.BizTokenExpired"


@pytest.mark.parametrize(("field", "code"), [("secret_key", "AuthFailure.SignatureFailure"),
                                              ("secret_id", "AuthFailure.SecretIdNotFound")])
def test_wrong_credentials_are_refused_by_the_signature_check(
        faceid_settings: FaceIdSettings, field: str, code: str) -> None:
    settings = dataclasses.replace(faceid_settings, **{field: "wrong"})
    with pytest.raises(FaceIdRejected) as caught:
        _start(TencentFaceVerifier(settings))
    assert caught.value.code == code


def test_a_slow_result_is_unavailable(verifier: TencentFaceVerifier, fake_faceid: FakeFaceId) -> None:
    fake_faceid.state.script(ID_NUMBER, "pass", delay=2.5)
    session = _start(verifier)
    _visit(session)
    with pytest.raises(FaceIdUnavailable):
        verifier.result(session.biz_token)


@pytest.mark.parametrize("fault", ["timeout", "500"])
def test_timeouts_and_server_errors_are_unavailable(
        verifier: TencentFaceVerifier, fake_faceid: FakeFaceId, fault: str) -> None:
    fake_faceid.state.fail_next("DetectAuth", fault)
    with pytest.raises(FaceIdUnavailable):
        _start(verifier)


def test_an_unreachable_endpoint_is_unavailable(faceid_settings: FaceIdSettings) -> None:
    settings = dataclasses.replace(faceid_settings, endpoint="127.0.0.1:9")
    with pytest.raises(FaceIdUnavailable):
        _start(TencentFaceVerifier(settings))


def test_an_endpoint_with_a_path_prefix_works(faceid_settings: FaceIdSettings) -> None:
    """As in the dev app: the fake mounted at /dev/fake-faceid, endpoint "host:port/dev/fake-faceid"."""
    state = FakeFaceIdState(secret_id=FACEID_SECRET_ID, secret_key=FACEID_SECRET_KEY)
    app = Flask(__name__)
    app.register_blueprint(create_fake_faceid_blueprint(state), url_prefix="/dev/fake-faceid")
    with serve_in_thread(app) as server:
        settings = dataclasses.replace(faceid_settings, endpoint=f"127.0.0.1:{server.port}/dev/fake-faceid")
        verifier = TencentFaceVerifier(settings)
        state.script(ID_NUMBER, "pass")
        session = _start(verifier)
        assert session.url.startswith(f"{server.url}/dev/fake-faceid/liveness?token=")
        assert _visit(session).status_code == 302
        assert verifier.result(session.biz_token).err_code == 0


def test_the_fake_answers_exactly_application_json_with_a_request_id(fake_faceid: FakeFaceId) -> None:
    res = requests.post(fake_faceid.server.url + "/", data="{}", timeout=2,
                        headers={"Content-Type": "application/json", "X-TC-Action": "DetectAuth"})
    assert res.status_code == 200
    assert res.headers["Content-Type"] == "application/json"
    body = res.json()["Response"]
    assert body["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    assert body["RequestId"]


def test_null_and_odd_fields_are_kept_as_none() -> None:
    class Text:
        ErrCode = "0"
        ErrMsg = None
        IdCard = None
        Name = "张三"
        LiveStatus = None
        Comparestatus = "2016"
        Sim = ""
        Extra = None

    assert parse_text(Text()) == FaceResult(0, None, None, "张三", None, 2016, None, None)
    assert parse_text(None) == FaceResult(None, None, None, None, None, None, None, None)
