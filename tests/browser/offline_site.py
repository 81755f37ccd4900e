"""A served app for the offline verifier's browser tests: a revoked key, the showcase, QR vectors.

The server records every request it receives (and can refuse them all, like a dead network), so the
tests can prove the page sends nothing it scans and works with no server at all.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.domain.keyring import PublicKeyEntry, SigningKey, from_jwks
from app.domain.qrtext import extract_token
from app.domain.qrtoken import StatusList, verify_status_list
from app.services import certificate_files, keyring
from app.services.offline_verdict import OfflineVerdict
from app.services.seed import DemoPerson, seed
from app.web import inspect
from tests import offline_vectors as ov
from tests.browser.conftest import LiveServer, serve_app
from tests.integration.verify_fixtures import (
    CANCELLED,
    EXPIRED,
    OVERDUE,
    REISSUED,
    REVOKED,
    SAFETY_MGMT,
    SUSPENDED,
    VALID,
    certificate_of,
    path_of,
    printed_text,
)

SHOWCASE = {"showcase: valid": (VALID, None), "showcase: suspended": (SUSPENDED, None),
            "showcase: revoked": (REVOKED, None), "showcase: cancelled": (CANCELLED, None),
            "showcase: expired": (EXPIRED, None), "showcase: review overdue": (OVERDUE, None),
            "showcase: superseded version 1": (REISSUED, 1), "showcase: reissued version 2": (REISSUED, None),
            "showcase: safety management": (SAFETY_MGMT, None)}
HEADLINE = re.compile(r'id="verdict">([^<]*)<')


class RequestLog:
    """WSGI middleware: remembers each request's path and query; answers 503 to all while `down`,
    while `tamper_list` serves the status list with one byte of its signature changed, and holds
    requests for the paths in `stalled` unanswered until `release` is set (a signal that carries nothing)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.down = False
        self.tamper_list = False
        self.stalled: set[str] = set()
        self.release = threading.Event()
        self.app: Callable[..., Any] | None = None

    def wrap(self, app: Callable[..., Any]) -> RequestLog:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        self.seen.append(environ.get("PATH_INFO", "") + (f"?{query}" if query else ""))
        if environ.get("PATH_INFO") in self.stalled:
            self.release.wait(timeout=120)
        if self.down or self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        if self.tamper_list and environ.get("PATH_INFO") == "/api/status-list":
            body = b"".join(self.app(environ, start_response))
            return [body[:-1] + bytes([body[-1] ^ 1])]
        return self.app(environ, start_response)


@dataclass
class OfflineSite:
    """The served app, its vectors as image files and what the Python verifier says about each."""

    live: LiveServer
    log: RequestLog
    images: dict[str, Path] = field(default_factory=dict)
    vectors: dict[str, ov.Vector] = field(default_factory=dict)
    expected: dict[str, OfflineVerdict] = field(default_factory=dict)
    server_headlines: dict[str, str] = field(default_factory=dict)  # the online /v/ page's verdicts

    @property
    def page_url(self) -> str:
        return self.live.url + inspect.PAGE


def require_built() -> None:
    """The page needs `make js`; CI must have built it, a developer is told to."""
    if all((inspect.DIST / name).is_file() for name in (*inspect.BUILT, "sw.js")):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("the offline verifier is not built (make js)")
    pytest.skip("the offline verifier is not built: run `make js`")


def _revoke_first_key(app: Flask, holder: dict[str, Any]) -> None:
    """Keep the first signing key, then revoke it: a new active key signs everything else."""
    key_dir = Path(app.config["SETTINGS"].signing.key_dir)
    holder["revoked"] = keyring.load_signer(key_dir)
    keyring.retire(key_dir, holder["revoked"].kid)
    holder["people"] = seed(app.extensions["db"], app.extensions["pii"], app.extensions["clock"].today(), 0)[1]


def _trusted(app: Flask, now: int) -> tuple[dict[str, PublicKeyEntry], StatusList]:
    client = app.test_client()
    keys = from_jwks(client.get("/.well-known/jwks.json").get_json())
    return keys, verify_status_list(client.get("/api/status-list").data, keys, now)


def _showcase_vectors(site: OfflineSite, people: list[DemoPerson]) -> list[ov.Vector]:
    app, out = site.live.app, []
    for name, (index, version) in SHOWCASE.items():
        text = printed_text(app, people[index], version)
        token = extract_token(text)
        out.append(ov.Vector(name, text, token))
        page = app.test_client().get(path_of(text)).text
        match = HEADLINE.search(page)
        assert match, page[:300]
        site.server_headlines[name] = match.group(1)
    return out


def _live_claims(app: Flask, holder: DemoPerson) -> Any:
    cert = certificate_of(app, holder)
    with app.app_context(), app.extensions["db"].session() as session:
        return certificate_files.claims_for(session, app.extensions["pii"], session.merge(cert))


def build_site(tmp: Path) -> Iterator[OfflineSite]:
    """Serve the app, then write every vector as a QR image and work out its expected verdict."""
    log, holder = RequestLog(), {}
    with serve_app(tmp, seed_count=None, before_serving=lambda app: _revoke_first_key(app, holder),
                   wrap=log.wrap) as live:
        site, now = OfflineSite(live, log), int(time.time())
        signer: SigningKey = keyring.load_signer(Path(live.app.config["SETTINGS"].signing.key_dir))
        vectors = [*_showcase_vectors(site, holder["people"]),
                   *ov.live_vectors(live.url, signer, _live_claims(live.app, holder["people"][VALID]), now),
                   *ov.key_vectors(live.url, holder["revoked"], now),
                   *ov.forgery_vectors(live.url, signer, now), *ov.parity_vectors(live.url, signer, now),
                   *ov.TEXT_VECTORS]
        keys, status = _trusted(live.app, now)
        folder = tmp / "vectors"
        folder.mkdir()
        for number, vector in enumerate(vectors):
            site.vectors[vector.name] = vector
            site.images[vector.name] = ov.write_image(vector, folder / f"{number:02d}")
            site.expected[vector.name] = ov.expected(vector, keys, status, now)
        yield site
