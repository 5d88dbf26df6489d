"""Stories: the documents that tell one story, so that each story can be listed once.

The same news often arrives several times: one press release fetched on two days, the same release
syndicated by two outlets, re-posts under a "RE-TRANSMISSION:" prefix or with a typo fixed, one blog
post under a second title. `cluster_stories` groups such documents; it is pure (articles in, stories
out) and leaves choosing which documents to give it (drafts or not) to the caller.

Two documents tell the same story when
- they name the same `story` key in their front matter (whatever the rules below say), or
- their URLs are the same page once normalised (see `canonical_url`), or
- their titles are near-identical (`TITLE_THRESHOLD`), published within `TITLE_WINDOW` of each other,
  with the same numbers and no word in one that the other lacks (bar small words and typos).

A number in one title that the other lacks is a strong sign of another story ("2019 release wave 2"
vs "2020 release wave 1", "Forecast to 2025" vs "Forecast to 2021"), and so is an extra word
("Power Apps" vs "Power Apps Portals"). Two different `story` keys are never merged, and a document
with `cluster: false` is merged only through its own `story` key.

Titles are compared only among candidates that share one of their rarest words within the time
window (prefix filtering: near-identical titles share most words, so they share one of those), which
keeps the work near-linear in the number of documents. The result depends only on the set of
articles: inputs are sorted first and every tie is broken by date and key.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from rapidfuzz.distance import Indel
from rapidfuzz.fuzz import ratio

from generator.model import Article

TITLE_THRESHOLD = 90  # rapidfuzz ratio (0-100) of the normalised titles
TITLE_WINDOW = timedelta(days=3)  # a re-post or a syndicated copy comes within days
TITLE_SPAN = timedelta(days=7)  # titles alone never make a story longer than this (daily "roundups")
TYPO_SIMILARITY = 0.75  # two words this close (ISTM/ITSM) count as one word misspelt
BLOCKING_WORDS = 3

# Tracking parameters: they name who sent the reader, not which page it is.
TRACKING = re.compile(r"utm_.*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|_hsenc|_hsmi"
                      r"|mkt_tok|ocid|cmpid|ncid|ref|ref_src|sr_share", re.I)
HOST_PREFIXES = ("www.", "m.", "amp.")
AMP_SEGMENTS = {"amp", "google-amp", "amphtml"}
AMP_CACHE = re.compile(r"^/[cv]/(s/)?([^/]+)(/.*)?$")  # <host>.cdn.ampproject.org/c/s/<host>/<path>
SAFE_PATH = "!$&'()*+,;=:@~-._"
PLAIN_PATH = re.compile(r"[\w!$&'()*+,;=:@~./-]*", re.A)  # nothing to decode or encode
# Wire services mark a repeat or a fix of a release in front of its headline.
WIRE_PREFIX = re.compile(r"^(?:re-?transmission|repeat|update[d]?|correct(?:ed|ion)|correcting and replacing)"
                         r"\s*(?:[:\-–—]\s*|(?<=replacing)\s)", re.I)
WORD = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
SMALL_WORDS = frozenset("a an the of to in on for and or at by with from as is".split())


@dataclass(frozen=True, slots=True)
class Story:
    """Documents that tell one story.

    `members`: every document of the story, the lead included, ordered by (date, key).
    `key`: the key of the earliest member, so it stays put when a later copy arrives.
    `lead`: the document to show: the highest `quality` (no quality ranks lowest), then the earliest
    date, then the smallest key.
    `reason`: why the members were merged ("story key", "same URL", "similar title (93)" with the
    lowest title score that joined two of them, several joined by "; "); "" for a single document.
    """

    key: str
    lead: Article
    members: tuple[Article, ...]
    reason: str = ""

    @property
    def others(self) -> tuple[Article, ...]:
        """The members but the lead, by date: the "also covered by" list."""
        return tuple(member for member in self.members if member is not self.lead)


def canonical_url(url: str) -> str:
    """A key for the page a URL names, for comparison (not a link): `host/path?query`.

    The scheme, a `www.`/`m.`/`amp.` host prefix, default ports, a trailing slash, the fragment,
    tracking parameters (`utm_*`, `fbclid`, ...) and the order of parameters do not count, nor do the
    usual AMP variants (the AMP cache's address, an `amp` path segment, `.amp.html`, `?amp`,
    `outputType=amp`). Anything but an absolute http(s) URL gives "".
    """
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    path = parts.path
    cached = AMP_CACHE.match(path) if host.endswith(".cdn.ampproject.org") else None
    if cached:
        host, port, path = cached[2].lower(), None, cached[3] or ""
    host = host.rstrip(".")
    stripped = True
    while stripped:
        stripped = False
        for prefix in HOST_PREFIXES:
            if host.startswith(prefix) and "." in host[len(prefix):]:
                host, stripped = host[len(prefix):], True
    plain = PLAIN_PATH.fullmatch(path) is not None
    segments = [s if plain else quote(unquote(s), safe=SAFE_PATH)
                for s in path.split("/") if s and s.lower() not in AMP_SEGMENTS]
    if segments and segments[-1].lower().endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    query = sorted((k, v) for k, v in (parse_qsl(parts.query, keep_blank_values=True) if parts.query else ())
                   if not TRACKING.fullmatch(k) and k.lower() != "amp"
                   and not (k.lower() == "outputtype" and v.lower() == "amp"))
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return netloc + "".join("/" + s for s in segments) + ("?" + urlencode(query) if query else "")


@dataclass(frozen=True, slots=True)
class _Title:
    text: str  # normalised: case-folded words joined by single spaces
    words: frozenset[str]  # words without digits, small words left out
    numbers: frozenset[str]  # tokens with a digit


def _normalise_title(article: Article) -> _Title:
    title = unicodedata.normalize("NFKC", article.title)
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


def _words_agree(a: _Title, b: _Title) -> bool:
    """Every word of one title is in the other, or misspelt there (ISTM for ITSM)."""
    only_a, only_b = a.words - b.words, b.words - a.words

    def misspelt(word: str, others: frozenset[str]) -> bool:
        return len(word) >= 4 and any(len(other) >= 4 and Indel.normalized_similarity(word, other) >= TYPO_SIMILARITY
                                      for other in others)

    return all(misspelt(w, only_b) for w in only_a) and all(misspelt(w, only_a) for w in only_b)


class _Groups:
    """Union-find over article positions (sorted by date, key): the earliest position is the root,
    so merging is deterministic; a merge is refused when it would join two story keys or, for titles,
    make the story span more than TITLE_SPAN."""

    def __init__(self, articles: list[Article], times: list[float]):
        self.parent = list(range(len(articles)))
        self.story = [a.story for a in articles]
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
        if span is not None and max(self.last[a], self.last[b]) - min(self.first[a], self.first[b]) > span:
            return False
        self.parent[b] = a
        self.story[a] = self.story[a] or self.story[b]
        self.first[a], self.last[a] = min(self.first[a], self.first[b]), max(self.last[a], self.last[b])
        merged = self.reasons[a]
        for name, value in [*self.reasons.pop(b, {}).items(), (reason, score)]:
            merged[name] = min(merged.get(name, value), value)
        return True

    def reason(self, root: int) -> str:
        found = self.reasons.get(root, {})
        parts = ["story key" if "story" in found else "", "same URL" if "url" in found else "",
                 f"similar title ({int(found['title'])})" if "title" in found else ""]
        return "; ".join(p for p in parts if p)


def cluster_stories(articles) -> tuple[Story, ...]:
    """Group `articles` into stories; every article is in exactly one, alone if need be. Stories come
    in the order of their earliest member."""
    ordered = sorted(articles, key=lambda a: (a.date, a.key, a.source, a.title))
    times = [a.date.timestamp() for a in ordered]
    groups = _Groups(ordered, times)
    _merge_story_keys(ordered, groups)
    _merge_urls(ordered, groups)
    _merge_titles(ordered, times, groups)
    members: dict[int, list[Article]] = defaultdict(list)
    for position, article in enumerate(ordered):
        members[groups.find(position)].append(article)
    return tuple(
        Story(key=group[0].key, lead=min(group, key=_lead_rank), members=tuple(group),
              reason=groups.reason(root) if len(group) > 1 else "")
        for root, group in members.items())


def _lead_rank(article: Article):
    return (article.quality is None, -(article.quality or 0), article.date, article.key)


def _merge_story_keys(ordered: list[Article], groups: _Groups) -> None:
    first: dict[str, int] = {}
    for position, article in enumerate(ordered):
        if article.story:
            groups.merge(first.setdefault(article.story, position), position, "story")


def _merge_urls(ordered: list[Article], groups: _Groups) -> None:
    owner: dict[str, int] = {}
    for position, article in enumerate(ordered):
        if not article.cluster:
            continue
        urls = {canonical_url(u) for u in (article.source_url or "", *article.alternate_urls)} - {""}
        for url in sorted(urls):
            groups.merge(owner.setdefault(url, position), position, "url")


def _merge_titles(ordered: list[Article], times: list[float], groups: _Groups) -> None:
    titles = {i: _normalise_title(a) for i, a in enumerate(ordered) if a.cluster}
    frequency: dict[str, int] = defaultdict(int)
    for title in titles.values():
        for token in title.words | title.numbers:
            frequency[token] += 1
    buckets: dict[str, list[int]] = defaultdict(list)
    for position, title in titles.items():  # positions ascend, so every bucket is in date order
        rarest = sorted(title.words | title.numbers, key=lambda t: (frequency[t], t))[:BLOCKING_WORDS]
        for token in rarest:
            buckets[token].append(position)
    window = TITLE_WINDOW.total_seconds()
    candidates: set[tuple[int, int]] = set()
    for bucket in buckets.values():
        for n, i in enumerate(bucket):
            for m in range(n + 1, len(bucket)):
                j = bucket[m]
                if times[j] - times[i] > window:
                    break
                candidates.add((i, j))
    matches = []
    for i, j in candidates:
        a, b = titles[i], titles[j]
        if a.numbers != b.numbers:
            continue
        score = ratio(a.text, b.text, score_cutoff=TITLE_THRESHOLD)
        if score and _words_agree(a, b):
            matches.append((-score, i, j))
    for negative, i, j in sorted(matches):
        groups.merge(i, j, "title", -negative, span=TITLE_SPAN.total_seconds())
