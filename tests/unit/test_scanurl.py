"""Scanned URLs are read as a phone's browser reads them (WHATWG URL rules), not as urlsplit does."""

from __future__ import annotations

import pytest

from app.domain.scanurl import ScannedUrl, parse

OURS = "cx.yjj.cq.gov.cn"


@pytest.mark.parametrize(
    ("text", "host", "userinfo", "segments"),
    [
        (f"https://{OURS}/V/2KCE", OURS, False, ("V", "2KCE")),
        (f"HTTPS://{OURS.upper()}/V/2KCE", OURS, False, ("V", "2KCE")),
        (f"https://evil.com\\@{OURS}/v/abc", "evil.com", False, ("@" + OURS, "v", "abc")),
        (f"https://x@{OURS}/v/abc", OURS, True, ("v", "abc")),
        (f"https://user:pw@{OURS}/v/abc", OURS, True, ("v", "abc")),
        (f"https://{OURS}@evil.com/v/abc", "evil.com", True, ("v", "abc")),
        (f"https:\\\\{OURS}\\v\\abc", OURS, False, ("v", "abc")),
        (f"https:///{OURS}/v/abc", OURS, False, ("v", "abc")),
        (f"  https://{OURS}/v/a\tb\nc  ", OURS, False, ("v", "abc")),
        (f"https://{OURS}:443/x/../v/abc?from=scan#top", OURS, False, ("v", "abc")),
        (f"https://{OURS}/v/./%2e%2E/V/abc/", OURS, False, ("V", "abc", "")),
        (f"https://{OURS}%2Eevil.com/v/abc", OURS + ".evil.com", False, ("v", "abc")),
        (f"https://evil.com#@{OURS}/v/abc", "evil.com", False, ()),
        (f"https://evil.com?@{OURS}/v/abc", "evil.com", False, ()),
    ],
)
def test_the_host_is_the_one_a_browser_would_open(
    text: str, host: str, userinfo: bool, segments: tuple[str, ...]
) -> None:
    url = parse(text)
    assert url is not None
    assert (url.host, url.has_userinfo, url.segments) == (host, userinfo, segments)


def test_ports_are_kept_unless_default() -> None:
    assert parse(f"https://{OURS}:8443/v/a") == ScannedUrl("https", OURS, 8443, ("v", "a"), False)
    assert parse(f"http://{OURS}:80/v/a") == ScannedUrl("http", OURS, None, ("v", "a"), False)


@pytest.mark.parametrize(
    "text", ["", "no scheme here", f"https://{OURS}:99999/v/a", f"https://{OURS}:8x/v/a", "https:///", "http://@/v/a"]
)
def test_urls_a_browser_refuses_have_no_parse(text: str) -> None:
    assert parse(text) is None


def test_other_schemes_are_not_web_pages() -> None:
    url = parse(f"weixin://{OURS}/v/abc")
    assert url is not None and not url.is_web and url.host == ""
