"""Markdown to HTML, and the allow-list sanitiser every piece of HTML passes through."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3

URL_SCHEMES = {"http", "https", "mailto"}
VIDEO_HOSTS = {
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
}
EMBED_ATTRIBUTES = {
    "sandbox": "allow-scripts allow-presentation allow-popups",  # no allow-same-origin: with scripts it undoes the sandbox
    "referrerpolicy": "strict-origin-when-cross-origin",
    "loading": "lazy",
}

_markdown = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")


def markdown_to_html(source: str) -> str:
    html = _markdown.reset().convert(source)
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    return nh3.clean(html, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer", attribute_filter=_site_or_absolute)


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
    """Keep only iframes from known video hosts, sandboxed and titled; everything else is removed.

    nh3 parses and filters, but it writes the attributes it adds in hash order, which changes from
    run to run; so the iframes are written here, attribute by attribute, in a fixed order."""
    cleaned = nh3.clean(
        html,
        tags={"iframe"},
        attributes={"iframe": {"src", "width", "height", "allow", "allowfullscreen"}},
        attribute_filter=_embed_attribute,
        url_schemes={"https"},
    )
    frames = []
    for attributes in _IframeAttributes.read(cleaned):
        if "src" not in attributes:
            continue
        kept = {name: attributes[name] for name in ("src", "width", "height", "allow", "allowfullscreen") if name in attributes}
        kept |= {**EMBED_ATTRIBUTES, "title": f"Video: {title}" if title else "Video"}
        frames.append("<iframe" + "".join(f' {name}="{escape(value)}"' for name, value in kept.items()) + "></iframe>")
    return "".join(frames)


class _IframeAttributes(HTMLParser):
    """The attributes of each iframe in nh3's output, in document order."""

    def __init__(self):
        super().__init__()
        self.frames: list[dict[str, str]] = []

    @classmethod
    def read(cls, html: str) -> list[dict[str, str]]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.frames

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames.append({name: value or "" for name, value in attrs})


def _embed_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":
        parts = urlsplit(value)
        return value if parts.scheme == "https" and parts.hostname in VIDEO_HOSTS else None
    if attribute in ("width", "height"):
        return value if value.isdigit() else None  # HTML wants whole pixels: "100%" is invalid
    return value
