"""The content model: plain frozen dataclasses that every later step reads and none mutates."""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from generator.records import pickled_by_fields


def placement(default=MISSING):
    """A field that decides where an article is listed: its path, its place in any list or group,
    its rank. Editing one re-indexes the site; a field not declared `content` counts as this."""
    return field(default=default, metadata={"affects": "placement"})


def content(default=MISSING):
    """A field shown on the pages that list the article but that moves nothing: editing one
    re-renders those pages and keeps every list as it is (the dev server's fast path)."""
    return field(default=default, metadata={"affects": "content"})


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ImageFile:
    """One of the site's own copies of an image, from the image store (generator/images/)."""

    role: str  # "thumb", "mail", "360", "720", "1440", "share" (generator/images/process.py)
    path: str  # site-relative: "images/3f/3f…-720.webp"
    width: int
    height: int
    size: int  # bytes
    sha256: str  # of its bytes: a store refreshed with other bytes re-renders the pages showing it


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Image:
    url: str  # where the story says the image is
    width: int | None
    height: int | None
    alt: str
    files: tuple[ImageFile, ...] = ()  # the site's own copies; none when the image is hot-linked (`images: link`)

    def file(self, role: str) -> ImageFile | None:
        return next((f for f in self.files if f.role == role), None)

    @property
    def sizes(self) -> tuple[ImageFile, ...]:
        """The story-page sizes, narrowest first: a srcset."""
        return tuple(f for f in self.files if f.role.isdigit())

    @property
    def on_page(self) -> bool:
        """A story page can show it: hot-linked, or stored in a story size (not as a thumbnail alone)."""
        return not self.files or bool(self.sizes)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    domain: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Related:
    title: str
    summary: str
    date: datetime | None
    provider: Provider | None
    url: str | None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Block:
    """One block of a plain-text body: a paragraph, sub-heading, attribution or bullet list."""

    kind: str  # "paragraph" | "heading" | "attribution" | "list"
    text: str = ""
    items: tuple[str, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Article:
    # Permanent identity, from which feed ids are minted: the `id` field, else `source` (extension
    # included), which no other document can have. sources.settle_ids gives a contested `id` to one.
    key: str = placement()
    file: str = placement()  # the document: its path relative to the site root, '/'-separated on every OS
    kind: str = placement()  # "article" (listed, in feeds) | "page" (standalone, e.g. About)
    title: str = placement()  # slugs come from it
    date: datetime = placement()  # timezone-aware
    updated: datetime = content()
    summary: str = content("")
    body_html: str = content("")  # already sanitised
    blocks: tuple[Block, ...] = content(())
    topics: tuple[str, ...] = placement(())
    provider: Provider | None = placement(None)  # names the outlet in a story's coverage list
    image: Image | None = content(None)
    related: tuple[Related, ...] = content(())
    outlet_url: str | None = placement(None)  # copies of one story share it
    media_type: str = content("article")
    quality: int | None = placement(None)  # the best copy leads its story
    heat: int | None = placement(None)  # ranks the story in its weekly edition
    featured: bool = placement(False)  # an editor's pick: ranks a post without heat or quality
    featured_html: str = content("")  # already sanitised
    draft: bool = placement(False)
    slug: str = placement("")  # the writer's explicit slug, if any
    # Which story an article belongs to (stories.py) decides what is listed: all three move it.
    alternate_urls: tuple[str, ...] = placement(())  # the item's AMP addresses, for story matching
    cluster: bool = placement(True)  # False: never merged into a story by URL or title
    story: str = placement("")  # the writer's story key: documents naming the same key are one story
    # From the editors' overlay (sources/editorial.py), not from the document:
    outlet_title: str = content("")  # the outlet's own headline, when an editor gave the story another
    note_html: str = content("")  # the editor's "why it matters", already sanitised

    @property
    def outlet(self) -> str:
        """Who told the story, as every page, feed, email and search filter names it: the provider the
        item names, else its URL's host; "" for the site's own posts."""
        if self.provider:
            return self.provider.name
        return url_host(self.outlet_url) if self.outlet_url else ""


PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?=[/?#]|\Z)", re.A)  # no user, no port: nothing to split


def url_host(url: str) -> str:
    """The host a URL names, in lower case (urlsplit's hostname), or "" for none."""
    plain = PLAIN_HOST.match(url)
    return plain[1].lower() if plain is not None else urlsplit(url).hostname or ""


def in_folders(file: str, folders: tuple[str, ...]) -> bool:
    """A document's path (`Article.file`) lies in one of `folders` (source folders, as site.yml names them)."""
    return any(file.startswith(folder.rstrip("/") + "/") for folder in folders)


@lru_cache(maxsize=4096)  # a few hundred outlets, asked for by every story of theirs in every build
def outlet_key(name: str) -> str:
    """Names that differ only in case, spacing or a leading "www." are one outlet."""
    return " ".join(name.split()).casefold().removeprefix("www.")


def placement_fields(cls=None) -> tuple[str, ...]:
    """The fields of Article whose edit may move it: every one not declared `content`."""
    return tuple(f.name for f in fields(cls or Article) if f.metadata.get("affects") != "content")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    slug: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    order: int = 1000
