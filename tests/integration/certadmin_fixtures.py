"""Helpers for the certificate-administration and correction tests: staff browsers, forms, bound holders.

Import what a module uses explicitly, e.g.
`from tests.integration.certadmin_fixtures import staff_client, post_form`.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.config import Settings, WechatSettings, replace
from app.services import certificate_files
from app.services.registry import find_person
from app.services.seed import DemoPerson
from app.storage.models import AuditEntry, Certificate, Notification, WechatUser
from tests.integration.review_fixtures import CHONGQING, csrf_from, make_staff, staff_login

_HEADLINE = re.compile(r'id="verdict">([^<]+)<')


def with_fake_wechat(settings: Settings, wechat: WechatSettings) -> Settings:
    """Settings whose notices go to the loopback fake WeChat."""
    return replace(settings, wechat={"app_id": wechat.app_id, "app_secret": wechat.app_secret,
                                     "api_base_url": wechat.api_base_url, "timeout": 1.0})


def staff_client(app: Flask, username: str, role: str, authority: str = CHONGQING) -> FlaskClient:
    """A new browser with a new staff account signed in."""
    make_staff(app, username, role, authority)
    client = app.test_client()
    staff_login(client, username)
    return client


def post_form(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> TestResponse:
    """Open `page` (for its CSRF token) and post `data` to `action`, as a browser would."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def person_id_of(app: Flask, holder: DemoPerson) -> int:
    with app.extensions["db"].session() as session:
        person = find_person(session, app.extensions["pii"], holder.id_number)
        assert person is not None
        return person.id


def bind(app: Flask, person_id: int, openid: str) -> None:
    """The holder passed verification on this WeChat account (notices go here)."""
    now = app.extensions["clock"].now().replace(tzinfo=None)
    with app.extensions["db"].session() as session, session.begin():
        user = session.get(WechatUser, openid) or WechatUser(openid=openid, created_at=now)
        user.person_id = user.claimed_person_id = person_id
        user.verified_at, user.verified_method, user.bound_at = now, "face", now
        session.add(user)


def stored(app: Flask, public_id: str) -> Certificate:
    """The certificate version as stored now (detached)."""
    with app.extensions["db"].session() as session:
        cert = session.scalars(select(Certificate).where(Certificate.public_id == public_id)).one()
        session.expunge(cert)
        return cert


def audit_actions(app: Flask, subject: str) -> list[tuple[str, str, datetime]]:
    """(action, actor, at) of the audit entries about a subject, oldest first."""
    with app.extensions["db"].session() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.at)
                               .where(AuditEntry.subject == subject).order_by(AuditEntry.id))
        return [(action, actor, at) for action, actor, at in rows]


def notifications_to(app: Flask, openid: str) -> list[Notification]:
    with app.extensions["db"].session() as session:
        rows = list(session.scalars(select(Notification).where(Notification.openid == openid)
                                    .order_by(Notification.id)))
        session.expunge_all()
        return rows


def printed_qr(app: Flask, public_id: str) -> str:
    """The text of the certificate's printed QR code (an https URL of /V/)."""
    with app.app_context(), app.extensions["db"].session() as session:
        cert = session.scalars(select(Certificate).where(Certificate.public_id == public_id)).one()
        return certificate_files.printed_qr_text(certificate_files.signing_context(app), session,
                                                 app.extensions["pii"], cert)


def verify_page(app: Flask, public_id: str) -> tuple[str, str]:
    """(headline, whole page) of the /v/ page for the certificate's printed QR code."""
    text = printed_qr(app, public_id)
    path = "/" + text.split("://", 1)[1].split("/", 1)[1]
    html = app.test_client().get(path).get_data(as_text=True)
    match = _HEADLINE.search(html)
    assert match, html[:300]
    return match.group(1), html
