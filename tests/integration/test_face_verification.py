"""Face verification through the real Tencent SDK against the loopback fake FaceID."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app.clock import FixedClock
from app.config import replace
from app.devtools.fake_faceid import Outcome, liveness_failure
from app.services.face_verification import MESSAGES
from app.services.seed import DemoPerson
from app.storage.models import FaceAttempt, WechatUser
from tests.integration.fakes_fixtures import FakeFaceId
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    local,
    wechat_settings,
    worker,
)

REVIEW_LINK = 'href="/h5/review/new"'


def _user(app: Flask, openid: str) -> WechatUser | None:
    with app.extensions["db"].session() as db:
        return db.get(WechatUser, openid)


def _attempts(app: Flask) -> list[FaceAttempt]:
    with app.extensions["db"].session() as db:
        return list(db.scalars(select(FaceAttempt).order_by(FaceAttempt.id)))


@pytest.fixture
def registered(holders: list[DemoPerson], worker: Callable[[str], Worker]) -> Worker:
    """A signed-in WeChat user registered as the first demo holder."""
    alice = worker("o-alice")
    alice.sign_in()
    assert alice.register(holders[0]).status_code == 302
    return alice


def test_a_pass_binds_the_holder_and_opens_my_certificates(h5_app: Flask, registered: Worker,
                                                           fake_faceid: FakeFaceId) -> None:
    started = registered.start_face()
    assert started.status_code == 302
    sent = next(iter(fake_faceid.state.attempts.values()))
    assert sent.redirect_url == "http://localhost/h5/face/return"
    assert sent.extra and len(sent.extra) >= 24
    page = registered.get(registered.liveness(started, "pass"))
    assert "人脸核身通过" in page.text
    user = _user(h5_app, "o-alice")
    assert user is not None and user.person_id == user.claimed_person_id
    assert user.verified_method == "face" and user.verified_at is not None and user.bound_at is not None
    [attempt] = _attempts(h5_app)
    assert attempt.state == "passed" and attempt.sim == 92.5 and attempt.nonce == sent.extra
    assert "我的证书" in registered.get("/h5/my").text


@pytest.mark.parametrize(("outcome", "kind"), [
    ("liveness_failed", "liveness"),
    ("spoof_suspected", "liveness"),
    (liveness_failure(1008), "liveness"),
    ("low_similarity", "low_similarity"),
    ("name_id_mismatch", "name_id_mismatch"),
    ("no_identity", "no_photo"),
    ("no_photo", "no_photo"),
    (Outcome(2007, "库中无此用户照片", 0, 2007), "no_photo"),
    (Outcome(2009, "库中无此用户照片", 0, 2009), "no_photo"),
    ("expired", "expired"),
    ("too_many_today", "too_many"),
    ("substituted", "identity_mismatch"),
    (Outcome(0, "成功", 0, 0, None), "low_similarity"),
    (Outcome(0, "成功", 0, 0, "69.9"), "low_similarity"),
    (Outcome(301, "身份证号与传入不一致"), "identity_mismatch"),
])
def test_each_failure_class_gets_its_message_and_the_manual_review_offer(
        h5_app: Flask, registered: Worker, fake_faceid: FakeFaceId, holders: list[DemoPerson],
        outcome: str | Outcome, kind: str) -> None:
    fake_faceid.state.script(holders[0].id_number, outcome)
    started = registered.start_face()
    tencent = requests.get(started.headers["Location"], allow_redirects=False, timeout=5)  # scripted: done
    follow = registered.get(local(tencent.headers["Location"]))
    assert MESSAGES[kind] in follow.text
    assert REVIEW_LINK in follow.text
    user = _user(h5_app, "o-alice")
    assert user is not None and user.person_id is None and user.verified_at is None
    assert _attempts(h5_app)[0].state == "failed"


def test_coming_back_before_finishing_is_not_finished(h5_app: Flask, registered: Worker) -> None:
    registered.start_face()
    page = registered.get("/h5/face/return")
    assert MESSAGES["not_finished"] in page.text and REVIEW_LINK in page.text
    assert _user(h5_app, "o-alice").verified_at is None  # type: ignore[union-attr]


def test_a_faceid_timeout_gives_a_clear_message_and_the_result_can_be_fetched_again(
        h5_app: Flask, registered: Worker, fake_faceid: FakeFaceId) -> None:
    back = registered.liveness(registered.start_face(), "pass")
    fake_faceid.state.fail_next("GetDetectInfoEnhanced", "timeout")
    page = registered.get(back)
    assert page.status_code == 503
    assert MESSAGES["unavailable"] in page.text and REVIEW_LINK in page.text
    assert _user(h5_app, "o-alice").verified_at is None  # type: ignore[union-attr]
    assert _attempts(h5_app)[0].state == "started"  # nothing half-done: the token is still unused
    assert "人脸核身通过" in registered.get("/h5/face/return").text


@pytest.mark.parametrize("fault", ["timeout", "500", ("InternalError", "内部错误"),
                                   ("AuthFailure.SignatureFailure", "签名错误")])
def test_faceid_failing_at_the_start_records_nothing_and_offers_manual_review(
        h5_app: Flask, registered: Worker, fake_faceid: FakeFaceId, fault: str | tuple[str, str]) -> None:
    fake_faceid.state.fail_next("DetectAuth", fault)
    page = registered.start_face()
    assert page.status_code == 503
    assert "人脸核身服务" in page.text and REVIEW_LINK in page.text
    assert _attempts(h5_app) == []


def test_a_biztoken_is_used_once(h5_app: Flask, registered: Worker, fake_faceid: FakeFaceId,
                                 holders: list[DemoPerson]) -> None:
    fake_faceid.state.script(holders[0].id_number, "low_similarity")
    started = registered.start_face()
    attempt_id = _attempts(h5_app)[0].id
    tencent = requests.get(started.headers["Location"], allow_redirects=False, timeout=5)
    registered.get(local(tencent.headers["Location"]))
    fake_faceid.state.script(holders[0].id_number, "pass")  # even if the result changed later
    with registered.client.session_transaction() as session:
        session["h5_face_attempt"] = attempt_id  # replaying the old session cookie
    replay = registered.get("/h5/face/return")
    assert MESSAGES["used"] in replay.text
    assert _user(h5_app, "o-alice").verified_at is None  # type: ignore[union-attr]


def test_a_forged_redirect_with_someone_elses_biztoken_does_not_verify(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    victim, attacker = worker("o-victim"), worker("o-attacker")
    victim.sign_in()
    victim.register(holders[8])
    victim_back = victim.liveness(victim.start_face(), "pass")  # the victim passed; token in the URL
    attacker.sign_in()
    attacker.register(holders[0])
    attacker.start_face()
    forged = attacker.get(victim_back)  # the victim's BizToken in the attacker's return URL
    assert "人脸核身通过" not in forged.text
    assert _user(h5_app, "o-attacker").verified_at is None  # type: ignore[union-attr]
    assert "人脸核身通过" in victim.get(victim_back).text  # the victim's own token was not spent


def test_a_return_without_any_attempt_is_refused(registered: Worker) -> None:
    page = registered.get("/h5/face/return?BizToken=ANY-TOKEN")
    assert MESSAGES["no_attempt"] in page.text


def test_an_attempt_older_than_7200_seconds_has_expired(
        h5_app: Flask, registered: Worker, clock: FixedClock) -> None:
    back = registered.liveness(registered.start_face(), "pass")
    clock.moment += timedelta(seconds=7201)
    page = registered.get(back)
    assert MESSAGES["expired"] in page.text
    assert _user(h5_app, "o-alice").verified_at is None  # type: ignore[union-attr]


def test_attempts_per_holder_per_day_are_capped(h5_app: Flask, registered: Worker, fake_faceid: FakeFaceId,
                                                clock: FixedClock) -> None:
    cap = h5_app.config["SETTINGS"].faceid.daily_attempts
    for _ in range(cap):
        registered.get(registered.liveness(registered.start_face(), "liveness_failed"))
    calls = fake_faceid.state.calls.get("DetectAuth", 0)
    refused = registered.start_face()
    assert refused.status_code == 429
    assert MESSAGES["daily_cap"].format(cap=cap) in refused.text and REVIEW_LINK in refused.text
    assert fake_faceid.state.calls.get("DetectAuth", 0) == calls  # no charge for the refused one
    clock.moment += timedelta(days=1)
    assert registered.start_face().status_code == 302


def test_another_account_cannot_use_up_the_holders_own_face_checks(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    cap = h5_app.config["SETTINGS"].faceid.daily_attempts
    intruder, holder = worker("o-intruder"), worker("o-holder")
    intruder.sign_in()
    intruder.register(holders[0])  # knows the name and ID number
    for _ in range(cap):
        intruder.get(intruder.liveness(intruder.start_face(), "liveness_failed"))
    assert intruder.start_face().status_code == 429
    holder.sign_in()
    holder.register(holders[0])
    assert "人脸核身通过" in holder.verify_face("pass").text


def test_all_accounts_together_stop_at_the_holders_cap(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    h5_app.config["SETTINGS"] = replace(h5_app.config["SETTINGS"],
                                        faceid={"daily_attempts": 1, "daily_attempts_per_holder": 2})
    for openid in ("o-one", "o-two"):
        someone = worker(openid)
        someone.sign_in()
        someone.register(holders[0])
        assert someone.start_face().status_code == 302
    third = worker("o-three")
    third.sign_in()
    third.register(holders[0])
    refused = third.start_face()
    assert refused.status_code == 429
    assert MESSAGES["holder_cap"] in refused.text and REVIEW_LINK in refused.text
    with h5_app.extensions["db"].session() as db:
        assert db.scalar(select(func.count()).select_from(FaceAttempt)) == 2


def test_reloading_the_return_page_after_passing_shows_the_binding(registered: Worker) -> None:
    assert "人脸核身通过" in registered.verify_face("pass").text
    again = registered.get("/h5/face/return")
    assert "已完成身份核验" in again.text and MESSAGES["bound"] in again.text
    assert "核身未通过" not in again.text and MESSAGES["no_attempt"] not in again.text


def test_only_this_users_attempt_counts_on_return(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice, bob = worker("o-alice"), worker("o-bob")
    alice.sign_in()
    alice.register(holders[0])
    alice.liveness(alice.start_face(), "pass")
    alice_attempt = _attempts(h5_app)[0].id
    bob.sign_in()
    bob.register(holders[8])
    with bob.client.session_transaction() as session:
        session["h5_face_attempt"] = alice_attempt  # a cookie can be edited only with the secret key,
    page = bob.get("/h5/face/return")              # but the row's openid is checked anyway
    assert MESSAGES["no_attempt"] in page.text
    assert _user(h5_app, "o-bob").verified_at is None  # type: ignore[union-attr]
