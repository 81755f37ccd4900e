"""The dashboard: verifications counted by every channel without personal data, cards by role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.clock import FixedClock
from app.services.seed import DemoPerson
from app.services.verification_stats import Tally
from app.storage.db import Database
from app.storage.models import ImportRun, ManualReviewRequest, VerificationCount
from tests.integration.review_fixtures import (
    import_holder,
    jpeg_bytes,
    make_staff,
    sign_in_worker,
    staff_login,
    submit_form,
)
from tests.integration.verify_fixtures import VALID, keyed_app, path_of, printed_text, showcase  # noqa: F401
from tests.wechat_helper import WeChatServer


def _tally(app: Flask) -> Tally:
    tally: Tally = app.extensions["verification_tally"]
    return tally


def _counts(app: Flask) -> set[tuple[str, str, str, int]]:
    _tally(app).flush()
    with app.extensions["db"].session() as session:
        return {(row.channel, row.verdict, row.source, row.count) for row in session.scalars(select(VerificationCount))}


def test_every_channel_counts_its_verdicts_and_only_the_referring_host(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:  # noqa: F811
    app, client = keyed_app, keyed_app.test_client()
    genuine = path_of(printed_text(app, showcase[VALID]))
    assert client.get(genuine).status_code == 200
    assert client.get(genuine, headers={"Referer": "https://fake.example.com/lookup?id=1"}).status_code == 200
    assert client.get("/v/" + "A" * 200, headers={"Referer": "https://fake.example.com/p?no=5001"}).status_code == 200
    client.post("/v/" + "A" * 200, data={"id_number": "11010519491231002X"})  # the ID check is not a new scan
    client.post("/api/verify", json={"text": "https://look-alike.example.net/v/abc"},
                headers={"Origin": "https://partner.example.org"})
    WeChatServer(client, app.config["SETTINGS"]).scan("o-inspector", "https://look-alike.example.net/v/abc")
    assert _counts(app) == {("page", "genuine", "", 2), ("page", "forged", "fake.example.com", 1),
                            ("api", "not_ours", "partner.example.org", 1), ("scan", "not_ours", "", 1)}


def test_counting_waits_for_the_timer_and_keeps_its_counts_when_the_database_fails(app: Flask, tmp_path: object,
                                                                                   clock: FixedClock) -> None:
    tally = Tally(app.extensions["db"], interval=None)
    tally.count("forged", "page", clock.today(), "fake.example.com")
    tally.count("bogus-outcome", "page", clock.today())  # not a verification: not counted
    real, tally.database = tally.database, Database("sqlite:///" + str(tmp_path) + "/empty.sqlite3")  # no tables
    assert tally.flush() == 0
    tally.database = real
    assert tally.flush() == 1 and tally.flush() == 0
    assert _counts(app) == {("page", "forged", "fake.example.com", 1)}


def test_a_flood_of_invented_referrers_is_filed_under_other(app: Flask, clock: FixedClock) -> None:
    tally = _tally(app)
    for n in range(205):
        tally.count("forged", "page", clock.today(), f"site{n}.example.com")
    counts = _counts(app)
    assert len(counts) == 201 and ("page", "forged", "其他", 5) in counts


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    make_staff(app, "city.admin", role="admin,reviewer,operator", authority="*")
    staff_login(client, "city.admin")
    return client


def test_the_dashboard_draws_verifications_and_names_where_forgeries_come_from(app: Flask, admin: FlaskClient,
                                                                               clock: FixedClock) -> None:
    tally = _tally(app)
    for _ in range(3):
        tally.count("genuine", "page", clock.today())
    tally.count("forged", "page", clock.today(), "fake.example.com")
    tally.count("not_ours", "scan", clock.today() - timedelta(days=1))
    tally.flush()
    page = admin.get("/admin/").get_data(as_text=True)
    chart = page.split('id="verify-chart"', 1)[1].split("</svg>", 1)[0]
    assert "11-28 真实 3" in chart and "11-28 伪造 1" in chart and "11-27 非本系统 1" in chart
    assert 'id="forged-total">1<' in page and 'id="genuine-total">3<' in page
    sources = page.split('id="sources"', 1)[1].split("</table>", 1)[0]
    assert "fake.example.com" in sources and "扫码查询" in sources


def test_the_dashboard_lists_recent_imports_and_review_deadlines(app: Flask, admin: FlaskClient,
                                                                 clock: FixedClock) -> None:
    with app.extensions["db"].session() as session:
        session.add(ImportRun(file_name="2026-11 考试合格.xlsx", file_sha256="ab" * 32, status="finished",
                              rows_done=120, accepted=100, updated=15, rejected=5))
    holder = import_holder(app)
    worker = app.test_client()
    sign_in_worker(worker, holder.openid)
    assert submit_form(worker, photos={"holding_id": jpeg_bytes()})[0] == 302
    with app.extensions["db"].session() as session:  # submitted on Friday 11-20: due five working days later
        session.execute(update(ManualReviewRequest).values(created_at=clock.now().replace(
            tzinfo=None, day=20, hour=1)))
    page = admin.get("/admin/").get_data(as_text=True)
    imports = page.split('id="card-imports"', 1)[1].split("</section>", 1)[0]
    assert "2026-11 考试合格.xlsx" in imports and ">100<" in imports and ">5<" in imports
    deadlines = page.split('id="card-review-deadlines"', 1)[1].split("</section>", 1)[0]
    assert 'id="overdue-count">1<' in deadlines and "2026-11-27" in deadlines and "已超期" in deadlines


@pytest.mark.parametrize(("role", "cards", "absent"), [
    ("reviewer", ["card-reviews", "card-review-deadlines", "card-verifications", "card-calendar"], ["card-imports"]),
    ("operator", ["card-imports", "card-verifications", "card-sources", "card-calendar"], ["card-reviews"]),
    ("inspector", ["card-verifications", "card-calendar"], ["card-reviews", "card-imports"]),
])
def test_each_role_sees_its_own_cards(app: Flask, client: FlaskClient, role: str, cards: list[str],
                                      absent: list[str]) -> None:
    make_staff(app, f"cq.{role}", role=role)
    staff_login(client, f"cq.{role}")
    page = client.get("/admin/").get_data(as_text=True)
    assert all(f'id="{card}"' in page for card in cards) and not any(f'id="{card}"' in page for card in absent)


def test_counts_hold_no_personal_data(keyed_app: Flask, showcase: list[DemoPerson]) -> None:  # noqa: F811
    holder = showcase[VALID]
    keyed_app.test_client().get("/v/" + "B" * 150,
                                headers={"Referer": f"https://x.example.com/?id={holder.id_number}&n={holder.name}"})
    keyed_app.test_client().post("/api/verify", json={"text": f"T{holder.id_number}", "name": holder.name})
    rows = _counts(keyed_app)  # the table has only day, channel, verdict class, host and count
    assert rows == {("page", "forged", "x.example.com", 1)}  # a bare number + name is a look-up, not a scan
