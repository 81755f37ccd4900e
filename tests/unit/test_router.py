"""The routing table: the most specific row wins; anything unmatched goes to the fallback."""

from __future__ import annotations

import pytest

from app.integrations import rediskeys
from app.integrations.kvstore import MemoryStore
from handlers import Context, Incoming, Router, default_router


def _msg(msg_type: str = "text", **fields: str) -> Incoming:
    return Incoming(openid="o-1", account="gh", msg_type=msg_type, create_time="1", **fields)


@pytest.fixture
def router() -> Router:
    table = Router()
    table.on("text")(lambda m, c: "any text")
    table.on("text", pattern=r"\d{6,}")(lambda m, c: "digits")
    table.on("text", state="query")(lambda m, c: "in query")
    table.on("event", event="click")(lambda m, c: "any click")
    table.on("event", event="click", key="A")(lambda m, c: "click A")
    table.otherwise(lambda m, c: "fallback")
    return table


@pytest.mark.parametrize(("msg", "state", "expected"), [
    (_msg(content="hello"), "", "any text"),
    (_msg(content="110105194912 x"), "", "digits"),
    (_msg(content="hello"), "query", "in query"),
    (_msg(content="110105194912 x"), "query", "in query"),
    (_msg("event", event="click", event_key="A"), "", "click A"),
    (_msg("event", event="click", event_key="B"), "", "any click"),
    (_msg("event", event="subscribe"), "", "fallback"),
    (_msg("video"), "", "fallback"),
])
def test_the_most_specific_matching_row_handles_the_message(
        router: Router, msg: Incoming, state: str, expected: str) -> None:
    assert router.find(msg, state)(msg, None) == expected  # type: ignore[misc, arg-type]


def test_dispatch_reads_the_conversation_state_from_the_store(router: Router) -> None:
    store = MemoryStore()
    store.set(rediskeys.conversation("o-1"), "query")
    ctx = Context(session=None, pii=None, store=store, today=None, now=None, base_url="",  # type: ignore[arg-type]
                  official_domain="", link=lambda ids: "")
    assert router.dispatch(_msg(content="hello"), ctx) == "in query"


def test_events_are_deduplicated_on_sender_time_event_and_key_and_messages_on_msg_id() -> None:
    event = _msg("event", event="click", event_key="A")
    assert event.dedup_key == "ev:o-1:1:click:A:"
    assert _msg(msg_id="42").dedup_key == "id:42"


def test_two_scans_in_one_second_are_two_events_when_they_read_different_codes() -> None:
    genuine = _msg("event", event="scancode_waitmsg", event_key="SCAN", scan_result="https://x/v/GOOD")
    tampered = _msg("event", event="scancode_waitmsg", event_key="SCAN", scan_result="https://x/v/G00D")
    again = _msg("event", event="scancode_waitmsg", event_key="SCAN", scan_result="https://x/v/GOOD")
    assert genuine.dedup_key != tampered.dedup_key
    assert genuine.dedup_key == again.dedup_key


def test_the_application_routes_each_menu_function() -> None:
    table = default_router()
    assert table.find(_msg("event", event="click", event_key="QUERY_INPUT")).__module__ == "handlers.query"
    assert table.find(_msg("event", event="scancode_waitmsg")).__module__ == "handlers.scan"
    assert table.find(_msg("event", event="scancode_push")).__module__ == "handlers.scan"
    assert table.find(_msg("event", event="subscribe")).__module__ == "handlers.events"
    assert table.find(_msg(content="11010519491231002X 张三")).__module__ == "handlers.query"
    assert table.find(_msg(content="你好")).__module__ == "handlers.events"


def test_a_binding_code_wins_over_a_query_and_any_conversation_state() -> None:
    from handlers import default_router, inspector, query

    router = default_router()
    message = Incoming(openid="o-1", account="gh", msg_type="text", create_time="1", content="绑定 123456")
    assert router.find(message) is inspector.bind_by_text
    assert router.find(message, state=query.STATE) is inspector.bind_by_text
    assert router.find(Incoming(openid="o-1", account="gh", msg_type="text", create_time="1",
                                content="11010519491231002X 张三")) is not inspector.bind_by_text
