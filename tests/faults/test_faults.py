"""`make faults`: kill and freeze the app's own Redis and MariaDB under a mixed load, and hold the app
to what docs/resilience.md promises.

For each fault: no 500 and no silence; while Redis is down everything still answers in full; while
MariaDB is down pages answer a Chinese 503 and the API JSON 503 with Retry-After within a few seconds
and WeChat users a polite reply within WeChat's 5 seconds; every kind of request answers in full
again within 5 seconds of the dependency's return; at the end no review request, notification or
imported row is lost or doubled. The figures are printed and written to var/faults.md;
FAULTS_DEBUG=1 also prints every request of every phase.
"""

from __future__ import annotations

import csv
import functools
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from app.services import notify
from app.services.demo import HEADERS, generate_rows
from app.storage.models import Certificate, ManualReviewRequest, Notification
from tests.faults.conftest import PASSWORD, STAFF, World
from tests.faults.load import (
    PAGE_WAIT,
    WECHAT_WAIT,
    Load,
    Record,
    Reviewer,
    ReviewSubmitter,
    WeChatUser,
    http_answer,
    staff_session,
)
from tests.faults.servers import ROOT, Service, wait_until
from tests.wechat_helper import WeChatServer

PHASES = [("redis", "kill"), ("redis", "freeze"), ("mariadb", "freeze"), ("mariadb", "kill")]
BEFORE, DOWN, AFTER = 3.0, 8.0, 7.0  # seconds of load before the fault, during it, after the return
RECOVERY_LIMIT = 5.0
PAGE_LIMIT = 8.0  # "a few seconds": a page or API answer while the database is down
IMPORT_ROWS, IMPORT_BATCH = 3000, 500  # several batches: the fault finds the import part done
REPORT = ROOT / "var" / "faults.md"


@dataclass
class Outcome:
    """One phase: the records and the moments that matter (time.monotonic())."""

    name: str
    records: list[Record]
    down_at: float
    back_at: float
    ready_after: float | None = None  # seconds from the return to /readyz answering 200
    import_runs: list[str] = field(default_factory=list)

    def during(self, actor: str) -> list[Record]:
        return [r for r in self.records if r.actor == actor and self.down_at <= r.start < self.back_at]

    def recovery(self, actor: str) -> float | None:
        """Seconds from the dependency's return to this kind of request's first full answer."""
        after = [r for r in self.records if r.actor == actor and r.start >= self.back_at and r.category == "normal"]
        return min(r.end for r in after) - self.back_at if after else None


RESULTS: list[Outcome] = []


def _service(world: World, name: str) -> Service:
    return world.redis if name == "redis" else world.mariadb


def _actors(world: World, load: Load, phase: int) -> dict[str, WeChatUser]:
    """The mixed load: WeChat pushes, the API, the /v/ page, H5 pages, manual review, the reviewer."""
    settings = world.app.config["SETTINGS"]
    server = WeChatServer(world.web.url, settings, timeout=WECHAT_WAIT)
    query = WeChatUser(server, f"o-q-{phase}", "状态：有效")
    scan = WeChatUser(server, f"o-s-{phase}", "证书真实有效")
    load.add("wechat-query", lambda: query.push(lambda s, o: s.send_text(o, world.holder)))
    load.add("wechat-scan", lambda: scan.push(lambda s, o: s.scan(o, world.scan_text)))
    load.add("api-verify", lambda: http_answer(requests.post(f"{world.web.url}/api/verify", timeout=PAGE_WAIT,
                                                             json={"text": world.scan_text}), '"genuine"', api=True),
             pause=1.2)  # under the 60 a minute per address
    load.add("verify-page", lambda: http_answer(requests.get(world.web.url + world.verify_path, timeout=PAGE_WAIT),
                                                "证书真实有效"))
    load.add("h5-query-page", lambda: http_answer(requests.get(world.web.url + world.query_path, timeout=PAGE_WAIT),
                                                  "证书查询结果"))
    load.add("status-list", lambda: _status_list(world), pause=0.5)
    cookies = {openid: world.session_cookie(openid) for openid in world.workers[phase]}
    load.add("h5-review", ReviewSubmitter(world.web.url, cookies).step, pause=0.5)
    load.add("admin-decide", Reviewer(world.web.url, staff_session(world.web.url, STAFF, PASSWORD)).step, pause=0.3)
    return {"wechat-query": query, "wechat-scan": scan}


