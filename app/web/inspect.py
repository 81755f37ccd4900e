"""The offline verifier for inspectors: /inspect/offline, a page that keeps working in flight mode.

Served here: the page, its web app manifest and icons, its service worker and the JavaScript and
WebAssembly built by `make js` (js/ into the git-ignored build/offline). The keys and the signed
status list the page stores come from the verify blueprint (/.well-known/jwks.json,
/api/status-list). No sign-in: the page shows only what the scanned token itself carries, and it
sends nothing it scans anywhere. How it works and its limits: docs/offline.md.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, send_file, url_for
from PIL import Image, ImageDraw

from app.services.offline_verdict import page_texts
from app.web.security import WASM_SCRIPTS, content_security_policy

bp = Blueprint("inspect", __name__)

DIST = Path(__file__).resolve().parents[2] / "build" / "offline"  # written by `make js`
PAGE = "/inspect/offline"
BUILT = {"verifier.js": "text/javascript", "zxing_reader.wasm": "application/wasm"}
STATIC = ("verify.css", "offline.css")
ICON_SIZES = (192, 512)
ASSET_MAX_AGE = 365 * 86400  # asset URLs carry a content hash (?v=), so a new build is a new URL
NOT_BUILT = "离线核验页面尚未构建：请在服务器上运行 make js（见 docs/offline.md）。"


@lru_cache(maxsize=32)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    """First 12 hex digits of a file's SHA-256 (cached per modification time and size)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _version(path: Path) -> str:
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def _is_built() -> bool:
    return all((DIST / name).is_file() for name in (*BUILT, "sw.js"))


def _urls() -> dict[str, str]:
    """Every file the page needs, by name, with its content hash in the URL."""
    static = Path(current_app.static_folder or "")
    urls = {name: url_for("inspect.asset", name=name, v=_version(DIST / name)) for name in BUILT}
    urls |= {name: url_for("static", filename=name, v=_version(static / name)) for name in STATIC}
    urls |= {f"icon{size}": url_for("inspect.icon", size=size) for size in ICON_SIZES}
    urls["manifest"] = url_for("inspect.manifest")
    return urls


@bp.get(PAGE)
def page() -> Response:
    """The offline verifier page (no sign-in; the service worker keeps it for flight mode)."""
    if not _is_built():
        return Response(NOT_BUILT, status=503, mimetype="text/plain")
    html = render_template("inspect/offline.html", texts=page_texts(), urls=_urls(), page=PAGE)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = content_security_policy(extra_scripts=WASM_SCRIPTS)
    response.headers["Cache-Control"] = "no-cache"  # the service worker fetches it fresh when online
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get(f"{PAGE}/assets/<name>")
def asset(name: str) -> Response:
    """A built file (the bundle, the QR decoder's WebAssembly)."""
    if name not in BUILT or not (DIST / name).is_file():
        abort(404)
    response = send_file(DIST / name, mimetype=BUILT[name], max_age=ASSET_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
    return response


@bp.get("/inspect/sw.js")
def service_worker() -> Response:
    """The service worker, told which files to keep; it lives one level up so its scope covers the page."""
    if not _is_built():
        abort(404)
    shell = sorted(_urls().values())
    version = hashlib.sha256("\n".join([*shell, _version(DIST / "sw.js")]).encode()).hexdigest()[:12]
    config = json.dumps({"version": version, "page": PAGE, "shell": shell})
    body = f"self.ECERT_OFFLINE = {config};\n" + (DIST / "sw.js").read_text(encoding="utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # browsers check for a new worker on every visit
    return response


@bp.get(f"{PAGE}/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest, so the page can be added to the home screen and open full-screen."""
    icons = [{"src": url_for("inspect.icon", size=size), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in ICON_SIZES]
    document = {"name": "电子证照离线核验", "short_name": "离线核验", "lang": "zh-CN", "start_url": PAGE,
                "scope": PAGE, "display": "standalone", "background_color": "#ededed",
                "theme_color": "#07c160", "icons": icons}
    return Response(json.dumps(document, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get(f"{PAGE}/icon-<int:size>.png")
def icon(size: int) -> Response:
    """The home-screen icon: a white tick on the verdict green."""
    if size not in (*ICON_SIZES, 180):
        abort(404)
    response = Response(_icon_png(size), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@lru_cache(maxsize=len(ICON_SIZES) + 1)
def _icon_png(size: int) -> bytes:
    image = Image.new("RGB", (size, size), "#07c160")
    tick = [(size * 0.26, size * 0.52), (size * 0.43, size * 0.69), (size * 0.75, size * 0.35)]
    ImageDraw.Draw(image).line(tick, fill="white", width=max(2, size // 11), joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
