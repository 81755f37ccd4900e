"""App-wide concerns hold whichever blueprints are registered: error pages and CSRF."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app import create_app, web
from app.config import Settings
from app.integrations.kvstore import MemoryStore
from app.web import errors


def test_an_unknown_page_answers_in_chinese(client: FlaskClient) -> None:
    response = client.get("/nonexistent")
    assert response.status_code == 404
    assert "页面不存在" in response.text and "Not Found" not in response.text


def test_an_unknown_back_office_page_links_back_to_the_back_office(client: FlaskClient) -> None:
    response = client.get("/admin/no-such-screen")
    assert response.status_code == 404
    assert "页面不存在" in response.text and 'href="/admin/"' in response.text


def test_an_unknown_api_path_answers_json(client: FlaskClient) -> None:
    response = client.get("/api/no-such-call")
    assert response.status_code == 404 and response.json == {"error": 404, "message": errors.TEXTS[404].message}


def test_a_wrong_method_answers_in_chinese(client: FlaskClient) -> None:
    response = client.put("/h5/my")
    assert response.status_code == 405 and "操作方式不正确" in response.text


def test_csrf_and_headers_do_not_depend_on_the_back_office(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                         ) -> None:
    """Installed by create_app: without the admin blueprint a worker's form still needs its token."""
    every = web.blueprints
    monkeypatch.setattr(web, "blueprints", lambda: [bp for bp in every() if bp.name != "admin"])
    application = create_app(settings, store=MemoryStore())
    assert "admin" not in application.blueprints
    response = application.test_client().post("/h5/register", data={"name": "张三"})
    assert response.status_code == 400 and "页面已过期" in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    application.extensions["db"].engine.dispose()
