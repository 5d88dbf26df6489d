"""Markdown to HTML, and the allow-list sanitiser every piece of HTML passes through."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import nh3

from generator.sources.fields import CONTROL_CHARS

URL_SCHEMES = {"http", "https", "mailto"}
YOUTUBE_HOSTS = {"www.youtube.com", "youtube.com", "www.youtube-nocookie.com"}
VIMEO_HOSTS = {"player.vimeo.com"}
YOUTUBE_ID = re.compile(r"/embed/([A-Za-z0-9_-]{1,64})/?")
VIMEO_ID = re.compile(r"/video/([0-9]{1,20})/?")
VIMEO_HASH = re.compile(r"[0-9A-Za-z]{1,64}")  # the `h` of an unlisted video, without which it will not play
SECONDS = re.compile(r"[0-9]{1,7}")
# Written in this order so the same input gives the same bytes. No sandbox: the player's URL is
# rebuilt below, so it is always another origin, kept from this page by the same-origin policy; a
# player needs scripts and its own origin's storage, and a sandbox allowing both adds little but the
# risk of breaking players.
PLAYER_ATTRIBUTES = (
    ("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen"),
    ("referrerpolicy", "strict-origin-when-cross-origin"),
)


@dataclass(frozen=True, slots=True)
class Video:
    platform: str  # its name, for people
    player_url: str  # loaded only when the reader presses play, so it asks to autoplay
    page_url: str  # the video's own page, for readers without scripts


@lru_cache(maxsize=1)
def _markdown():
    """Made when the first body needs it: loading Python-Markdown and its extensions was a tenth of a build
    with nothing changed, and news items carry no body."""
    import markdown

    return markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")


# Python-Markdown's inline patterns take time quadratic in the characters that may open one within a
# paragraph: 2,000 `[` take a second, 40,000 `<a` seven. The sum of each paragraph's count squared is
# kept under this budget (a few tenths of a second at worst) by showing the worst paragraphs as plain
# text; real bodies stay far below it (a paragraph with 50 links costs 2,500).
OPENERS = re.compile(r"[\[\]<`*_!]")
INLINE_BUDGET = 1_000_000
PARAGRAPHS = re.compile(r"\n[ \t]*\n")


def markdown_to_html(source: str, warn=None) -> str:
    """`warn(message)` is told when some paragraphs had to be shown as plain text."""
    source, plain = _bounded(source)
    if plain and warn is not None:
        warn(f"{len(plain)} paragraph{'s' if len(plain) > 1 else ''} with thousands of Markdown markers shown as "
             f"plain text (formatting them would take minutes)")
    html = _markdown().reset().convert(source)
    for token, text in plain.items():  # alone between blank lines, so a <p> (or inside a list or code block)
        shown = escape(" ".join(text.split()), quote=False)
        html = html.replace(f"<p>{token}</p>", f"<p>{shown}</p>", 1).replace(token, shown, 1)
    return sanitize_html(html)


def _bounded(source: str) -> tuple[str, dict[str, str]]:
    """`source` with the paragraphs costliest to format set aside, until the rest fits INLINE_BUDGET:
    each is replaced by a token Markdown leaves alone, token -> its text."""
    if len(OPENERS.findall(source)) ** 2 <= INLINE_BUDGET:  # the common case, in one pass
        return source, {}
    paragraphs = PARAGRAPHS.split(source)
    costs = [len(OPENERS.findall(p)) ** 2 for p in paragraphs]
    prefix = "plainparagraph"
    while prefix in source:
        prefix = "x" + prefix
    total, plain = sum(costs), {}
    for n in sorted(range(len(paragraphs)), key=lambda n: -costs[n]):
        if total <= INLINE_BUDGET:
            break
        token = f"{prefix}{n}"
        plain[token], paragraphs[n] = paragraphs[n], token
        total -= costs[n]
    return "\n\n".join(paragraphs), plain


def sanitize_html(html: str) -> str:
    """Allowed markup only; and no character XML cannot carry, which a reference such as `&#12;` becomes
    once the sanitiser decodes it (a feed could not be written)."""
    cleaned = nh3.clean(html, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                        attribute_filter=_site_or_absolute)
    return CONTROL_CHARS.sub("", cleaned)


def _site_or_absolute(tag: str, attribute: str, value: str) -> str | None:
    """Links may be absolute (nh3 has checked the scheme), a fragment, or a path inside this site
    ("/feed.xml", rebased under base_path when rendered). Other relative URLs point at files a
    document cannot ship, and `//host/x` (or `\\host`, which browsers read the same way) is
    relative only in name: it loads from another site."""
    if attribute not in ("href", "src"):
        return value
    url = value.strip().replace("\\", "/")
    if url.startswith("//"):
        return None
    if url.startswith(("/", "#")) or urlsplit(url).scheme:
        return value
    return None


def sanitize_embed(html: str, title: str = "") -> str:
    """The first YouTube or Vimeo iframe, as a click-to-play player: the iframe waits inert in a
    <template> until the reader presses play (the theme's video.js), and a link to the video's page
    serves readers without scripts. Everything else is dropped.

    Only which video it is (and where to start) is taken from the input; the URLs and the markup
    are written here, attribute by attribute, so the same input always gives the same bytes (nh3
    writes the attributes it adds in hash order, which changes from run to run)."""
    cleaned = nh3.clean(html, tags={"iframe"}, attributes={"iframe": {"src"}}, url_schemes={"http", "https"})
    video = next(filter(None, map(_video, _IframeSources.read(cleaned))), None)
    if video is None:
        return ""
    attributes = (("src", video.player_url), ("title", f"Video: {title}" if title else "Video"), *PLAYER_ATTRIBUTES)
    iframe = "<iframe" + "".join(f' {name}="{escape(value)}"' for name, value in attributes) + "></iframe>"
    return f'<template>{iframe}</template><a href="{escape(video.page_url)}">Watch the video on {video.platform}</a>'


def _video(src: str) -> Video | None:
    try:
        parts = urlsplit(src.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):  # nh3 keeps scheme-relative URLs such as //www.youtube.com/…
        return None
    query = parse_qs(parts.query)
    if host in YOUTUBE_HOSTS and (match := YOUTUBE_ID.fullmatch(parts.path)) and match[1] != "videoseries":
        start = _first(query, "start", SECONDS.fullmatch)
        player = {"autoplay": "1"} | ({"start": start} if start else {})
        page = {"v": match[1]} | ({"t": f"{start}s"} if start else {})
        return Video("YouTube", f"https://www.youtube-nocookie.com/embed/{match[1]}?{urlencode(player)}",
                     f"https://www.youtube.com/watch?{urlencode(page)}")
    if host in VIMEO_HOSTS and (match := VIMEO_ID.fullmatch(parts.path)):
        secret = _first(query, "h", VIMEO_HASH.fullmatch)
        player = ({"h": secret} if secret else {}) | {"autoplay": "1", "dnt": "1"}  # dnt: no tracking cookies
        return Video("Vimeo", f"https://player.vimeo.com/video/{match[1]}?{urlencode(player)}",
                     f"https://vimeo.com/{match[1]}" + (f"/{secret}" if secret else ""))
    return None


def _first(query: dict[str, list[str]], name: str, valid) -> str | None:
    value = query.get(name, [""])[0]
    return value if value and valid(value) else None


class _IframeSources(HTMLParser):
    """The src of each iframe in nh3's output, in document order."""

    def __init__(self):
        super().__init__()
        self.sources: list[str] = []

    @classmethod
    def read(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.sources

    def handle_starttag(self, tag, attrs):
        src = dict(attrs).get("src") if tag == "iframe" else None
        if src:
            self.sources.append(src)
