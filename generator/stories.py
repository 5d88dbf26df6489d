"""Stories: the documents that tell one story, so that each story can be listed once.

The same news often arrives several times: one press release fetched on two days, the same release
syndicated by two outlets, re-posts under a "RE-TRANSMISSION:" prefix or with a typo fixed, one blog
post under a second title. `cluster_stories` groups such documents; it is pure (articles in, stories
out) and leaves choosing which documents to give it (drafts or not) to the caller.

Two documents tell the same story when
- they name the same `story` key in their front matter (whatever the rules below say), or
- they were published as one story (the site's record, `Precedent`), or
- their URLs are the same page once normalised (see `canonical_url`), or
- their titles are near-identical (`TITLE_THRESHOLD`), published within `TITLE_WINDOW` of each other,
  with the same numbers and no word in one that the other lacks (bar small words and typos), unless
  they are one outlet's two pages on two days (a recurring headline such as a daily briefing).

A number in one title that the other lacks is a strong sign of another story ("2019 release wave 2"
vs "2020 release wave 1", "Forecast to 2025" vs "Forecast to 2021"), and so is an extra word
("Power Apps" vs "Power Apps Portals") or a word's opposite ("safe" vs "unsafe", "increases" vs
"decreases"), which is never taken for a typo. Two different `story` keys are never merged, nor two
stories already published, and a document with `cluster: false` is merged only through its own
`story` key.

Titles are compared only among candidates that share one of their rarest words within the time
window (prefix filtering: near-identical titles share most words, so they share one of those), and
documents with one title are compared as one run, so the work stays near-linear in the number of
documents even when one press release arrives thousands of times. The result depends only on the set
of articles (and the precedent): inputs are sorted first and every tie is broken by date and key.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from functools import lru_cache
from types import SimpleNamespace
from typing import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from generator.model import Article, in_folders, outlet_key

TITLE_THRESHOLD = 90  # rapidfuzz ratio (0-100) of the normalised titles
TITLE_WINDOW = timedelta(days=3)  # a re-post or a syndicated copy comes within days
TITLE_SPAN = timedelta(days=7)  # titles alone never make a story longer than this (daily "roundups")
TYPO_SIMILARITY = 0.75  # two words this close (ISTM/ITSM) count as one word misspelt
BLOCKING_WORDS = 3
NEIGHBOURS = 16  # titles compared with each title per shared word: bounds a flood of look-alike titles

# Tracking parameters: well-known ones that name who sent the reader, never which page it is. A site's
# own `ref`, `id` or `ocid` may name the page (article.php?ref=1001), so those count.
TRACKING = re.compile(r"utm_.*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|_hsenc|_hsmi"
                      r"|mkt_tok", re.I)
HOST_PREFIXES = (("www.",), ("m.", "amp."))  # at most one of each group, in this order
SHARED_SUFFIX = re.compile(r"(?:ac|co|com|edu|gov|ne|net|or|org)\.[a-z]{2}")  # "co.uk" is no one site
AMP_SEGMENTS = {"amp", "google-amp", "amphtml"}
AMP_CACHE = re.compile(r"^/[cv]/(s/)?([^/]+)(/.*)?$")  # <host>.cdn.ampproject.org/c/s/<host>/<path>
SAFE_PATH = "!$&'()*+,;=:@~-._"
PLAIN_PATH = re.compile(r"[\w!$&'()*+,;=:@~./-]*", re.A)  # nothing to decode or encode
# An http(s) URL with a lower-case host, no port, user, query or fragment and a plain path.
SIMPLE_URL = re.compile(rf"https?://([a-z0-9.-]+)(/{PLAIN_PATH.pattern})?", re.A)
# Wire services mark a repeat or a fix of a release in front of its headline.
WIRE_PREFIX = re.compile(r"^(?:re-?transmission|repeat|update[d]?|correct(?:ed|ion)|correcting and replacing)"
                         r"\s*(?:[:\-–—]\s*|(?<=replacing)\s)", re.I)
WORD = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
SMALL_WORDS = frozenset("a an the of to in on for and or at by with from as is".split())
# A word with one of these in front where the other has another (or none) is its opposite, not a typo:
# safe/unsafe, male/female, increases/decreases, legal/illegal, normal/abnormal, hypertension/hypotension.
OPPOSING_PREFIXES = ("", "a", "ab", "anti", "de", "dis", "down", "en", "fe", "hyper", "hypo", "il", "im", "in",
                     "inter", "intra", "ir", "macro", "mal", "max", "micro", "min", "mis", "non", "over", "post",
                     "pre", "un", "under", "up")
INFLECTIONS = ("", "s", "es", "d", "ed")  # approve/disapproves are still opposites


@dataclass(frozen=True, slots=True)
class Story:
    """Documents that tell one story.

    `members`: every document of the story, the lead included, ordered by (date, key).
    `key`: the story's feed identity: the id it was published under (see `Precedent`), else the key of
    its earliest member, so it stays put when a later copy arrives.
    `first`: the copy whose key the story's id is (its earliest for a story not yet published); the story
    is listed where that copy would be and lives at its address.
    `lead`: the document to show: the copy it was published showing, else an editor's copy, else among
    the copies from the first copy's outlet the highest `quality` (no quality ranks lowest), then the
    earliest date, then the smallest key. Another outlet's copy never leads, whatever its quality.
    `reason`: why the members were merged ("story key", "published story", "same URL", "similar title
    (93)" with the lowest title score that joined two of them, several joined by "; "); "" for a single
    document.
    """

    key: str
    lead: Article
    members: tuple[Article, ...]
    first: Article
    reason: str = ""

    @property
    def others(self) -> tuple[Article, ...]:
        """The members but the lead, by date: the "also covered by" list."""
        return tuple(member for member in self.members if member is not self.lead)


@dataclass(frozen=True)
class Precedent:
    """What the site has already published, as far as telling its stories apart goes (published.py
    reads it from the site's record). A published story keeps its id and its lead; two published
    stories are never merged; copies published as one story stay one (but a `cluster: false` copy)."""

    story_of: Mapping[str, str] = field(default_factory=dict)  # a document's source -> its published story's id
    lead_of: Mapping[str, str] = field(default_factory=dict)  # every published story's id -> its lead's source


NOTHING_PUBLISHED = Precedent()


def canonical_url(url: str) -> str:
    """A key for the page a URL names, for comparison (not a link): `host/path?query`.

    The scheme, a `www.` host prefix and then an `m.` or `amp.` one (never cutting a host to a shared
    suffix such as `co.uk`), default ports, a trailing slash, the fragment, well-known tracking
    parameters (`utm_*`, `fbclid`, `gclid`, ...; never `ref`, `id` or anything a site may use to name
    a page) and the order of parameters do not count, nor do the usual AMP variants (the AMP cache's
    address, an `amp` segment first or last in the path, `.amp.html`, `?amp`, `outputType=amp`).
    Anything but an absolute http(s) URL gives "".
    """
    url = url.strip()
    simple = SIMPLE_URL.fullmatch(url)
    if simple is not None:  # most URLs: what urlsplit would give is plain to see, and nothing to decode
        host, port, path, query = simple[1], None, simple[2] or "", ""
    else:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:
            return ""
        if parts.scheme.lower() not in ("http", "https") or not host:
            return ""
        path, query = parts.path, parts.query
    cached = AMP_CACHE.match(path) if host.endswith(".cdn.ampproject.org") else None
    if cached:
        host, port, path = cached[2].lower(), None, cached[3] or ""
    host = host.rstrip(".")
    for prefixes in HOST_PREFIXES:
        if host.startswith(prefixes):
            prefix = next(p for p in prefixes if host.startswith(p))
            if _registrable(host[len(prefix):]):
                host = host[len(prefix):]
    if simple is not None or PLAIN_PATH.fullmatch(path) is not None:
        segments = [s for s in path.split("/") if s]
    else:
        segments = [quote(unquote(s), safe=SAFE_PATH) for s in path.split("/") if s]
    if len(segments) > 1 and segments[-1].lower() in AMP_SEGMENTS:
        segments.pop()
    elif len(segments) > 1 and segments[0].lower() in AMP_SEGMENTS:
        segments.pop(0)
    if segments and segments[-1].lower().endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    if query:
        query = urlencode(sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                                 if not TRACKING.fullmatch(k) and k.lower() != "amp"
                                 and not (k.lower() == "outputtype" and v.lower() == "amp")))
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return netloc + ("/" if segments else "") + "/".join(segments) + ("?" + query if query else "")


def _registrable(host: str) -> bool:
    """Whether a host left after cutting a prefix still names one site: "jpost.com", not "com" or "co.uk"."""
    return "." in host and not SHARED_SUFFIX.fullmatch(host)


@dataclass(frozen=True, slots=True)
class _Title:
    text: str  # normalised: case-folded words joined by single spaces
    words: frozenset[str]  # words without digits, small words left out
    numbers: frozenset[str]  # tokens with a digit


def _normalise_title(article: Article) -> _Title:
    # An editor's headline (editorial.py) is no evidence of which story it is; the outlet's is.
    title = unicodedata.normalize("NFKC", article.outlet_title or article.title)
    while (prefix := WIRE_PREFIX.match(title)) is not None:
        title = title[prefix.end():]
    provider = article.provider.name if article.provider else ""
    folded = title.casefold()
    for separator in (" - ", " | ", " – ", " — ") if provider else ():
        suffix = separator + provider.casefold()  # "Headline - Outlet": the outlet is no part of the story
        if folded.endswith(suffix) and len(folded) > len(suffix):
            folded = folded[: -len(suffix)]
            break
    tokens = WORD.findall(folded.replace("'", "").replace("’", ""))  # "Nvidia’s" is one word
    words, numbers = set(), set()
    for token in tokens:
        if DIGIT.search(token):
            numbers.add(token)
        elif token not in SMALL_WORDS:
            words.add(token)
    return _Title(" ".join(tokens), frozenset(words), frozenset(numbers))


def story_urls(article: Article) -> tuple[str, ...]:
    """The pages the article's URLs name, as `canonical_url` gives them, sorted. Made once per process for
    each set of URLs, or handed over by `remember_urls`: a reading worker makes them beside the document,
    in parallel, and the read cache keeps them (made one by one here, they were a third of a 10k build's
    index)."""
    inputs = (article.outlet_url, article.alternate_urls)
    made = _story_urls.get(inputs)
    if made is None:
        made = _story_urls[inputs] = tuple(sorted(
            {canonical_url(u) for u in (article.outlet_url or "", *article.alternate_urls)} - {""}))
    return made


def remember_urls(article: Article, urls: tuple[str, ...]) -> None:
    """`urls` is what story_urls gave for `article` in another process."""
    _story_urls[(article.outlet_url, article.alternate_urls)] = urls


_story_urls: dict[tuple, tuple[str, ...]] = {}  # (outlet_url, alternate_urls) -> story_urls, until the next clustering


def _words_agree(a: _Title, b: _Title) -> bool:
    """Every word of one title is in the other, or misspelt there (ISTM for ITSM); a word and its
    negation or opposite (safe/unsafe, increases/decreases) are never one word misspelt."""
    only_a, only_b = a.words - b.words, b.words - a.words

    def misspelt(word: str, others: frozenset[str]) -> bool:
        return len(word) >= 4 and any(len(other) >= 4 and _fuzz().similarity(word, other) >= TYPO_SIMILARITY
                                      and not _opposites(word, other) for other in others)

    return all(misspelt(w, only_b) for w in only_a) and all(misspelt(w, only_a) for w in only_b)


def _opposites(a: str, b: str) -> bool:
    """One word is the other with an opposing prefix: "unsafe" for "safe", "decreases" for "increase"."""
    for mine in OPPOSING_PREFIXES:
        if not a.startswith(mine):
            continue
        stem = a[len(mine):]
        for theirs in OPPOSING_PREFIXES:
            if theirs != mine and b.startswith(theirs) and len(stem) >= 3:
                other = b[len(theirs):]
                shorter, longer = sorted((stem, other), key=len)
                if longer.startswith(shorter) and longer[len(shorter):] in INFLECTIONS:
                    return True
    return False


class _Groups:
    """Union-find over article positions (sorted by date, key): the earliest position is the root,
    so merging is deterministic. A merge is refused when it would join two story keys or two stories
    already published, or, for titles, make the story span more than TITLE_SPAN."""

    def __init__(self, articles: list[Article], times: list[float], published: list[str]):
        self.parent = list(range(len(articles)))
        self.story = [a.story for a in articles]
        self.published = list(published)
        self.first, self.last = list(times), list(times)
        self.reasons: dict[int, dict[str, float]] = defaultdict(dict)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def merge(self, i: int, j: int, reason: str, score: float = 100.0, span: float | None = None) -> bool:
        a, b = sorted((self.find(i), self.find(j)))
        if a == b:
            return False
        if self.story[a] and self.story[b] and self.story[a] != self.story[b]:
            return False
        if self.published[a] and self.published[b] and self.published[a] != self.published[b]:
            return False
        if span is not None and max(self.last[a], self.last[b]) - min(self.first[a], self.first[b]) > span:
            return False
        self.parent[b] = a
        self.story[a] = self.story[a] or self.story[b]
        self.published[a] = self.published[a] or self.published[b]
        self.first[a], self.last[a] = min(self.first[a], self.first[b]), max(self.last[a], self.last[b])
        merged = self.reasons[a]
        for name, value in [*self.reasons.pop(b, {}).items(), (reason, score)]:
            merged[name] = min(merged.get(name, value), value)
        return True

    def reason(self, root: int) -> str:
        found = self.reasons.get(root, {})
        parts = ["story key" if "story" in found else "", "published story" if "published" in found else "",
                 "same URL" if "url" in found else "",
                 f"similar title ({int(found['title'])})" if "title" in found else ""]
        return "; ".join(p for p in parts if p)


def cluster_stories(articles, tz: tzinfo = timezone.utc, precedent: Precedent = NOTHING_PUBLISHED,
                    editorial: tuple[str, ...] = ()) -> tuple[Story, ...]:
    """Group `articles` into stories; every article is in exactly one, alone if need be. Stories come
    in the order of their earliest member. `tz` tells which day a document is from; `precedent`, what
    the site already published; `editorial`, the source folders whose documents are the editors'."""
    ordered = sorted(articles, key=lambda a: (a.date, a.key, a.file, a.title))
    times = [a.date.timestamp() for a in ordered]
    labels = [precedent.story_of.get(a.file, "") for a in ordered]
    groups = _Groups(ordered, times, labels)
    _merge_story_keys(ordered, groups)
    urls = [frozenset(story_urls(a)) for a in ordered]
    _story_urls.clear()  # made or handed over for this clustering alone
    _merge_urls(ordered, urls, groups)
    _merge_titles(ordered, times, urls, groups, tz)
    _merge_published(ordered, labels, groups)
    members: dict[int, list[Article]] = defaultdict(list)
    for position, article in enumerate(ordered):
        members[groups.find(position)].append(article)
    found = [(tuple(group), groups.published[root], groups.reason(root) if len(group) > 1 else "")
             for root, group in members.items()]
    keys = _story_keys([(group, label) for group, label, _ in found], precedent)
    return tuple(_story(key, group, reason, precedent, editorial) for key, (group, _, reason) in zip(keys, found))


def _story(key: str, members: tuple[Article, ...], reason: str, precedent: Precedent,
           editorial: tuple[str, ...]) -> Story:
    if len(members) == 1:  # most stories: one copy, its own first and lead whatever the rules below say
        return Story(key=key, lead=members[0], members=members, first=members[0], reason=reason)
    published = key in precedent.lead_of
    first = next((m for m in members if m.key == key), None)
    recorded_lead = next((m for m in members if m.file == precedent.lead_of[key]), None) if published else None
    first = first or recorded_lead or members[0]
    if recorded_lead is not None:
        lead = recorded_lead
    else:
        editors = [m for m in members if in_folders(m.file, editorial)]
        outlet = outlet_key(first.outlet)
        lead = min(editors or [m for m in members if outlet_key(m.outlet) == outlet], key=_lead_rank)
    return Story(key=key, lead=lead, members=members, first=first, reason=reason)


def _story_keys(found: list[tuple[tuple[Article, ...], str]], precedent: Precedent) -> list[str]:
    """Each story's id: the one it was published under, else its earliest member's key. A published id
    claimed by two groups (a copy left out with `cluster: false`) stays with the group holding the copy
    whose key it is, else its lead, else the earliest; no new story takes an id already published."""
    owners: dict[str, tuple] = {}
    for n, (group, label) in enumerate(found):
        if label:
            rank = (not any(m.key == label for m in group),
                    not any(m.file == precedent.lead_of.get(label) for m in group), n)
            owners[label] = min(owners.get(label, rank), rank)
    keys = []
    for n, (group, label) in enumerate(found):
        if label and owners[label][-1] == n:
            keys.append(label)
        else:
            keys.append(group[0].key if group[0].key not in precedent.lead_of else group[0].file)
    return keys


def _lead_rank(article: Article):
    return (article.quality is None, -(article.quality or 0), article.date, article.key)


def _merge_story_keys(ordered: list[Article], groups: _Groups) -> None:
    first: dict[str, int] = {}
    for position, article in enumerate(ordered):
        if article.story:
            groups.merge(first.setdefault(article.story, position), position, "story")


def _merge_urls(ordered: list[Article], urls: list[frozenset[str]], groups: _Groups) -> None:
    owner: dict[str, int] = {}
    for position, article in enumerate(ordered):
        if article.cluster:
            for url in sorted(urls[position]):
                groups.merge(owner.setdefault(url, position), position, "url")


def _merge_published(ordered: list[Article], labels: list[str], groups: _Groups) -> None:
    """Copies published as one story stay one, whatever the rules now say (last, so that the reasons
    name a rule whenever one still joins them)."""
    first: dict[str, int] = {}
    for position, label in enumerate(labels):
        if label and ordered[position].cluster:
            groups.merge(first.setdefault(label, position), position, "published")


@dataclass(frozen=True, slots=True)
class _Run:
    """The documents carrying one normalised title, each within TITLE_WINDOW of the one before."""

    title: _Title
    positions: tuple[int, ...]
    start: float
    end: float


def _merge_titles(ordered: list[Article], times: list[float], urls: list[frozenset[str]], groups: _Groups,
                  tz: tzinfo) -> None:
    """Near-identical titles within TITLE_WINDOW, in linear time even when one title arrives thousands of
    times: documents with the same title are chained one to the next (a run), and runs, not documents,
    are compared, each with at most NEIGHBOURS others per shared word."""
    window = TITLE_WINDOW.total_seconds()
    days = [a.date.astimezone(tz).date() for a in ordered]
    titles = {i: title for i, a in enumerate(ordered)  # a title of small words alone says nothing
              if a.cluster and ((title := _normalise_title(a)).words or title.numbers)}
    frequency: Counter[str] = Counter(token for title in titles.values() for token in title.words | title.numbers)

    def apart(i: int, j: int) -> bool:
        """One outlet's two pages on two days under one title: a recurring headline, not one story."""
        a, b = ordered[i], ordered[j]
        return (days[i] != days[j] and bool(urls[i]) and bool(urls[j]) and not urls[i] & urls[j]
                and outlet_key(a.outlet) == outlet_key(b.outlet) != "")

    matches: list[tuple[float, int, int]] = []
    runs: list[_Run] = []
    by_text: dict[str, list[int]] = defaultdict(list)
    for position, title in titles.items():  # positions ascend: in date order
        by_text[title.text].append(position)
    for text, positions in by_text.items():
        run = [positions[0]]
        for position in positions[1:]:
            if times[position] - times[run[-1]] > window:
                runs.append(_Run(titles[run[0]], tuple(run), times[run[0]], times[run[-1]]))
                run = []
            earlier = next((p for p in reversed(run[-NEIGHBOURS:]) if not apart(p, position)), None)
            if earlier is not None:
                matches.append((-100.0, earlier, position))
            run.append(position)
        runs.append(_Run(titles[run[0]], tuple(run), times[run[0]], times[run[-1]]))
    buckets: dict[str, list[_Run]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: r.positions[0]):
        title = run.title
        for token in sorted(title.words | title.numbers, key=lambda t: (frequency[t], t))[:BLOCKING_WORDS]:
            buckets[token].append(run)
    compared: set[tuple[int, int]] = set()  # runs sharing several words are compared once
    for bucket in buckets.values():
        bucket.sort(key=lambda r: (r.start, r.positions[0]))
        for n, run in enumerate(bucket):
            for other in bucket[n + 1: n + 1 + NEIGHBOURS]:
                if other.start - run.end > window:
                    break
                pair = (run.positions[0], other.positions[0])
                if pair not in compared:
                    compared.add(pair)
                    if score := _title_score(run.title, other.title):
                        matches.extend(_nearest_pairs(run, other, times, window, -score, apart))
    for negative, i, j in sorted(matches):
        groups.merge(i, j, "title", -negative, span=TITLE_SPAN.total_seconds())


@lru_cache(maxsize=1)
def _fuzz():
    """rapidfuzz's measures, imported when titles are first compared: a build with nothing changed, and
    every reading worker, import this module without comparing any."""
    from rapidfuzz.distance import Indel
    from rapidfuzz.fuzz import ratio

    return SimpleNamespace(ratio=ratio, similarity=Indel.normalized_similarity)


def _title_score(a: _Title, b: _Title) -> float:
    if a.numbers != b.numbers:
        return 0.0
    score = _fuzz().ratio(a.text, b.text, score_cutoff=TITLE_THRESHOLD)
    return score if score and _words_agree(a, b) else 0.0


def _nearest_pairs(one: _Run, two: _Run, times: list[float], window: float, negative: float, apart):
    """Each document of either run with the latest document of the other at or before it, within the
    window: enough to join the two runs wherever they overlap, without pairing every two documents."""
    events = sorted([(times[p], p, 0) for p in one.positions] + [(times[p], p, 1) for p in two.positions])
    latest: list[int | None] = [None, None]
    for moment, position, side in events:
        before = latest[1 - side]
        if before is not None and moment - times[before] <= window and not apart(before, position):
            yield (negative, *sorted((before, position)))
        latest[side] = position
