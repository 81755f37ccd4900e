"""Where a scanned URL really leads: the parts of the WHATWG URL Standard that decide the host.

A phone opens a scanned code in a browser, and browsers parse URLs by the WHATWG rules, not by
RFC 3986 (Python's urlsplit). The two disagree exactly where look-alike codes hide:

- In a special scheme (http, https, …) a backslash is a path separator, so the host of
  `https://evil.com\\@cx.gov.cn/v/…` is `evil.com` (urlsplit says `cx.gov.cn`).
- Everything before the last `@` of the authority is userinfo: `https://x@cx.gov.cn/…` opens
  cx.gov.cn, but nobody prints such a code; a code that carries userinfo is a trick.
- Tabs and newlines anywhere are dropped, any number of slashes or backslashes may follow the
  scheme, and `.`/`..` path segments (also written `%2e`) are resolved.

References: https://url.spec.whatwg.org/ §4.4 (basic URL parser), states "special authority
ignore slashes", "authority" and "path".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

SPECIAL_SCHEMES = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SINGLE_DOT = {".", "%2e"}
_DOUBLE_DOT = {"..", ".%2e", "%2e.", "%2e%2e"}


@dataclass(frozen=True)
class ScannedUrl:
    """The parts of a URL that a browser would use."""

    scheme: str
    host: str  # lower-case, percent-decoded
    port: int | None  # None: the scheme's default
    segments: tuple[str, ...]  # path segments after dot-segment resolution
    has_userinfo: bool  # "user@" or "user:pass@" before the host: never in a code we print

    @property
    def is_web(self) -> bool:
        """An http(s) URL that a phone would open as a web page."""
        return self.scheme in ("http", "https")


def parse(text: str) -> ScannedUrl | None:
    """Parse an absolute URL as a browser would; None when a browser would refuse it or has no host."""
    cleaned = re.sub(r"[\t\n\r]", "", text.strip("".join(map(chr, range(0x21)))))
    match = _SCHEME.match(cleaned)
    if match is None:
        return None
    scheme = match.group()[:-1].lower()
    if scheme not in SPECIAL_SCHEMES:
        return ScannedUrl(scheme, "", None, (), False)  # mailto:, weixin:, … never one of our codes
    rest = cleaned[match.end():].lstrip("/\\")
    end = next((i for i, ch in enumerate(rest) if ch in "/\\?#"), len(rest))
    return _with_authority(scheme, rest[:end], rest[end:])


def parse_lenient(text: str) -> ScannedUrl | None:
    """parse(), reading text without a scheme ("cx.gov.cn/V/…", as some scanners show it) as http."""
    cleaned = text.strip()
    return parse(cleaned if _SCHEME.match(cleaned) else "http://" + cleaned)


def _with_authority(scheme: str, authority: str, tail: str) -> ScannedUrl | None:
    has_userinfo = "@" in authority
    host, port = _split_port(authority.rsplit("@", 1)[-1])
    if not host or port == -1:
        return None
    path = re.split(r"[?#]", tail, maxsplit=1)[0].replace("\\", "/")
    default = SPECIAL_SCHEMES[scheme]
    return ScannedUrl(scheme, host, None if port == default else port, _segments(path), has_userinfo)


def _split_port(hostport: str) -> tuple[str, int | None]:
    """(host, port); port -1 means invalid (a browser refuses the URL)."""
    if hostport.startswith("["):
        host, _, after = hostport.partition("]")
        host, port_text = host + "]", after[1:] if after.startswith(":") else after
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if port_text and not (port_text.isascii() and port_text.isdigit() and int(port_text) < 65536):
        return host, -1
    return unquote(host).lower(), int(port_text) if port_text else None


def _segments(path: str) -> tuple[str, ...]:
    """Path segments with "." and ".." resolved as the WHATWG path state does."""
    out: list[str] = []
    parts = path.split("/")[1:] if path.startswith("/") else ([path] if path else [])
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.lower() in _DOUBLE_DOT:
            if out:
                out.pop()
            if last:
                out.append("")
        elif part.lower() in _SINGLE_DOT:
            if last:
                out.append("")
        else:
            out.append(part)
    return tuple(out)
