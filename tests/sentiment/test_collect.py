"""Collectors against a local HTTP server replaying recorded answers; no network."""

from __future__ import annotations

import json
import random
import socket
import struct
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from castlab.core.errors import CastlabError
from castlab.sentiment.collect import CollectConfig, collect_mastodon, collect_x, get_json
from castlab.sentiment.data import read_posts

RECORDED = Path(__file__).parent / "recorded"


class Replay(BaseHTTPRequestHandler):
    """Answers from ``server.routes``: a function of (path, query) -> (status, headers, body)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        self.server.log.append((url.path, parse_qs(url.query), dict(self.headers)))  # type: ignore[attr-defined]
        answer = self.server.route(self, url.path, parse_qs(url.query))  # type: ignore[attr-defined]
        if answer is None:  # the route broke the connection itself
            return
        status, headers, body = answer
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    """A replay server that says nothing when a client it answers late has already gone."""

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture
def server():
    httpd = QuietServer(("127.0.0.1", 0), Replay)
    httpd.log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _x_route(state: dict):
    def route(handler, path, query):
        assert path == "/2/tweets/search/recent"
        if handler.headers.get("Authorization") != "Bearer secret":
            return 401, {}, '{"title": "Unauthorized"}'
        token = query.get("next_token", [None])[0]
        if token is None and not state.get("limited"):
            state["limited"] = True
            return 429, {"Retry-After": "7"}, '{"title": "Too Many Requests"}'
        page = {None: "x_page1.json", "b26v89c19zqg8o3fr5": "x_page2.json"}.get(
            token, "x_page3.json"
        )
        return 200, {}, (RECORDED / page).read_text()

    return route


def test_x_pages_waits_on_429_and_writes_readable_posts(server, tmp_path):
    server.route = _x_route({})
    waits: list[float] = []
    out = tmp_path / "x.jsonl"
    result = collect_x(
        "lang:en",
        out,
        bearer_token="secret",
        base_url=f"http://127.0.0.1:{server.server_port}",
        sleep=waits.append,
    )
    assert (result.posts, result.pages, result.finished) == (5, 3, True)
    assert waits == [7.0]  # the Retry-After header, honoured once
    assert server.log[0][1]["query"] == ["lang:en"] and server.log[0][1]["max_results"] == ["100"]
    posts = read_posts(out)
    assert list(posts["author"]) == ["ann_k", "bo", "ann_k", "cy", "bo"]
    assert posts.loc[0, "country"] == "Kenya" and posts.loc[0, "latitude"] == pytest.approx(-1.29)
    assert posts["text"].str.len().min() > 0


def test_x_resume_continues_from_the_saved_cursor(server, tmp_path):
    server.route = _x_route({"limited": True})
    out = tmp_path / "x.jsonl"
    base = f"http://127.0.0.1:{server.server_port}"
    first = collect_x(
        "q", out, bearer_token="secret", base_url=base, config=CollectConfig(max_posts=2)
    )
    assert (first.posts, first.finished) == (2, False)
    server.log.clear()
    second = collect_x("q", out, bearer_token="secret", base_url=base, resume=True)
    assert (second.posts, second.pages, second.finished) == (5, 2, True)
    assert server.log[0][1]["next_token"] == ["b26v89c19zqg8o3fr5"]  # page 1 is not fetched again
    assert len(out.read_text().splitlines()) == 5


def test_x_bad_token_and_missing_token_are_user_errors(server, tmp_path, monkeypatch):
    server.route = _x_route({"limited": True})
    base = f"http://127.0.0.1:{server.server_port}"
    with pytest.raises(CastlabError, match="HTTP 401"):
        collect_x("q", tmp_path / "x.jsonl", bearer_token="wrong", base_url=base)
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with pytest.raises(CastlabError, match="X_BEARER_TOKEN"):
        collect_x("q", tmp_path / "x.jsonl", base_url=base)


def test_server_errors_are_retried_then_reported(server):
    calls = []

    def route(handler, path, query):
        calls.append(path)
        return (503, {}, "{}") if len(calls) < 3 else (200, {}, '{"ok": true}')

    server.route = route
    waits: list[float] = []
    exact = CollectConfig(jitter=0.0)
    body, _ = get_json(f"http://127.0.0.1:{server.server_port}/a", config=exact, sleep=waits.append)
    assert body == {"ok": True} and waits == [1.0, 2.0]
    calls.clear()
    with pytest.raises(CastlabError, match="HTTP 503"):
        get_json(
            f"http://127.0.0.1:{server.server_port}/a",
            config=CollectConfig(max_retries=1),
            sleep=waits.append,
        )


def test_mastodon_hashtag_follows_link_headers(server, tmp_path):
    def route(handler, path, query):
        base = f"http://127.0.0.1:{server.server_port}"
        assert path == "/api/v1/timelines/tag/caturday"
        if "max_id" not in query:
            link = f'<{base}{path}?limit=40&max_id=113500000000000001>; rel="next", <{base}{path}?min_id=2>; rel="prev"'
            return 200, {"Link": link}, (RECORDED / "mastodon_tag_page1.json").read_text()
        if query["max_id"] == ["113500000000000001"]:
            link = f'<{base}{path}?limit=40&max_id=113499999999999999>; rel="next"'
            return 200, {"Link": link}, (RECORDED / "mastodon_tag_page2.json").read_text()
        return 200, {}, "[]"

    server.route = route
    out = tmp_path / "m.jsonl"
    result = collect_mastodon(
        out, instance=f"http://127.0.0.1:{server.server_port}", hashtag="#caturday"
    )
    assert (result.posts, result.finished) == (3, True)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["text"] == "My cat knocked over the plant again & I am not even mad #caturday"
    assert lines[1]["text"] == "Sunny window, happy cat second paragraph"
    assert lines[2]["author"] == "dan@other.example"  # a boost counts as the original post


def test_mastodon_account_looks_up_the_id_first(server, tmp_path):
    def route(handler, path, query):
        if path == "/api/v1/accounts/lookup":
            assert query["acct"] == ["bob"]
            return 200, {}, '{"id": "42", "acct": "bob"}'
        assert path == "/api/v1/accounts/42/statuses"
        return 200, {}, (RECORDED / "mastodon_tag_page1.json").read_text()

    server.route = route
    result = collect_mastodon(
        tmp_path / "m.jsonl", instance=f"http://127.0.0.1:{server.server_port}", account="bob"
    )
    assert (result.posts, result.pages, result.finished) == (2, 1, True)


def test_mastodon_needs_exactly_one_timeline(tmp_path):
    with pytest.raises(CastlabError, match="one of hashtag and account"):
        collect_mastodon(
            tmp_path / "m.jsonl", instance="http://127.0.0.1:9", hashtag="a", account="b"
        )


def _flaky(server, failure, failures: int = 1):
    """A route that fails ``failures`` times with ``failure(handler)``, then answers JSON."""
    calls = []

    def route(handler, path, query):
        calls.append(path)
        if len(calls) <= failures:
            return failure(handler)
        return 200, {}, '{"ok": true}'

    server.route = route
    return calls


def _reset(handler):
    """Close the connection with a TCP reset, as a crashing proxy does."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def _slow(handler):
    time.sleep(0.6)
    return 200, {}, '{"late": true}'


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(_reset, id="connection reset"),
        pytest.param(lambda handler: handler.connection.close(), id="closed without an answer"),
        pytest.param(_slow, id="read timeout"),
        pytest.param(lambda handler: (200, {}, "<html>busy</html>"), id="200 that is not JSON"),
        pytest.param(lambda handler: (200, {}, '{"cut": '), id="200 cut short"),
    ],
)
def test_transient_failures_are_retried_with_jittered_backoff(server, failure):
    calls = _flaky(server, failure, failures=2)
    waits: list[float] = []
    config = CollectConfig(timeout_s=0.3, backoff_s=1.0, jitter=0.25)
    url = f"http://127.0.0.1:{server.server_port}/a"
    body, _ = get_json(url, config=config, sleep=waits.append, rng=random.Random(0))
    assert body == {"ok": True} and len(calls) == 3
    assert len(waits) == 2 and 0.75 <= waits[0] <= 1.25 and 1.5 <= waits[1] <= 2.5
    assert waits[0] != 1.0  # jittered
    calls.clear()
    with pytest.raises(CastlabError, match="failed 2 times"):
        get_json(url, config=CollectConfig(timeout_s=0.3, max_retries=1), sleep=waits.append)


