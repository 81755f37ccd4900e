"""/inspect/offline over HTTP: no sign-in, its own narrow CSP, a worker whose scope covers it, the manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app.services.offline_verdict import page_texts
from app.web import inspect


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-in build output, so these tests need no `make js`."""
    for name, body in (("verifier.js", "console.log(1);"), ("zxing_reader.wasm", "\0asm"), ("sw.js", "// sw")):
        (tmp_path / name).write_text(body)
    monkeypatch.setattr(inspect, "DIST", tmp_path)
    return tmp_path


def test_the_page_needs_no_sign_in_and_only_it_may_compile_webassembly(client: FlaskClient, built: Path) -> None:
    response = client.get("/inspect/offline")
    assert response.status_code == 200 and "证书离线核验" in response.text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy
    assert "unsafe-eval" not in policy.replace("'wasm-unsafe-eval'", "")  # never eval of JavaScript text
    assert "default-src 'self'" in policy and "connect-src" not in policy  # fetches go to this server only
    other = client.get("/v/AAAA").headers["Content-Security-Policy"]
    assert "wasm" not in other


def test_the_page_carries_the_verdict_texts_and_the_key_and_list_urls(client: FlaskClient, built: Path) -> None:
    html = client.get("/inspect/offline").text
    texts = json.loads(re.search(r'id="offline-texts">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert texts == json.loads(json.dumps(page_texts()))
    assert 'data-jwks-url="/.well-known/jwks.json"' in html and 'data-list-url="/api/status-list"' in html


def test_the_service_worker_scope_covers_the_page_and_it_keeps_every_file(client: FlaskClient, built: Path) -> None:
    html = client.get("/inspect/offline").text
    worker_url = re.search(r'data-sw-url="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    scope = re.search(r'data-sw-scope="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert scope == inspect.PAGE and scope.startswith(worker_url.rsplit("/", 1)[0] + "/")  # max scope: its folder
    worker = client.get(worker_url)
    config = json.loads(worker.text.split("\n", 1)[0].removeprefix("self.ECERT_OFFLINE = ").rstrip(";"))
    linked = set(re.findall(r'(?:href|src)="(/(?:static|inspect)/[^"]+)"', html)) - {"/inspect/offline/icon-180.png"}
    assert linked <= set(config["shell"]) and config["page"] == inspect.PAGE
    assert all(client.get(url).status_code == 200 for url in config["shell"])
    (built / "verifier.js").write_text("console.log(22);")  # a new build is a new worker with new URLs
    newer = client.get(worker_url).text.split("\n", 1)[0].removeprefix("self.ECERT_OFFLINE = ").rstrip(";")
    assert json.loads(newer)["version"] != config["version"]


def test_the_manifest_makes_the_page_an_installable_app(client: FlaskClient, built: Path) -> None:
    manifest = client.get("/inspect/offline/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    document = manifest.get_json(force=True)
    assert document["start_url"] == document["scope"] == inspect.PAGE and document["display"] == "standalone"
    for icon in document["icons"]:
        assert client.get(icon["src"]).data.startswith(b"\x89PNG")


def test_built_files_are_served_with_their_types_and_nothing_else_is(client: FlaskClient, built: Path) -> None:
    wasm = client.get("/inspect/offline/assets/zxing_reader.wasm?v=1")
    assert wasm.mimetype == "application/wasm" and "immutable" in wasm.headers["Cache-Control"]
    assert client.get("/inspect/offline/assets/verifier.js").mimetype == "text/javascript"
    for path in ("/inspect/offline/assets/sw.js", "/inspect/offline/assets/..%2F..%2Fapp%2F__init__.py",
                 "/inspect/offline/icon-64.png"):
        assert client.get(path).status_code == 404


def test_before_make_js_the_page_says_how_to_build_it(client: FlaskClient, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect, "DIST", tmp_path / "missing")
    response = client.get("/inspect/offline")
    assert response.status_code == 503 and "make js" in response.text
    assert client.get("/inspect/sw.js").status_code == 404
