"""The simulator's plumbing: its openid signs in on the H5 pages, messages show as WeChat shows them
(field names, link) and survive a restart; and every site answers /favicon.ico with our icon."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from app.devtools.fake_wechat import SIGNED_IN_COOKIE, FakeWeChatState, create_fake_wechat_app
from app.services import notify


def test_opening_an_h5_page_from_the_simulator_signs_in_its_openid(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["h5_openid"] = "o-someone-else"
    opened = client.get("/dev/simulator/open", query_string={"openid": "o-sim-7", "next": "http://127.0.0.1:5000/h5/my"})
    assert opened.status_code == 302
    target = urlsplit(opened.headers["Location"])
    assert target.path == "/h5/my" and parse_qs(target.query) == {"dev": ["1"], "next": ["/h5/my"]}
    assert "fake_wechat_openid=o-sim-7" in opened.headers["Set-Cookie"]
    assert "Path=/dev/fake-wechat" in opened.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert "h5_openid" not in session  # signed out: the next page signs in as o-sim-7
    assert app.extensions["fake_wechat"].current_openid == "o-sim-7"


@pytest.mark.parametrize("query", [
    {"openid": "o-sim-7", "next": "/\\evil.example/x"},
    {"openid": "<script>", "next": "/h5/my"},
    {"openid": "o-sim-7", "next": ""},
])
def test_the_simulator_refuses_to_open_anything_but_a_local_page(client: FlaskClient, query: dict[str, str]) -> None:
    assert client.get("/dev/simulator/open", query_string=query).status_code == 400


def test_a_page_that_needs_no_sign_in_opens_directly_and_never_on_another_site(client: FlaskClient) -> None:
    opened = client.get("/dev/simulator/open", query_string={"openid": "o-sim-7", "next": "/s/abc"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/s/abc"
    elsewhere = client.get("/dev/simulator/open", query_string={"openid": "o-sim-7", "next": "//evil.example/s/x"})
    assert elsewhere.headers["Location"] == "/s/x"


def test_a_code_page_opens_through_the_silent_sign_in_that_spots_an_inspector(client: FlaskClient) -> None:
    for path in ("/v/abc", "/V/ABC"):
        opened = client.get("/dev/simulator/open", query_string={"openid": "o-sim-7", "next": path})
        assert opened.status_code == 302 and opened.headers["Location"] == "/inspect" + path


def test_the_fake_authorisation_page_signs_in_the_simulators_openid() -> None:
    state = FakeWeChatState(current_openid="o-global")
    client = create_fake_wechat_app(state).test_client()
    query = {"appid": state.app_id, "response_type": "code", "scope": "snsapi_base",
             "redirect_uri": "http://localhost/h5/oauth/callback", "state": "s"}
    client.set_cookie(SIGNED_IN_COOKIE, "o-simulator-42")
    code = parse_qs(urlsplit(client.get("/connect/oauth2/authorize", query_string=query).headers["Location"]).query)
    assert state.redeem_code(code["code"][0]) == ("o-simulator-42", "snsapi_base")
    client.delete_cookie(SIGNED_IN_COOKIE)  # without the simulator's cookie: the openid tests chose
    code = parse_qs(urlsplit(client.get("/connect/oauth2/authorize", query_string=query).headers["Location"]).query)
    assert state.redeem_code(code["code"][0]) == ("o-global", "snsapi_base")


def test_template_messages_are_listed_with_their_field_names(app: Flask, client: FlaskClient) -> None:
    state: FakeWeChatState = app.extensions["fake_wechat"]
    template_id = notify.template_ids(app.config["SETTINGS"])[notify.REMINDER]
    data = {"thing1": {"value": "低压电工作业"}, "phrase2": {"value": "即将到期"}}
    state.record("template", "o-sim-1", {"touser": "o-sim-1", "template_id": template_id,
                                         "url": "http://localhost/h5/my/cert/abc", "data": data})
    [message] = client.get("/dev/fake-wechat/dev-api/messages?openid=o-sim-1").get_json()["messages"]
    assert message["fields"] == [["证书名称", "低压电工作业"], ["提醒事项", "即将到期"]]
    assert message["payload"]["url"] == "http://localhost/h5/my/cert/abc"


def test_recorded_messages_and_the_menu_survive_a_restart(tmp_path: Path) -> None:
    saved = tmp_path / "dev" / "fake-wechat.json"
    before = FakeWeChatState(saved_to=saved)
    before.record("text", "o-sim-1", {"touser": "o-sim-1", "text": {"content": "你好"}})
    before.set_menu({"button": [{"type": "click", "name": "输入查询", "key": "QUERY"}]})
    after = FakeWeChatState(saved_to=saved)
    assert [(m.kind, m.openid, m.payload["text"]["content"]) for m in after.messages_for("o-sim-1")] == [
        ("text", "o-sim-1", "你好")]
    assert after.menu == before.menu


def test_an_unreadable_saved_state_starts_empty(tmp_path: Path) -> None:
    saved = tmp_path / "fake-wechat.json"
    saved.write_text("{not json", encoding="utf-8")
    assert FakeWeChatState(saved_to=saved).messages == []
    saved.write_text(json.dumps([1, 2]), encoding="utf-8")
    assert FakeWeChatState(saved_to=saved).messages == []


def test_tests_keep_the_fakes_in_memory(app: Flask) -> None:
    assert app.extensions["fake_wechat"].saved_to is None  # env "test": nothing written under var/


def test_every_site_has_our_icon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    icon = Image.open(io.BytesIO(response.data))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    assert icon.convert("RGB").getpixel((2, icon.height // 2)) == (7, 193, 96)  # the green tile


def test_the_development_server_keeps_the_fakes_state_in_dev_state_dir(tmp_path: Path) -> None:
    from app.config import Settings, replace
    from app.web.dev import _saved_state

    assert _saved_state(replace(Settings(), server={"dev_state_dir": str(tmp_path)})) == tmp_path / "fake-wechat.json"
    assert _saved_state(replace(Settings(), server={"dev_state_dir": ""})) is None
