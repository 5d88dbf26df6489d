"""`digest fetch`: each subscription's feed, asked politely, its new entries written as seed documents in
the Smartable format (one file per story, `YYYY-MM-DD-slug.md`), which the build then reads like any
other. The build never fetches.

- Subscriptions: an OPML file (`subscriptions` in site.yml, or --opml), as feed readers export it.
  An outline with the category `keep-all` keeps every entry; any other feed's entries that match
  none of the site's topics (content/topics.yml, as the build assigns them) are skipped.
- Each story once: an entry is known again by its guid within its feed, and by its canonical URL
  across feeds and against every document the site already has. An entry whose title, summary or
  image changed rewrites its own file (same file, same id).
- A subscription seen for the first time gives at most `new_feed_items` of its newest entries; the
  rest of its backlog is remembered as seen, not published.
- Politeness: conditional requests (ETag, Last-Modified), a permanent redirect followed and
  remembered, 410 never asked again, 429/503 not asked before Retry-After (an hour if unsaid), a
  failing feed asked less often (1, 2, 4 ... 24 hours after its 1st, 2nd ... failure in a row).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import listparser
import yaml
from tqdm import tqdm

from generator.cache import load_reads
from generator.config import ConfigError, SiteConfig
from generator.diagnostics import Diagnostics
from generator.fetch import Fetcher, Limits, Reason, Refused, user_agent
from generator.intake.entries import FeedEntry, ParsedFeed, parse_feed
from generator.intake.state import FeedState, Seen, State, read_state, write_state
from generator.output import replace_file
from generator.sources import read_sources, read_taxonomy
from generator.sources.topics import match_topics
from generator.stories import canonical_url
from generator.urls import Urls, slug as title_slug

KEEP_ALL = "keep-all"  # an outline category: this subscription's entries need match no topic
WORKERS = 8
BUSY_WAIT = timedelta(hours=1)  # after a 429 or 503 that said nothing of when to come back
FAILURE_WAITS = (1, 2, 4, 8, 16, 24)  # hours before a feed that failed 1, 2, ... times in a row is asked again
SLUG_CHARS = 80


@dataclass(frozen=True, slots=True)
class Subscription:
    url: str
    title: str
    keep_all: bool


@dataclass(frozen=True)
class FetchReport:
    feeds: int
    not_modified: int
    new: tuple[str, ...]  # files written
    updated: tuple[str, ...]
    off_topic: int
    duplicates: int
    backlog: int  # a new subscription's older entries, remembered but not published
    waiting: int  # feeds not asked this time (gone, or asked to wait)
    failures: tuple[tuple[str, str], ...]  # (feed URL, why)
    seconds: float
    note: str = ""

    def summary(self, verbose: bool = False) -> str:
        lines = [f"digest fetch: {self.feeds} feeds: {len(self.new)} new stories, {len(self.updated)} updated, "
                 f"{self.not_modified} not modified, {self.off_topic} off topic, {self.duplicates} already known, "
                 f"{self.backlog} older entries of new feeds left out, {self.waiting} feeds waiting, "
                 f"{len(self.failures)} failed, {self.seconds:.2f} s"]
        lines += [f"  failed: {url}: {why}" for url, why in self.failures] + ([self.note] if self.note else [])
        if verbose:
            lines += [f"  new: {path}" for path in self.new] + [f"  updated: {path}" for path in self.updated]
        return "\n".join(lines)


def read_subscriptions(path: Path) -> list[Subscription]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path.name}: cannot read the subscriptions: {error.strerror}") from None
    parsed = listparser.parse(data)
    if parsed.bozo and not parsed.feeds:
        raise ConfigError(f"{path.name}: not an OPML list of feeds ({parsed.bozo_exception})")
    found = {}
    for feed in parsed.feeds:
        if feed.url and feed.url.startswith(("http://", "https://")):
            found.setdefault(feed.url, Subscription(feed.url, feed.title or feed.url,
                                                    KEEP_ALL in (tag.lower() for tag in feed.tags)))
    return [found[url] for url in sorted(found)]


def run_fetch(config: SiteConfig, opml: Path | None = None, show_progress: bool = False,
              limits: Limits = Limits(), now: datetime | None = None) -> FetchReport:
    started = time.perf_counter()
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if opml is None and not (config.root / config.subscriptions).exists():
        return FetchReport(0, 0, (), (), 0, 0, 0, 0, (), time.perf_counter() - started,
                           f"no {config.subscriptions}: nothing to fetch (see *Fetching* in the README)")
    subscriptions = read_subscriptions(opml or config.root / config.subscriptions)
    folder = config.root / (config.fetch_into or config.sources[0])
    diagnostics = Diagnostics()
    taxonomy = read_taxonomy(config, diagnostics)
    known_urls = _known_urls(config, taxonomy)
    state = read_state(config)
    due = [s for s in subscriptions if _due(state.feeds.get(s.url, FeedState()), now)]
    fetched: dict[str, ParsedFeed | Refused | None] = {}
    with Fetcher(user_agent(Urls(config.url, config.base_path).absolute()), limits) as fetcher, \
            ThreadPoolExecutor(WORKERS) as pool, \
            tqdm(total=len(due), desc="fetching", unit=" feeds", leave=False, disable=not show_progress) as bar:
        def one(subscription: Subscription):
            result = _fetch(fetcher, subscription, state.feeds.get(subscription.url, FeedState()), now)
            bar.update()
            return result
        for subscription, (feed_state, result) in zip(due, pool.map(one, due)):
            state.feeds[subscription.url] = feed_state
            fetched[subscription.url] = result
    counts: Counter = Counter()
    new, updated = [], []
    for subscription in due:  # in URL order, so the same feeds always give the same files
        result = fetched[subscription.url]
        if isinstance(result, ParsedFeed):
            _take(config, subscription, result, state, folder, taxonomy, known_urls, now, counts, new, updated)
        elif result is None:
            counts["not_modified"] += 1
    write_state(config, state)
    failures = tuple((s.url, str(fetched[s.url])) for s in due if isinstance(fetched[s.url], Refused))
    return FetchReport(len(subscriptions), counts["not_modified"], tuple(new), tuple(updated), counts["off_topic"],
                       counts["duplicates"], counts["backlog"], len(subscriptions) - len(due), failures,
                       time.perf_counter() - started)


def _due(feed: FeedState, now: datetime) -> bool:
    return not feed.gone and not (feed.retry_after and datetime.fromisoformat(feed.retry_after) > now)


def _fetch(fetcher: Fetcher, subscription: Subscription, feed: FeedState,
           now: datetime) -> tuple[FeedState, ParsedFeed | Refused | None]:
    """The feed's new state, and its entries (None: not modified since the last run)."""
    try:
        response = fetcher.get(feed.moved_to or subscription.url, feed.etag, feed.last_modified)
        parsed = None if response.status == 304 else parse_feed(response.body, response.content_type)
    except Refused as refused:
        if refused.reason is Reason.GONE:
            return replace(feed, gone=True), refused
        failures = feed.failures + 1
        wait = (timedelta(seconds=refused.retry_after) if refused.retry_after is not None else BUSY_WAIT) \
            if refused.reason is Reason.BUSY else timedelta(hours=FAILURE_WAITS[min(failures, len(FAILURE_WAITS)) - 1])
        return replace(feed, failures=failures, retry_after=(now + wait).isoformat()), refused
    moved = response.moved_to or feed.moved_to
    return FeedState(etag=response.etag or ("" if parsed is not None else feed.etag),
                     last_modified=response.last_modified or ("" if parsed is not None else feed.last_modified),
                     moved_to=moved, last_success=now.isoformat()), parsed