def test_retry_after_as_an_http_date_is_honoured(server):
    def too_many(handler):
        when = formatdate(time.time() + 120, usegmt=True)
        return 429, {"Retry-After": when}, "{}"

    _flaky(server, too_many)
    waits: list[float] = []
    get_json(f"http://127.0.0.1:{server.server_port}/a", sleep=waits.append)
    assert len(waits) == 1 and 117 <= waits[0] <= 120


def test_mastodon_iso_reset_is_waited_for_without_retry_after(server):
    def too_many(handler):
        reset = datetime.fromtimestamp(time.time() + 300, tz=UTC).isoformat()
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
        return 429, {**headers, "X-RateLimit-Reset": reset.replace("+00:00", "Z")}, "{}"

    _flaky(server, too_many)
    waits: list[float] = []
    get_json(f"http://127.0.0.1:{server.server_port}/a", sleep=waits.append)
    assert len(waits) == 1 and 297 <= waits[0] <= 301  # the 5-minute window, not 1 s backoff


def test_a_wait_longer_than_allowed_stops_with_a_resume_hint(server):
    _flaky(
        server, lambda handler: (429, {"x-rate-limit-reset": str(int(time.time()) + 3600)}, "{}")
    )
    with pytest.raises(CastlabError, match="rate limited for .* s.*--resume"):
        get_json(f"http://127.0.0.1:{server.server_port}/a", sleep=lambda s: None)


