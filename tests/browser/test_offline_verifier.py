"""/inspect/offline in a phone-sized Chromium: opened once online, then verifying in flight mode.

Every vector of tests/offline_vectors.py is fed to the page as an image file, and the page must reach
the verdict the Python verifier reaches for the same token (and, for the showcase certificates, the
headline the online /v/ page shows).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.services.offline_verdict import OfflineVerdict, headline
from app.services.verdict_texts import mask_name
from app.web import inspect
from tests.browser.offline_site import OfflineSite, build_site, require_built

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}, "timezone_id": "Asia/Shanghai"}
READY = "body[data-ready='1'][data-worker-ready='1']"
UPDATE_CHECKS = {"/.well-known/jwks.json", "/api/status-list"}  # what the page fetches itself when online
# Where the offline headline may differ from the online page, and why.
ONLINE_ONLY = {
    "showcase: superseded version 1": "证书真实，但已被",  # online names the current version (第2版)
}
NO_WEBCRYPTO_ED25519 = """
(() => {
  const subtle = globalThis.crypto && crypto.subtle;
  if (!subtle) return;
  const isEd = (alg) => (typeof alg === "string" ? alg : alg && alg.name) === "Ed25519";
  for (const name of ["importKey", "verify"]) {
    const original = subtle[name].bind(subtle);
    subtle[name] = (...args) => (args.some(isEd) ? Promise.reject(new DOMException("no", "NotSupportedError"))
                                                  : original(...args));
  }
})();
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineSite]:
    require_built()
    yield from build_site(tmp_path_factory.mktemp("offline"))