def _status_list(world: World) -> tuple[str, str]:
    """The signed status list: from the cache (Redis or, while it is down, process memory) or rebuilt."""
    res = requests.get(f"{world.web.url}/api/status-list", timeout=PAGE_WAIT)
    if res.status_code == 200 and res.headers.get("Content-Type") == "application/cose" and res.content:
        return "normal", ""
    return http_answer(res, None, api=True)


@functools.cache
def _export() -> list[dict[str, Any]]:
    """One generated export, shared out between the phases (shares of one export never conflict)."""
    return list(generate_rows(IMPORT_ROWS * len(PHASES), seed=9000))


def _csv(world: World, phase: int) -> Path:
    """This phase's share of the export."""
    rows = _export()[phase * IMPORT_ROWS:(phase + 1) * IMPORT_ROWS]
    path = world.tmp / f"import-{phase}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _flask(world: World, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "APP_CONFIG": str(world.web.config), "FLASK_APP": "app"}
    return subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _break_and_return(service: Service, how: str) -> float:
    """Kill or freeze the service for DOWN seconds, bring it back; returns when it answers again."""
    service.kill() if how == "kill" else service.freeze()
    time.sleep(DOWN)
    if how == "kill":
        service.start()
    else:
        service.thaw()
        wait_until(service.answers, 30, service.name)
    return time.monotonic()


def _certificates(world: World) -> int:
    with world.app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Certificate)) or 0)


