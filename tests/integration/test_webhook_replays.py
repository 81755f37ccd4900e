"""Replayed pushes: a signed timestamp must be recent, and a captured signature carries one message only.

In plain and compat mode WeChat's `signature` covers only the token, timestamp and nonce, not the
body: whoever sees one push's URL (an access log) could attach any message to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from app import create_app
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations.kvstore import MemoryStore
from tests.integration.webhook_fixtures import CountingVerifier
from tests.wechat_helper import WeChatServer

YEAR = 365 * 86400


class Ticks:
    """The store's clock, moved by the test (message claims expire on it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Webhook:
    app: Flask
    wechat: WeChatServer
    verifier: CountingVerifier
    ticks: Ticks


@pytest.fixture(params=["plain", "compat", "safe"])
def webhook(settings: Settings, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Webhook]:
    """The app in each message mode, with a counting verifier and a store whose clock the test moves."""
    chosen = replace(settings, wechat={"message_mode": request.param})
    ticks, verifier = Ticks(), CountingVerifier()
    app = create_app(chosen, store=MemoryStore(clock=ticks), clock=clock, extensions={"verifier": verifier})
    yield Webhook(app, WeChatServer(app.test_client(), chosen), verifier, ticks)
    app.extensions["db"].engine.dispose()


def _now(offset: int = 0) -> str:
    return str(int(time.time()) + offset)


@pytest.mark.parametrize("timestamp", [-YEAR, 10 * YEAR, -305, 305, "notanumber", "-5", "１７９５９０００００"])
def test_a_push_whose_signed_timestamp_is_not_within_five_minutes_is_refused_unread(
        webhook: Webhook, timestamp: int | str) -> None:
    signed = _now(timestamp) if isinstance(timestamp, int) else timestamp
    reply = webhook.wechat.post(webhook.wechat.message_xml("o-1", "event", _scan("code")), timestamp=signed)
    assert reply.status == 403
    assert webhook.verifier.calls == 0


@pytest.mark.parametrize("offset", [-290, 0, 290])  # WeChat's clock and ours differ a little
def test_a_push_signed_within_five_minutes_of_our_clock_is_answered(webhook: Webhook, offset: int) -> None:
    reply = webhook.wechat.post(webhook.wechat.message_xml("o-1", "event", _scan("code")), timestamp=_now(offset))
    assert reply.status == 200 and "证书真实有效" in reply.text


def test_a_captured_signature_cannot_carry_other_messages(webhook: Webhook) -> None:
    wechat = webhook.wechat
    assert "证书真实有效" in wechat.scan("o-real", "code").text
    captured = {key: wechat.last[0][key] for key in ("signature", "timestamp", "nonce")}  # as an access log shows
    for index in range(30):  # invented senders, past any per-user limit
        forged = wechat.message_xml(f"o-forged-{index}", "event", _scan(f"code-{index}")).encode()
        assert wechat.replay(captured, forged).status in (400, 403)  # safe mode refuses plaintext outright
    assert webhook.verifier.calls == 1


def test_an_exact_replay_within_the_window_is_answered_from_the_first_reply_and_not_run_again(
        webhook: Webhook) -> None:
    wechat = webhook.wechat
    first = wechat.post(wechat.message_xml("o-1", "event", _scan("code")), timestamp=_now(290))
    webhook.ticks.now += 400  # WeChat's retries are long over; the signed timestamp is still acceptable
    again = wechat.replay()
    assert again.status == 200 and again.text == first.text
    assert webhook.verifier.calls == 1


def _scan(text: str) -> dict[str, object]:
    return {"Event": "scancode_waitmsg", "EventKey": "SCAN_QUERY",
            "ScanCodeInfo": {"ScanType": "qrcode", "ScanResult": text}}
