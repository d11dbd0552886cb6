"""Collect posts from APIs that still offer them: X API v2 recent search, Mastodon timelines.

Both collectors page through results, wait on HTTP 429 (``Retry-After`` or X's
``x-rate-limit-reset``) and retry server errors, append every page to a JSONL file that
:func:`castlab.sentiment.data.read_posts` reads, and keep a small ``<out>.state.json`` so an
interrupted run continues where it stopped (``resume=True``). Only the standard library's
HTTP client is used; ``base_url`` points the collectors at a replay server in tests.

Examples
--------
>>> next_link('<https://m.social/api/v1/timelines/tag/cats?max_id=7>; rel="next", <x>; rel="prev"')
'https://m.social/api/v1/timelines/tag/cats?max_id=7'
>>> strip_html("<p>Hi &amp; <a href='#'>#cats</a></p><p>bye</p>")
'Hi & #cats bye'
"""

from __future__ import annotations

import html
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from castlab.core.artifacts import read_json, write_json
from castlab.core.errors import CastlabError

__all__ = [
    "CollectConfig",
    "CollectResult",
    "collect_mastodon",
    "collect_x",
    "get_json",
    "next_link",
    "strip_html",
]

X_TOKEN_VARIABLE = "X_BEARER_TOKEN"


@dataclass(frozen=True)
class CollectConfig:
    """Limits of one collection run."""

    max_posts: int = 1000  # stop after this many posts in total (including a resumed part)
    page_size: int = 100  # X allows 10-100 per page, Mastodon up to 40
    max_retries: int = 5  # per request, for 429 and 5xx answers
    max_wait_s: float = 900.0  # longest single wait on a rate limit (X resets every 15 min)
    timeout_s: float = 30.0  # per request


@dataclass(frozen=True)
class CollectResult:
    """What a run did: posts written in total, pages fetched now, and whether it finished."""

    posts: int
    pages: int
    finished: bool  # True when the source had no more pages (False: stopped at max_posts)
    path: Path


def _wait_seconds(error: urllib.error.HTTPError, attempt: int) -> float:
    retry_after = error.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            pass
    reset = error.headers.get("x-rate-limit-reset")
    if reset is not None:
        try:
            return max(float(reset) - time.time(), 0.0) + 1.0
        except ValueError:
            pass
    return float(2**attempt)


def get_json(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    config: CollectConfig = CollectConfig(),
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Any, dict[str, str]]:
    """GET ``url`` and return ``(json body, headers)``, waiting on 429 and retrying 5xx."""
    request = urllib.request.Request(url, headers={"User-Agent": "castlab", **(headers or {})})
    for attempt in range(config.max_retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=config.timeout_s) as response:
                return json.load(response), dict(response.headers.items())
        except urllib.error.HTTPError as error:
            retriable = error.code == 429 or error.code >= 500
            if not retriable or attempt == config.max_retries:
                detail = error.read().decode("utf-8", "replace")[:200]
                fix = "check the bearer token" if error.code in (401, 403) else "check the query"
                raise CastlabError(f"HTTP {error.code} from {url}: {detail}", fix=fix) from None
            wait = _wait_seconds(error, attempt)
            if wait > config.max_wait_s:
                raise CastlabError(
                    f"rate limited for {wait:.0f} s", fix="run again later with --resume"
                ) from None
            sleep(wait)
        except urllib.error.URLError as error:
            raise CastlabError(
                f"cannot reach {url}: {error.reason}", fix="check the network"
            ) from None
    raise AssertionError("unreachable")