def _open(browser: Any, site: OfflineSite, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(**PHONE, **options)
    page = context.new_page()
    page.goto(site.page_url)
    page.wait_for_selector(READY)
    return context, page


def scan(page: Any, image: Path) -> tuple[str, str]:
    """Feed one image through the file input; (outcome key, headline) or ("no_qr", note)."""
    page.evaluate("document.getElementById('verdict').removeAttribute('data-outcome')")
    page.set_input_files("#file", str(image))
    page.wait_for_selector("#verdict[data-outcome], #scan-note[data-error]", state="attached")
    outcome = page.get_attribute("#verdict", "data-outcome")
    if not outcome:
        return "no_qr", page.inner_text("#scan-note")
    return outcome, page.inner_text("#verdict")


def scan_all(page: Any, site: OfflineSite, names: list[str]) -> dict[str, tuple[str, str]]:
    return {name: scan(page, site.images[name]) for name in names}


def _mismatches(site: OfflineSite, got: dict[str, tuple[str, str]]) -> dict[str, Any]:
    want = {name: (site.expected[name].value, headline(site.expected[name])) for name in got}
    return {name: {"page": got[name], "python": want[name]} for name in got if got[name] != want[name]}


def test_in_flight_mode_every_vector_gets_the_python_verifiers_verdict(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    assert page.inner_text("#list-status") == "状态列表更新于 刚刚"
    context.set_offline(True)
    site.log.down = True  # and the server answers nothing: only the phone's copies can serve the page
    try:
        page.wait_for_function("() => !navigator.onLine")  # the emulation has reached the page (loaded CI)
        seen = len(site.log.seen)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        got = scan_all(page, site, list(site.images))
        assert _mismatches(site, got) == {}
        assert page.inner_text("#list-status") == "状态列表更新于 刚刚"  # the stored list, whatever the checks met
        page.screenshot(path=str(_shot("offline-forged.png")))
        reached = site.log.seen[seen:]
    finally:
        site.log.down = False
        context.close()
    # Nothing the page runs on came from the server: at most the update checks, all refused. The page's own
    # check of the keys and list is among them when Chromium's offline flag reaches the reloaded document
    # after its first script (seen on a loaded CI machine); a phone on a dead signal does the same.
    assert set(reached) <= {inspect.PAGE, "/inspect/sw.js", *UPDATE_CHECKS}, reached
    assert {verdict for verdict in site.expected.values()} >= set(OfflineVerdict) - {OfflineVerdict.UNCHECKED}


def test_the_showcase_verdicts_match_the_online_page(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    names = list(site.server_headlines)
    got = scan_all(page, site, names)
    for name in names:
        prefix = ONLINE_ONLY.get(name)
        online = site.server_headlines[name]
        assert got[name][1].startswith(prefix) if prefix else got[name][1] == online, (name, got[name], online)
    assert scan(page, site.images["showcase: valid"])[1] == "证书真实有效"
    box = page.locator("#verdict").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844  # the verdict is in the first screen
    page.screenshot(path=str(_shot("offline-valid.png")), full_page=True)
    context.close()


def test_scanning_sends_nothing_anywhere(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    outside: list[str] = []
    context.on("request", lambda request: outside.append(request.url)
               if not request.url.startswith(site.live.url) else None)
    seen = len(site.log.seen)
    names = ["showcase: valid", "showcase: revoked", "unit: flipped signature bit", "genuine, base32 form"]
    got = scan_all(page, site, names)
    assert _mismatches(site, got) == {}
    assert site.log.seen[seen:] == [] and outside == []  # not to us, not to anyone
    context.close()


def test_a_status_list_past_its_time_to_live_is_flagged_as_maybe_stale(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    context.set_offline(True)
    page.clock.set_fixed_time(datetime.now() + timedelta(hours=7))
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.inner_text("#list-status") == "状态列表更新于 7小时前"
    assert page.is_visible("#list-stale") and "证书状态可能已变化" in page.inner_text("#list-stale")
    assert scan(page, site.images["showcase: revoked"])[0] == "revoked"  # the stale list still counts
    assert "证书状态可能已变化" in page.inner_text("#verdict-warning")  # beside the verdict, in the first screen
    page.screenshot(path=str(_shot("offline-stale.png")))
    context.close()


def test_a_tampered_status_list_is_refused_and_the_stored_one_kept(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    site.log.tamper_list = True
    try:
        page.click("#refresh")
        page.wait_for_selector("#update-note:has-text('签名无效')")
    finally:
        site.log.tamper_list = False
    assert page.inner_text("#update-note") == "下载的状态列表签名无效，已忽略，仍使用本机保存的版本。"
    assert scan(page, site.images["showcase: suspended"])[0] == "suspended"  # the stored list still answers
    context.close()


def test_an_update_the_network_never_answers_gives_up_and_keeps_the_stored_copies(
        browser: Any, site: OfflineSite) -> None:
    context = browser.new_context(**PHONE)
    context.clock.install()  # the page's own timers run on a clock the test moves
    page = context.new_page()
    page.goto(site.page_url)
    page.wait_for_selector(READY)
    site.log.stalled, site.log.release = {"/api/status-list"}, threading.Event()
    try:
        page.click("#refresh")
        page.wait_for_selector("#update-note:has-text('正在联网更新')")
        assert page.is_disabled("#refresh")
        page.clock.fast_forward(29_000)
        assert page.inner_text("#update-note") == "正在联网更新…"  # a slow download is still waited for
        page.clock.fast_forward(2_000)
        page.wait_for_selector("#refresh:enabled")
        assert page.inner_text("#update-note") == "无法联网更新，继续使用本机保存的数据。"
        assert page.inner_text("#list-status") == "状态列表更新于 刚刚"
        assert scan(page, site.images["showcase: suspended"])[0] == "suspended"  # the stored list answers
    finally:
        site.log.stalled = set()
        site.log.release.set()
        context.close()


def test_without_webcrypto_ed25519_the_noble_library_reaches_the_same_verdicts(
        browser: Any, site: OfflineSite) -> None:
    context = browser.new_context(**PHONE)
    context.add_init_script(NO_WEBCRYPTO_ED25519)
    page = context.new_page()
    page.goto(site.page_url)
    page.wait_for_selector(READY)
    names = ["showcase: valid", "showcase: suspended", "unit: flipped signature bit", "server: tampered payload",
             "signed by a revoked key", "revoked key, bad signature", "live code, expired"]
    got = scan_all(page, site, names)
    assert _mismatches(site, got) == {}
    assert page.get_attribute("#tech", "data-engine") == "noble"
    context.close()


def test_the_page_shows_the_masked_holder_and_the_certificate_fields(browser: Any, site: OfflineSite) -> None:
    context, page = _open(browser, site)
    scan(page, site.images["genuine (synthetic certificate)"])
    fields = page.inner_text("#fields")
    assert mask_name("欧阳晓明") in fields and "欧阳晓明" not in fields
    assert "1101**********002X" in fields and "2032-05-31" in fields and "第2版" in fields
    assert page.get_attribute("#tech", "data-engine") == "webcrypto"
    context.close()


def _shot(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / name


def _camera_feed(image: Path, target: Path, width: int = 640, height: int = 480) -> Path:
    """A Y4M video of the QR image held up to the camera (Chromium's fake camera plays it in a loop)."""
    from PIL import Image

    frame = Image.new("RGB", (width, height), (200, 200, 195))
    qr = Image.open(image).convert("RGB")
    qr.thumbnail((height - 40, height - 40))
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    planes = [luma.tobytes()] + [p.resize((width // 2, height // 2)).tobytes() for p in (blue, red)]
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    target.write_bytes(header + (b"FRAME\n" + b"".join(planes)) * 5)
    return target


def test_the_camera_reads_a_code_held_up_to_it(browser: Any, site: OfflineSite, tmp_path: Path) -> None:
    from tests.browser.conftest import CHROMIUM

    feed = _camera_feed(site.images["showcase: revoked"], tmp_path / "camera.y4m")
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={feed}"])
    try:
        context, page = _open(camera_browser, site, permissions=["camera"])
        page.click("#camera-button")
        page.wait_for_selector("#verdict[data-outcome], #scan-note[data-error]", state="attached")
        assert page.get_attribute("#verdict", "data-outcome") == "revoked"
        assert page.is_hidden("#camera")  # the camera is switched off once a code is read
        context.close()
    finally:
        camera_browser.close()
