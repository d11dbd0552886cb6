"""Collect posts from APIs that still offer them: X API v2 recent search, Mastodon timelines.

Both collectors page through results; wait on HTTP 429 as ``Retry-After`` says (seconds or
an HTTP date) or until the window resets (X's ``x-rate-limit-reset``, Unix seconds;
Mastodon's ``X-RateLimit-Reset``, an ISO time); slow down before the limit when
``*-remaining`` runs low; retry server errors, read timeouts, connection resets and answers
that are not JSON with exponential backoff and jitter; append every page to a JSONL file that
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
import http.client
import json
import os
import random
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
    "Pacer",
    "collect_mastodon",
    "collect_x",
    "get_json",
    "next_link",
    "pacing_wait",
    "rate_limit_wait",
    "strip_html",
]

X_TOKEN_VARIABLE = "X_BEARER_TOKEN"


@dataclass(frozen=True)
class CollectConfig:
    """Limits of one collection run."""

    max_posts: int = 1000  # stop after this many posts in total (including a resumed part)
    page_size: int = 100  # X allows 10-100 per page, Mastodon up to 40
    max_retries: int = 5  # per request: 429, 5xx, timeouts, resets, answers that are not JSON
    max_wait_s: float = 900.0  # longest single wait on a rate limit (X resets every 15 min)
    timeout_s: float = 30.0  # per request
    backoff_s: float = 1.0  # first wait after a failure, doubled per attempt
    jitter: float = 0.25  # each backoff is scaled by a random factor in [1 - j, 1 + j]
    pace_below: int = 2  # with this few requests left in the window, spread them to the reset


@dataclass(frozen=True)
class CollectResult:
    """What a run did: posts written in total, pages fetched now, and whether it finished."""

    posts: int
    pages: int
    finished: bool  # True when the source had no more pages (False: stopped at max_posts)
    path: Path


def _header(headers: Any, *names: str) -> str | None:
    """The first of ``names`` present, in any case (``email.message.Message`` or a dict)."""
    if headers is None:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


# X says x-rate-limit-*, Mastodon X-RateLimit-*
_RESET = ("x-rate-limit-reset", "x-ratelimit-reset")
_REMAINING = ("x-rate-limit-remaining", "x-ratelimit-remaining")


def _moment(value: str) -> float | None:
    """Seconds since the epoch of an HTTP date, an ISO 8601 time or a Unix timestamp.

    Examples
    --------
    >>> _moment("Wed, 21 Oct 2015 07:28:00 GMT"), _moment("2015-10-21T07:28:00.000Z")
    (1445412480.0, 1445412480.0)
    >>> _moment("1445412480"), _moment("soon")
    (1445412480.0, None)
    """
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def rate_limit_wait(headers: Any, now: float) -> float | None:
    """Seconds to wait before asking again, from the rate-limit headers of an answer.

    ``Retry-After`` (seconds, or an HTTP date) comes first; then the window's reset:
    X's ``x-rate-limit-reset`` (Unix seconds) or Mastodon's ``X-RateLimit-Reset`` (an ISO
    8601 time). ``None`` when the answer says nothing usable.

    Examples
    --------
    >>> rate_limit_wait({"Retry-After": "7"}, now=0.0)
    7.0
    >>> rate_limit_wait({"Retry-After": "Thu, 01 Jan 1970 00:01:40 GMT"}, now=40.0)
    60.0
    >>> rate_limit_wait({"X-RateLimit-Reset": "1970-01-01T00:05:00.000Z"}, now=0.0)
    301.0
    """
    retry_after = _header(headers, "Retry-After")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            moment = _moment(retry_after)
            if moment is not None:
                return max(moment - now, 0.0)
    reset = _header(headers, *_RESET)
    moment = None if reset is None else _moment(reset)
    if moment is None:
        return None
    if moment < 1e9:  # a small number is a delay in seconds, not a time
        moment += now
    return max(moment - now, 0.0) + 1.0  # a second more: the two clocks differ


def pacing_wait(headers: Any, now: float, config: CollectConfig) -> float:
    """Seconds to wait before the next request so the window's last requests are not spent.

    With ``x-rate-limit-remaining`` (X) / ``X-RateLimit-Remaining`` (Mastodon) at or below
    ``config.pace_below``, the time to the reset is shared out over the requests left (all
    of it when none are left). Otherwise 0.

    Examples
    --------
    >>> headers = {"x-rate-limit-remaining": "1", "x-rate-limit-reset": "100"}
    >>> pacing_wait(headers, now=0.0, config=CollectConfig())
    101.0
    >>> pacing_wait({**headers, "x-rate-limit-remaining": "40"}, now=0.0, config=CollectConfig())
    0.0
    """
    remaining = _header(headers, *_REMAINING)
    try:
        left = int(float(remaining)) if remaining is not None else None
    except ValueError:
        left = None
    if left is None or left > config.pace_below:
        return 0.0
    wait = rate_limit_wait({"x-rate-limit-reset": _header(headers, *_RESET)}, now)
    if wait is None:
        return 0.0
    return wait if left <= 1 else wait / left


def _backoff(attempt: int, config: CollectConfig, rng: random.Random) -> float:
    spread = rng.uniform(1 - config.jitter, 1 + config.jitter) if config.jitter else 1.0
    return config.backoff_s * 2**attempt * spread


# failures worth another try: the server or the network had a bad moment
_TRANSIENT = (TimeoutError, ConnectionError, http.client.HTTPException, urllib.error.URLError)


class Pacer:
    """Waits before a request when the previous answer said the window is nearly spent."""

    def __init__(self) -> None:
        self.wait = 0.0

    def before(self, sleep: Callable[[float], None]) -> None:
        if self.wait > 0:
            sleep(self.wait)
        self.wait = 0.0


def get_json(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    config: CollectConfig = CollectConfig(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    pacer: Pacer | None = None,
) -> tuple[Any, dict[str, str]]:
    """GET ``url`` and return ``(json body, headers)``.

    Retries (up to ``config.max_retries``) HTTP 429 and 5xx, read timeouts, connection
    resets and 200 answers that are not JSON; waits as long as the rate-limit headers say
    (:func:`rate_limit_wait`), else backs off exponentially with jitter. With a ``pacer``
    it also waits before the request as the last answer's headers asked
    (:func:`pacing_wait`). ``sleep``, ``clock`` and ``rng`` are injectable for tests.
    """
    rng = rng or random.Random()
    request = urllib.request.Request(url, headers={"User-Agent": "castlab", **(headers or {})})
    problem = ""
    for attempt in range(config.max_retries + 1):
        if pacer is not None:
            pacer.before(sleep)
        wait: float | None = None
        try:
            with urllib.request.urlopen(request, timeout=config.timeout_s) as response:
                raw = response.read()
                answer = dict(response.headers.items())
            body = json.loads(raw.decode("utf-8"))
            if pacer is not None:
                pacer.wait = pacing_wait(answer, clock(), config)
            return body, answer
        except urllib.error.HTTPError as error:
            retriable = error.code == 429 or error.code >= 500
            if not retriable or attempt == config.max_retries:
                detail = error.read().decode("utf-8", "replace")[:200]
                fix = "check the bearer token" if error.code in (401, 403) else "check the query"
                if retriable:
                    fix = "run again later with --resume"
                raise CastlabError(f"HTTP {error.code} from {url}: {detail}", fix=fix) from None
            wait = rate_limit_wait(error.headers, clock()) if error.code == 429 else None
            problem = f"HTTP {error.code}"
        except (ValueError, UnicodeDecodeError) as error:  # a 200 whose body is not JSON
            problem = f"an answer that is not JSON ({str(error)[:60]})"
        except _TRANSIENT as error:
            reason = getattr(error, "reason", error)
            problem = f"{type(reason).__name__}: {reason}"
        if attempt == config.max_retries:
            break
        if wait is None:
            wait = _backoff(attempt, config, rng)
        if wait > config.max_wait_s:
            raise CastlabError(
                f"rate limited for {wait:.0f} s", fix="run again later with --resume"
            ) from None
        sleep(wait)
    raise CastlabError(
        f"{url} failed {config.max_retries + 1} times, last with {problem}",
        fix="check the network and run again with --resume",
    )


def _pages(
    out: Path,
    fetch_page: Callable[[str | None], tuple[list[dict], str | None]],
    config: CollectConfig,
    resume: bool,
) -> CollectResult:
    """Drive pagination: append each page to ``out`` and save the cursor after it.

    A fresh run replaces an earlier collection's file (one with its ``.state.json``) only
    once its first page has arrived, and refuses any other file that is in the way.
    """
    state_path = out.with_name(out.name + ".state.json")
    cursor, posts = None, 0
    resuming = resume and state_path.exists()
    if resuming:
        state = read_json(state_path)
        cursor, posts = state["cursor"], int(state["posts"])
        if state.get("finished"):
            return CollectResult(posts, 0, True, out)
    elif out.exists() and (resume or not state_path.exists()) and out.stat().st_size > 0:
        raise CastlabError(
            f"already exists and no {state_path.name} says where a collection into it stopped"
            if resume
            else "already exists and was not written by castlab sentiment collect",
            path=out,
            fix="choose another --out, or move the file away first",
        )
    pages, finished = 0, False
    out.parent.mkdir(parents=True, exist_ok=True)
    while posts < config.max_posts:
        records, cursor = fetch_page(cursor)
        records = records[: config.max_posts - posts]
        mode = "a" if resuming or pages else "w"  # an earlier collection's file: replaced now
        with out.open(mode, encoding="utf-8") as handle:
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
    pacer = Pacer()

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
        body, _ = get_json(url, headers=headers, config=config, sleep=sleep, pacer=pacer)
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
    pacer = Pacer()
    if hashtag is not None:
        first = (
            f"{base}/api/v1/timelines/tag/{urllib.parse.quote(hashtag.lstrip('#'))}?limit={limit}"
        )
    else:
        lookup = f"{base}/api/v1/accounts/lookup?{urllib.parse.urlencode({'acct': account})}"
        user, _ = get_json(lookup, config=config, sleep=sleep, pacer=pacer)
        first = f"{base}/api/v1/accounts/{user['id']}/statuses?limit={limit}&exclude_reblogs=true"

    def fetch_page(cursor: str | None) -> tuple[list[dict], str | None]:
        body, headers = get_json(cursor or first, config=config, sleep=sleep, pacer=pacer)
        link = next((v for k, v in headers.items() if k.lower() == "link"), None)
        return list(_mastodon_records(body)), next_link(link) if body else None

    return _pages(Path(out), fetch_page, config, resume)
