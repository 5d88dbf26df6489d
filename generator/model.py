"""The content model: plain frozen dataclasses that every later step reads and none mutates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None
    height: int | None
    alt: str


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    domain: str = ""


@dataclass(frozen=True, slots=True)
class Related:
    title: str
    summary: str
    date: datetime | None
    provider: Provider | None
    url: str | None


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a plain-text body: a paragraph, sub-heading, attribution or bullet list."""

    kind: str  # "paragraph" | "heading" | "attribution" | "list"
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    key: str  # stable identity: the `id` field or the file name's stem; feed ids derive from it
    source: str  # path relative to the site root, for messages
    kind: str  # "news" | "post" | "page"
    title: str
    date: datetime  # timezone-aware
    updated: datetime
    summary: str = ""
    body_html: str = ""  # already sanitised
    blocks: tuple[Block, ...] = ()
    topics: tuple[str, ...] = ()
    provider: Provider | None = None
    image: Image | None = None
    related: tuple[Related, ...] = ()
    source_url: str | None = None
    media_type: str = "article"
    quality: int | None = None
    heat: int | None = None
    featured_html: str = ""  # already sanitised
    draft: bool = False
    slug: str = ""  # the writer's explicit slug, if any
    alternate_urls: tuple[str, ...] = ()  # the item's AMP addresses, for story matching
    cluster: bool = True  # False: never merged into a story by URL or title
    story: str = ""  # the writer's story key: documents naming the same key are one story


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    slug: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    order: int = 1000
