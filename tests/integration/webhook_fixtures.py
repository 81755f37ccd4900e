"""Fixtures for the webhook tests: a WeChat server playing against the app, demo holders, verifiers.

Import explicitly: `from tests.integration.webhook_fixtures import holders, wechat  # noqa: F401`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.clock import FixedClock
from app.config import Settings
from app.services import seed as demo_seed
from app.services.verification import GENUINE, Verdict
from tests.wechat_helper import WeChatServer

VALID = "有效（特种作业，低压电工）"  # notes of the showcase holders (app/services/seed.py)
UNPUBLISHED = "未发布（刚考试合格）"


@pytest.fixture
def wechat(client: FlaskClient, settings: Settings) -> WeChatServer:
    """WeChat's side of the conversation with the test app (safe mode by default)."""
    return WeChatServer(client, settings)


@pytest.fixture
def holders(app: Flask, clock: FixedClock) -> dict[str, demo_seed.DemoPerson]:
    """The demo showcase holders (one per status), keyed by their note, e.g. VALID."""
    _summary, people = demo_seed.seed(app.extensions["db"], app.extensions["pii"], clock.today(), count=0)
    return {person.note: person for person in people}


@dataclass
class CountingVerifier:
    """A stand-in for Verifier: counts calls and can hold them until released."""

    headline: str = "证书真实有效"
    explanation: str = "签名有效。"
    hold: threading.Event | None = None
    calls: int = 0
    entered: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify_text(self, text: str) -> Verdict:
        with self._lock:
            self.calls += 1
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(10)
        return Verdict(GENUINE, self.headline, self.explanation, datetime(2026, 11, 28, 10, 0),
                       fields={"证书编号": "T5001**********2319"})
