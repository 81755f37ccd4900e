"""Reply text stays inside WeChat's limits and cannot break the XML it is wrapped in."""

from __future__ import annotations

import xmltodict

from app.web.wechat_protocol import render
from handlers import Incoming, replies
from handlers.query import parse

MSG = Incoming(openid="o-1", account="gh", msg_type="text", create_time="1")


def test_cdata_terminators_and_control_characters_are_neutralised() -> None:
    xml = render("a]]><MsgType>evil</MsgType>\x01\x0b b\n", MSG, "https://x")
    content = xmltodict.parse(xml)["xml"]["Content"]
    assert "]]>" not in content and "\x01" not in content and "<MsgType>evil</MsgType>" in content
    assert xmltodict.parse(xml)["xml"]["MsgType"] == "text"


def test_long_text_is_cut_at_a_line_with_a_link_to_the_full_page() -> None:
    text = "\n".join(f"第{i}行：" + "证" * 30 for i in range(200))
    cut = replies.fit(text, "https://x/all")
    assert len(cut.encode()) <= 2048
    assert cut.endswith('<a href="https://x/all">查看全部</a>')
    assert all(line in text for line in cut.split("\n")[:-2])


def test_one_huge_line_is_cut_without_leaving_half_a_link() -> None:
    text = "证" * 600 + '<a href="https://x/1">详情</a>' + "证" * 600
    cut = replies.fit(text, "https://x/all")
    assert len(cut.encode()) <= 2048 and cut.count("<a ") == cut.count("</a>")


def test_short_text_is_left_alone() -> None:
    assert replies.fit("你好", "https://x") == "你好"


def test_query_text_is_read_in_either_order_with_any_separator() -> None:
    for text in ["11010519491231002X 张三", "张三，11010519491231002X", "张三\u300011010519491231002X",
                 "11010519491231002X,张三"]:
        assert parse(text) is not None and parse(text).name == "张三"
    assert parse("张三") is None and parse("110105 220106 张三") is None