def _pages(
    out: Path,
    fetch_page: Callable[[str | None], tuple[list[dict], str | None]],
    config: CollectConfig,
    resume: bool,
) -> CollectResult:
    """Drive pagination: append each page to ``out`` and save the cursor after it."""
    state_path = out.with_name(out.name + ".state.json")
    cursor, posts = None, 0
    if resume and state_path.exists():
        state = read_json(state_path)
        cursor, posts = state["cursor"], int(state["posts"])
        if state.get("finished"):
            return CollectResult(posts, 0, True, out)
    elif out.exists():
        out.unlink()  # a fresh run starts a fresh file
    pages, finished = 0, False
    out.parent.mkdir(parents=True, exist_ok=True)
    while posts < config.max_posts:
        records, cursor = fetch_page(cursor)
        records = records[: config.max_posts - posts]
        with out.open("a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        posts += len(records)
        pages += 1
        finished = cursor is None or not records
        write_json(state_path, {"cursor": cursor, "posts": posts, "finished": finished})
        if finished:
            break
    return CollectResult(posts, pages, finished, out)


def collect_x(
    query: str,
    out: str | Path,
    *,
    bearer_token: str | None = None,
    base_url: str = "https://api.x.com",
    config: CollectConfig = CollectConfig(),
    resume: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectResult:
    """Search the last 7 days of posts on X (API v2 ``/2/tweets/search/recent``) into JSONL.

    The bearer token comes from ``bearer_token`` or the ``X_BEARER_TOKEN`` variable. Each
    line holds ``id, text, author, time, lang, place, country, latitude, longitude``.
    """
    token = bearer_token or os.environ.get(X_TOKEN_VARIABLE)
    if not token:
        raise CastlabError(
            "no X bearer token", fix=f"export {X_TOKEN_VARIABLE}=<token from developer.x.com>"
        )
    if not query.strip():
        raise CastlabError("empty search query", fix='give e.g. --query "from:nasa lang:en"')
    headers = {"Authorization": f"Bearer {token}"}

    def fetch_page(cursor: str | None) -> tuple[list[dict], str | None]:
        params = {
            "query": query,
            "max_results": str(min(max(config.page_size, 10), 100)),
            "tweet.fields": "created_at,lang,geo,author_id",
            "expansions": "author_id,geo.place_id",
            "user.fields": "username",
            "place.fields": "full_name,country,country_code,geo",
        }
        if cursor:
            params["next_token"] = cursor
        url = f"{base_url.rstrip('/')}/2/tweets/search/recent?{urllib.parse.urlencode(params)}"
        body, _ = get_json(url, headers=headers, config=config, sleep=sleep)
        includes = body.get("includes", {})
        users = {u["id"]: u.get("username") for u in includes.get("users", [])}
        places = {p["id"]: p for p in includes.get("places", [])}
        records = []
        for tweet in body.get("data", []):
            geo = tweet.get("geo", {})
            place = places.get(geo.get("place_id"), {})
            point = geo.get("coordinates", {}).get("coordinates") or [None, None]
            records.append(
                {
                    "id": tweet["id"],
                    "text": tweet.get("text", ""),
                    "author": users.get(tweet.get("author_id"), tweet.get("author_id")),
                    "time": tweet.get("created_at"),
                    "lang": tweet.get("lang"),
                    "place": place.get("full_name"),
                    "country": place.get("country"),
                    "longitude": point[0],
                    "latitude": point[1],
                }
            )
        return records, body.get("meta", {}).get("next_token")

    return _pages(Path(out), fetch_page, config, resume)


_TAG = re.compile(r"<[^>]+>")


def strip_html(text: str) -> str:
    """Mastodon posts are HTML: drop the tags, decode entities, collapse whitespace."""
    text = re.sub(r"</p>|<br\s*/?>", " ", text)
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def next_link(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of an HTTP ``Link`` header (Mastodon's pagination)."""
    for part in (link_header or "").split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', part)
        if match:
            return match.group(1)
    return None


def _mastodon_records(statuses: list[dict]) -> Iterator[dict]:
    for status in statuses:
        status = status.get("reblog") or status
        yield {
            "id": status["id"],
            "text": strip_html(status.get("content", "")),
            "author": status.get("account", {}).get("acct"),
            "time": status.get("created_at"),
            "lang": status.get("language"),
        }


def collect_mastodon(
    out: str | Path,
    *,
    instance: str,
    hashtag: str | None = None,
    account: str | None = None,
    config: CollectConfig = CollectConfig(),
    resume: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectResult:
    """Page through a Mastodon hashtag timeline or an account's posts into JSONL.

    ``instance`` is a server URL such as ``https://mastodon.social``; public timelines need
    no token. Give exactly one of ``hashtag`` (without ``#``) and ``account`` (``name`` or
    ``name@server``).
    """
    if (hashtag is None) == (account is None):
        raise CastlabError(
            "give one of hashtag and account", fix="--hashtag cats or --account name"
        )
    base = instance.rstrip("/")
    if not base.startswith(("http://", "https://")):
        base = "https://" + base
    limit = str(min(config.page_size, 40))
    if hashtag is not None:
        first = (
            f"{base}/api/v1/timelines/tag/{urllib.parse.quote(hashtag.lstrip('#'))}?limit={limit}"
        )
    else:
        lookup = f"{base}/api/v1/accounts/lookup?{urllib.parse.urlencode({'acct': account})}"
        user, _ = get_json(lookup, config=config, sleep=sleep)
        first = f"{base}/api/v1/accounts/{user['id']}/statuses?limit={limit}&exclude_reblogs=true"

    def fetch_page(cursor: str | None) -> tuple[list[dict], str | None]:
        body, headers = get_json(cursor or first, config=config, sleep=sleep)
        link = next((v for k, v in headers.items() if k.lower() == "link"), None)
        return list(_mastodon_records(body)), next_link(link) if body else None

    return _pages(Path(out), fetch_page, config, resume)
