"""The verification page under load and certificate rendering times (issue 5).

`GET /v/<token>` (signature check, then one indexed lookup by public id and the status rules) under
gunicorn with 2 workers over MariaDB holding the 1M certificates, beside the constant-reply baseline.
Then PNG and PDF render times through app.services.certificate_files: cold (drawing the certificate),
base cached (a new watermark minute: stamp + encode) and file cached (same minute).
Targets (issue 5): at least half the baseline's throughput; a render at most 150 ms.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.common import OUT, Report, Request, closed_loop, gunicorn, median_p99, open_loop, write_config
from bench.dataset import million_database

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
TOKENS = 500  # distinct certificates in the request mix
RENDERS = 20


def _app(config: Path):  # type: ignore[no-untyped-def]
    """The app as the served processes see it (same config, same key folder)."""
    os.environ["APP_CONFIG"] = str(config)
    from app import create_app

    return create_app()


def _ensure_key(app) -> None:  # type: ignore[no-untyped-def]
    from app.services import keyring

    key_dir = Path(app.config["SETTINGS"].signing.key_dir)
    if not keyring.list_keys(key_dir):
        keyring.generate(key_dir)


def _sample_certificates(session, count: int) -> list:  # type: ignore[no-untyped-def]
    """Certificates spread through the table (random ids, without ORDER BY RAND() over 1M rows)."""
    from app.storage.models import Certificate

    top = session.scalar(select(func.max(Certificate.id))) or 0
    rng = random.Random(5)
    found: dict[int, Certificate] = {}
    while len(found) < count and top:
        cert = session.scalar(select(Certificate).where(Certificate.id >= rng.randrange(1, top + 1)).limit(1))
        if cert is not None:
            found[cert.id] = cert
    return list(found.values())


def _page_requests(app) -> tuple[list[Request], list]:  # type: ignore[no-untyped-def]
    from app.services import certificate_files

    ctx = certificate_files.signing_context(app)
    with app.app_context(), app.extensions["db"].session() as session:
        certs = _sample_certificates(session, TOKENS)
        texts = [certificate_files.printed_qr_text(ctx, session, app.extensions["pii"], c) for c in certs]
        for cert in certs:
            session.expunge(cert)
    return [Request("GET", "/V/" + t.rsplit("/", 1)[1]) for t in texts], certs  # docs/qr-format.md §1


def _check_page(base: str, request: Request) -> None:
    import requests

    html = requests.get(base + request.path, timeout=10).text
    assert 'id="verdict">证书' in html, html[:400]  # a genuine verdict: the benchmark measures real work


def _render_times(app, certs: list) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """Median and p99 of cold, base-cached and file-cached renders per format."""
    from app.services import certificate_files as cf

    ctx, pii, now = cf.signing_context(app), app.extensions["pii"], app.extensions["clock"].now()
    rows: list[list[object]] = []
    with app.app_context(), app.extensions["db"].session() as session:
        sample = [session.merge(c) for c in certs[:RENDERS]]
        cf.render_with(ctx, session, pii, sample[-1], "png", "download", now)  # fonts, static background
        started = time.perf_counter()  # the PDF's base fonts are cut once per process
        cf.render_with(ctx, session, pii, sample[-1], "pdf", "download", now)
        first_pdf = (time.perf_counter() - started) * 1000
        for fmt in ("png", "pdf"):
            cold, base, hit = [], [], []
            for cert in sample:
                cf.clear_caches()
                later = now + timedelta(minutes=1)
                for bucket, moment in ((cold, now), (base, later), (hit, later)):
                    started = time.perf_counter()
                    cf.render_with(ctx, session, pii, cert, fmt, "download", moment)
                    bucket.append(time.perf_counter() - started)
            for label, samples in (("cold", cold), ("new watermark minute", base), ("same minute", hit)):
                med, p99 = median_p99(samples)
                rows.append([fmt.upper(), label, f"{med:.1f}", f"{p99:.1f}"])
    return [*rows, ["PDF", "first in a new process (one sample)", f"{first_pdf:.1f}", "—"]]


def run(report: Report, database_url: str | None = None) -> None:
    """/v/<token> throughput beside the baseline, p99 at a fixed 200 requests/s, render times."""
    url = database_url or os.environ.get("BENCH_VERIFY_DB") or million_database()
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp) / "bench.toml", url, "http://127.0.0.1")
        app = _app(config)
        _ensure_key(app)
        pages, certs = _page_requests(app)
        env = {"APP_CONFIG": str(config)}
        with gunicorn("app:create_app()", env) as base:
            _check_page(base, pages[0])
            ours = closed_loop(base, pages, int(SECONDS), content_type="text/plain")
            fixed = open_loop(base, pages, rate=200, seconds=SECONDS)
        with gunicorn("bench.baseline_app:app", {}) as base:
            floor = closed_loop(base, pages, int(SECONDS), content_type="text/plain")
            floor_fixed = open_loop(base, pages, rate=200, seconds=SECONDS)
        renders = _render_times(app, certs)
    count = _count(app)
    rows = [["GET /v/<token>", f"{ours[0]:,.0f}", f"{ours[1]:.1f}", f"{ours[2]:.1f}", ours[3],
             f"{fixed.pct(0.5):.1f}", f"{fixed.pct(0.99):.1f}", fixed.errors],
            ["baseline: constant page", f"{floor[0]:,.0f}", f"{floor[1]:.1f}", f"{floor[2]:.1f}", floor[3],
             f"{floor_fixed.pct(0.5):.1f}", f"{floor_fixed.pct(0.99):.1f}", floor_fixed.errors]]
    report.add(f"Verification page (gunicorn 2 workers, gthread x4, MariaDB, {count:,} certificates)", rows,
               ["app", "req/s (16 conns)", "p50 ms", "p99 ms", "errors", "p50 ms @200/s", "p99 ms @200/s",
                "errors @200/s"],
               f"{SECONDS:.0f} s per pass with wrk over {len(pages)} distinct printed codes. Throughput ratio "
               f"ours/baseline: {ours[0] / floor[0]:.2f}.")
    report.add("Certificate files through certificate_files (one process)", renders,
               ["format", "cache state", "median ms", "p99 ms"],
               f"{RENDERS} certificates; cold = drawing the certificate; new minute = cached base image "
               "(PDF: cached page), new watermark stamped and encoded (PDF: the minute's marks drawn, then "
               "laid over the page with the QR code); same minute = cached file. Target ≤ 150 ms.")
    OUT.mkdir(parents=True, exist_ok=True)


def _count(app) -> int:  # type: ignore[no-untyped-def]
    from app.storage.models import Certificate

    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Certificate)) or 0)


if __name__ == "__main__":
    result = Report()
    run(result)
    print(result.markdown())
