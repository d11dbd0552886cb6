"""Collectors against a local HTTP server replaying recorded answers; no network."""

from __future__ import annotations

import json
import threading
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
        status, headers, body = self.server.route(self, url.path, parse_qs(url.query))  # type: ignore[attr-defined]
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


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
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
    body, _ = get_json(f"http://127.0.0.1:{server.server_port}/a", sleep=waits.append)
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