def _take(config: SiteConfig, subscription: Subscription, feed: ParsedFeed, state: State, folder: Path, taxonomy,
          known_urls: dict[str, str], now: datetime, counts: Counter, new: list[str], updated: list[str]) -> None:
    first_time = not any(key.startswith(subscription.url + " ") for key in state.entries)
    entries = sorted(feed.entries, key=lambda e: (e.published or now, e.guid), reverse=True)
    for rank, entry in enumerate(entries):
        key = State.key(subscription.url, entry.guid)
        seen = state.entries.get(key)
        if seen is not None:
            if seen.file and seen.digest != entry.digest and (config.root / seen.file).is_file():
                _write(config.root / seen.file, _document(config, subscription, feed, entry, taxonomy, now))
                state.entries[key] = Seen(seen.file, entry.digest)
                updated.append(seen.file)
            continue
        if first_time and rank >= config.new_feed_items:
            state.entries[key] = Seen("")
            counts["backlog"] += 1
            continue
        url = canonical_url(entry.link or "")
        if url and url in known_urls:
            state.entries[key] = Seen("")
            counts["duplicates"] += 1
            continue
        topics = match_topics(f"{entry.title}\n{entry.summary}", taxonomy)
        if not topics and not subscription.keep_all:
            state.entries[key] = Seen("")
            counts["off_topic"] += 1
            continue
        path = _free_path(folder, entry, now)
        _write(path, _document(config, subscription, feed, entry, taxonomy, now))
        relative = path.relative_to(config.root).as_posix()
        state.entries[key] = Seen(relative, entry.digest)
        if url:
            known_urls[url] = relative
        new.append(relative)


def _document(config: SiteConfig, subscription: Subscription, feed: ParsedFeed, entry: FeedEntry, taxonomy,
              now: datetime) -> str:
    """The entry as a news item in the Smartable format, every field the build reads and no other."""
    when = min(entry.published or now, now)  # a date in the future is the feed's mistake
    outlet = feed.title or subscription.title
    domain = _domain(entry.link or feed.link or subscription.url)
    meta = {
        "id": "fetched/" + hashlib.sha256(f"{subscription.url}\0{entry.guid}".encode()).hexdigest()[:20],
        "title": entry.title,
        "excerpt": entry.summary,
        "publishedDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provider": {"name": outlet, "domain": domain} if domain else {"name": outlet},
        # A keep-all feed's entry may match no topic: it is filed under the first, never under none.
        "topics": list(match_topics(f"{entry.title}\n{entry.summary}", taxonomy))
        or [taxonomy[0].name if taxonomy else "News"],
    }
    if entry.link:
        meta["webUrl"] = entry.link
    if entry.image:
        meta["images"] = [{"url": entry.image}]
    if not meta["excerpt"]:
        del meta["excerpt"]
    return "---\n" + yaml.safe_dump(meta, sort_keys=True, allow_unicode=True, width=1000) + "---\n"


def _domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _free_path(folder: Path, entry: FeedEntry, now: datetime) -> Path:
    when = min(entry.published or now, now)
    slug = title_slug(entry.title, SLUG_CHARS) or "story"
    path, number = folder / f"{when:%Y-%m-%d}-{slug}.md", 1
    while path.exists():
        number += 1
        path = folder / f"{when:%Y-%m-%d}-{slug}-{number}.md"
    return path


def _write(path: Path, text: str) -> None:
    replace_file(path, text.encode("utf-8"))


def _known_urls(config: SiteConfig, taxonomy) -> dict[str, str]:
    """The canonical URL of every document the site has (the read cache spares parsing them again)."""
    articles = read_sources(config, taxonomy, Diagnostics(), cache=load_reads(config, taxonomy))
    return {url: article.file for article in articles for url in
            {canonical_url(u) for u in (article.outlet_url or "", *article.alternate_urls)} - {""}}