@pytest.mark.parametrize("source", ["x", "mastodon"])
def test_collectors_pace_before_the_limit(server, tmp_path, source):
    """With 1 request left in the window the next page waits for the reset, not for a 429."""
    base = f"http://127.0.0.1:{server.server_port}"

    def route(handler, path, query):
        reset_at = time.time() + 60
        if source == "x":
            limits = {"x-rate-limit-remaining": "1", "x-rate-limit-reset": str(int(reset_at))}
            page = "x_page1.json" if "next_token" not in query else "x_page3.json"
            return 200, limits, (RECORDED / page).read_text()
        reset = datetime.fromtimestamp(reset_at, tz=UTC).isoformat()
        limits = {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": reset}
        if "max_id" not in query:
            limits["Link"] = f'<{base}{path}?max_id=1>; rel="next"'
            return 200, limits, (RECORDED / "mastodon_tag_page1.json").read_text()
        return 200, limits, "[]"

    server.route = route
    waits: list[float] = []
    out = tmp_path / "posts.jsonl"
    if source == "x":
        collect_x("q", out, bearer_token="x", base_url=base, sleep=waits.append)
    else:
        collect_mastodon(out, instance=base, hashtag="cats", sleep=waits.append)
    assert len(server.log) == 2 and len(waits) == 1  # one wait, between the two pages
    assert 55 <= waits[0] <= 62


def test_a_file_collect_did_not_write_is_never_deleted(server, tmp_path):
    server.route = _x_route({"limited": True})
    base = f"http://127.0.0.1:{server.server_port}"
    mine = tmp_path / "mine.jsonl"
    mine.write_text('{"text": "post 1"}\n')
    for resume in (False, True):  # it was deleted before the first request, either way
        with pytest.raises(CastlabError, match="already exists"):
            collect_x("q", mine, bearer_token="secret", base_url=base, resume=resume)
        assert mine.read_text() == '{"text": "post 1"}\n'
    # an earlier collection's file is replaced, but only once a page has arrived
    out = tmp_path / "x.jsonl"
    collect_x("q", out, bearer_token="secret", base_url=base, config=CollectConfig(max_posts=2))
    before = out.read_text()
    with pytest.raises(CastlabError, match="HTTP 401"):
        collect_x("q", out, bearer_token="wrong", base_url=base)
    assert out.read_text() == before
    again = collect_x("q", out, bearer_token="secret", base_url=base)
    assert again.posts == 5 and len(out.read_text().splitlines()) == 5
