"""Holders bound to a WeChat account with one certificate of chosen dates (reminders, shared copies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.storage.models import Certificate, RenewalReview, WechatUser
from tests.integration.review_fixtures import import_holder


@dataclass(frozen=True)
class BoundHolder:
    """A holder, the openid bound to them and their certificate's public id."""

    person_id: int
    name: str
    id_number: str
    openid: str
    public_id: str


def bound_holder(app: Flask, seed: int, bound: bool = True, reminders: bool = True,
                 reviews: tuple[tuple[date, date | None], ...] = (), **certificate: Any) -> BoundHolder:
    """A holder with one special-operations certificate (columns in `certificate` override the
    defaults), registered from `o-holder-<seed>` and, unless `bound` is false, verified and bound."""
    holder = import_holder(app, seed=seed, openid=f"o-holder-{seed:04d}")
    with app.extensions["db"].session() as session:
        cert = session.scalars(select(Certificate).where(Certificate.person_id == holder.person_id)).one()
        for column, value in certificate.items():
            setattr(cert, column, value)
        session.add_all(RenewalReview(certificate_id=cert.id, due_date=due, done_date=done) for due, done in reviews)
        user = session.get(WechatUser, holder.openid)
        assert user is not None
        user.reminders = reminders
        if bound:
            user.person_id, user.verified_at, user.verified_method = holder.person_id, datetime(2026, 1, 5), "face"
        public_id = cert.public_id
    return BoundHolder(holder.person_id, holder.name, holder.id_number, holder.openid, public_id)