def _wait_for_import_writes(world: World, before: int) -> None:
    """Until the import has committed its first batch (bounded: a slow start just means a later fault)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _certificates(world) == before:
        time.sleep(0.1)


def _seconds_until_ready(world: World, since: float) -> float | None:
    """Poll /readyz until it answers 200 (at most AFTER seconds)."""
    while time.monotonic() - since < AFTER:
        try:
            if requests.get(f"{world.web.url}/readyz", timeout=PAGE_WAIT).status_code == 200:
                return time.monotonic() - since
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return None


def _import_until_done(world: World, csv_path: Path, first: subprocess.Popen[str]) -> list[str]:
    """The import started during the fault; if the fault stopped it, run it again (as an operator would)."""
    runs, proc = [], first
    for _ in range(5):
        output, _ = proc.communicate(timeout=300)
        said = [line for line in output.splitlines() if line.startswith(("Error:", "共 "))]
        runs.append(f"exit {proc.returncode}: {said[-1] if said else output.strip()[-200:]}")
        if proc.returncode == 0:
            return runs
        proc = _flask(world, "certs", "import", str(csv_path), "--batch-size", str(IMPORT_BATCH))
    return runs


@pytest.mark.parametrize(("phase", "service_name", "how"), [(n, *p) for n, p in enumerate(PHASES)],
                         ids=[f"{s}-{h}" for s, h in PHASES])
def test_a_dependency_fails_and_comes_back(world: World, phase: int, service_name: str, how: str) -> None:
    service, csv_path, load = _service(world, service_name), _csv(world, phase), Load()
    users = _actors(world, load, phase)
    time.sleep(BEFORE)
    importer = _flask(world, "certs", "import", str(csv_path), "--batch-size", str(IMPORT_BATCH))
    _wait_for_import_writes(world, _certificates(world))  # the fault hits a running import
    down_at = time.monotonic()
    back_at = _break_and_return(service, how)
    ready_after = _seconds_until_ready(world, back_at)
    time.sleep(max(0.0, AFTER - (time.monotonic() - back_at)))
    outcome = Outcome(f"{service_name} {how}", load.finish(), down_at, back_at, ready_after)
    outcome.import_runs = _import_until_done(world, csv_path, importer)
    RESULTS.append(outcome)
    _report()
    if os.environ.get("FAULTS_DEBUG"):
        for r in sorted(outcome.records, key=lambda r: (r.actor, r.start)):
            print(r.actor, round(r.start - down_at, 2), round(r.seconds, 2), r.category, r.detail[:80])

    bad = [r for r in outcome.records if r.category == "bad"]
    assert not bad, f"{len(bad)} bad answers, e.g. {bad[:3]}"
    if service_name == "redis":  # nothing needs Redis to answer in full
        assert all(r.category == "normal" for r in outcome.records), \
            [r for r in outcome.records if r.category != "normal"][:5]
    for record in outcome.records:
        limit = WECHAT_WAIT if record.actor.startswith("wechat") else PAGE_LIMIT
        assert record.seconds < limit or record.category == "normal", record
    for actor in {r.actor for r in outcome.records}:
        recovered = outcome.recovery(actor)
        assert recovered is not None and recovered <= RECOVERY_LIMIT, (actor, recovered)
    assert outcome.ready_after is not None and outcome.ready_after <= RECOVERY_LIMIT
    _no_double_answers(world, users)


def _no_double_answers(world: World, users: dict[str, WeChatUser]) -> None:
    """Each WeChat message was answered once: passively, or (late) by one customer-service message."""
    time.sleep(1.0)  # late answers still being delivered
    for user in users.values():
        for openid, seen in user.sent.items():
            later = world.fake.messages_for(openid)
            late = "稍后以消息发给您" in seen
            assert len(later) == (1 if late else 0), (openid, seen[:60], [m.payload for m in later])


def test_nothing_was_lost_or_doubled(world: World) -> None:
    """Review requests, decisions, notifications and imported rows after every fault."""
    app = world.app
    with app.app_context(), app.extensions["db"].session() as session:
        sender = notify.sender_from(app.config["SETTINGS"], app.extensions["wechat_api"])
        notify.send_pending(session, sender, app.extensions["clock"].now() + timedelta(days=1))  # the retry job
    filed = [openid for phase_workers in world.workers for openid in phase_workers]
    with app.extensions["db"].session() as session:
        per_openid = dict(session.execute(select(ManualReviewRequest.openid, func.count())
                                          .group_by(ManualReviewRequest.openid)).all())
        decided = list(session.scalars(select(ManualReviewRequest).where(ManualReviewRequest.state != "pending")))
        notes = dict(session.execute(select(Notification.openid, func.count()).group_by(Notification.openid)).all())
        unsent = session.scalar(select(func.count()).select_from(Notification).where(Notification.state != "sent"))
    assert all(count == 1 for count in per_openid.values()), per_openid
    assert set(per_openid) <= set(filed)
    assert decided and all(notes.get(request.openid) == 1 for request in decided)
    assert unsent == 0
    for request in decided:
        templates = [m for m in world.fake.messages_for(request.openid) if m.kind == "template"]
        assert len(templates) == 1, (request.openid, len(templates))
    for phase in range(len(PHASES)):
        again = _flask(world, "certs", "import", str(world.tmp / f"import-{phase}.csv"))
        output, _ = again.communicate(timeout=300)
        assert again.returncode == 0 and f"新增 0，更新 0（其中换发新版本 0），未变 {IMPORT_ROWS}" in output, output


def _report() -> None:
    """The figures of every phase so far, as a Markdown table (printed and written to var/faults.md)."""
    lines = ["| fault | request | answers while down | slowest while down | back in full after |",
             "|---|---|---|---|---|"]
    for outcome in RESULTS:
        for actor in sorted({r.actor for r in outcome.records}):
            during = outcome.during(actor)
            kinds = ", ".join(f"{n} {c}" for c in ("normal", "polite", "bad")
                              if (n := sum(r.category == c for r in during)))
            slowest = f"{max(r.seconds for r in during):.2f} s" if during else "-"
            back = outcome.recovery(actor)
            lines.append(f"| {outcome.name} | {actor} | {kinds or '-'} | {slowest} | "
                         f"{'-' if back is None else f'{back:.2f} s'} |")
        ready = "-" if outcome.ready_after is None else f"{outcome.ready_after:.2f} s"
        lines.append(f"| {outcome.name} | /readyz | | | {ready} |")
        lines.append(f"| {outcome.name} | import | {'; '.join(outcome.import_runs)} | | |")
    text = "\n".join(lines) + "\n"
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print("\n" + text)
