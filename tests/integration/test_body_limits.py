"""Body limits hold on the bytes actually read: 413 past the limit, with or without Content-Length.

Served over a real socket (werkzeug's threaded server, which like gunicorn decodes chunked bodies
and sets wsgi.input_terminated), because the test client never sends a chunked body.
"""

# Fixtures are imported explicitly from verify_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import contextlib
import json
import select
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select as sql_select

from app.devtools.loopback import LoopbackServer, serve_in_thread
from app.storage.models import ManualReviewRequest
from app.web.bodylimit import DEFAULT_BODY_LIMIT
from app.web.verify import MAX_API_BODY
from tests.integration.review_fixtures import CHONGQING, csrf_from, import_holder, jpeg_bytes, sign_in_worker
from tests.integration.verify_fixtures import keyed_app  # noqa: F401 - fixture

MB = 1024 * 1024


@dataclass
class Answer:
    status: int
    head: str
    body: bytes


@pytest.fixture
def served(keyed_app: Flask) -> Iterator[LoopbackServer]:
    with serve_in_thread(keyed_app) as server:
        yield server


def _request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: localhost", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> Answer:
    """Say we are done sending (the server may drain what is left), then read the whole answer."""
    with contextlib.suppress(OSError):  # already closed by the server
        sock.shutdown(socket.SHUT_WR)
    data = b""
    while part := sock.recv(65536):
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    return Answer(int(head.split()[1]), head.decode("latin-1"), body)


def post_chunked(server: LoopbackServer, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` with Transfer-Encoding: chunked (no Content-Length), stopping early if the server answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_request_head(path, {**headers, "Transfer-Encoding": "chunked"}))
        try:
            for start in range(0, len(body), 65536):
                if select.select([sock], [], [], 0)[0]:
                    break  # answered (413) before reading everything
                piece = body[start:start + 65536]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and closed: its answer is still in our buffer
        return _read_answer(sock)


def post_sized(server: LoopbackServer, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST with a Content-Length header."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_request_head(path, {**headers, "Content-Length": str(len(body))}))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered before reading it all
            sock.sendall(body)
        return _read_answer(sock)


JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _api_body(size: int) -> bytes:
    """A well-formed JSON request of exactly `size` bytes."""
    body = json.dumps({"token": "A" * (size - len('{"token": ""}'))}).encode()
    assert len(body) == size
    return body


@pytest.mark.parametrize("size", [2 * MB, 13 * MB, MAX_API_BODY + 1])
def test_a_chunked_api_body_over_the_limit_gets_the_json_413(served: LoopbackServer, size: int) -> None:
    answer = post_chunked(served, "/api/verify", _api_body(size), JSON)
    assert answer.status == 413
    assert json.loads(answer.body) == {"error": "too_large", "message": "请求内容过大"}


def test_an_api_body_with_a_large_content_length_gets_the_json_413(served: LoopbackServer) -> None:
    answer = post_sized(served, "/api/verify", _api_body(MAX_API_BODY + 1), JSON)
    assert answer.status == 413 and json.loads(answer.body)["error"] == "too_large"


def test_a_chunked_api_body_within_the_limit_is_answered(served: LoopbackServer) -> None:
    answer = post_chunked(served, "/api/verify", json.dumps({"text": "hello"}).encode(), JSON)
    assert answer.status == 200 and json.loads(answer.body)["outcome"] == "not_ours"


@pytest.mark.parametrize("path", ["/wechat?signature=x&timestamp=1&nonce=1", "/h5/register", "/admin/login",
                                  "/v/AAAA"])
def test_every_other_post_refuses_a_chunked_body_over_the_default_limit(served: LoopbackServer, path: str,
                                                                        ) -> None:
    answer = post_chunked(served, path, b"a=" + b"x" * (2 * MB), FORM)
    assert answer.status == 413


def test_a_chunked_upload_over_the_form_limit_gets_the_chinese_page(served: LoopbackServer) -> None:
    body = b"--B\r\nContent-Disposition: form-data; name=\"holding_id\"; filename=\"a.jpg\"\r\n\r\n"
    answer = post_chunked(served, "/h5/review/new", body + b"\xff" * (17 * MB),
                          {"Content-Type": "multipart/form-data; boundary=B"})
    assert answer.status == 413 and "照片太大，未能提交" in answer.body.decode()


def test_a_chunked_upload_within_the_limit_is_stored(keyed_app: Flask, served: LoopbackServer) -> None:
    """Phones do not usually chunk a form, but one that does must still get through whole."""
    holder = import_holder(keyed_app)
    client = keyed_app.test_client()
    sign_in_worker(client, holder.openid)
    token = csrf_from(client.get("/h5/review/new").text)
    cookie = client.get_cookie("session")
    assert cookie is not None
    boundary = uuid.uuid4().hex
    photo = jpeg_bytes((1600, 1200)) + b"\x00" * (2 * MB)  # bigger than DEFAULT_BODY_LIMIT, under the photo limit
    parts = [(f'name="{name}"', value.encode()) for name, value in
             (("csrf_token", token), ("authority", CHONGQING), ("description", "分块上传"))]
    parts.append(('name="holding_id"; filename="a.jpg"\r\nContent-Type: image/jpeg', photo))
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + value
                    + b"\r\n" for disposition, value in parts) + f"--{boundary}--\r\n".encode()
    assert len(body) > DEFAULT_BODY_LIMIT
    answer = post_chunked(served, "/h5/review/new", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"session={cookie.value}",
        "Referer": "http://localhost/h5/review/new"})
    assert answer.status == 302, answer.body.decode()
    with keyed_app.extensions["db"].session() as session:
        assert session.scalar(sql_select(func.count()).select_from(ManualReviewRequest)) == 1


def test_a_chunked_body_for_a_large_upload_is_asked_for_its_length_not_buffered(served: LoopbackServer) -> None:
    """An import's upload may be 300 MB: without Content-Length it would have to be held in memory to be measured."""
    answer = post_chunked(served, "/admin/imports", b"--B\r\n" + b"x" * MB,
                          {"Content-Type": "multipart/form-data; boundary=B"})
    assert answer.status == 411 and "上传请求没有说明内容大小" in answer.body.decode()
