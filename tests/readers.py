"""A site built, published and built again, read back as a reader and a feed reader see it."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import feedparser
import yaml

from generator.build import build
from generator.config import SiteConfig

REPO = Path(__file__).resolve().parent.parent
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
SOURCE_LINK = re.compile(r'<p class="source"[^>]*><a href="([^"]*)"')
REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]*)">')


def news_site(root: Path, settings: str = "") -> Path:
    """An empty site with the project's theme and topics, published at https://example.org/digest/."""
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copy(REPO / "content" / "topics.yml", root / "content" / "topics.yml")
    shutil.copytree(REPO / "themes", root / "themes")
    (root / "site.yml").write_text("url: https://example.org\nbase_path: /digest/\nsources: [seeds, content]\n"
                                   "id_authority: example.org,2026\n" + settings)
    return root / "site.yml"


def news(config: SiteConfig, name: str, title: str, date: str, url: str | None = None, outlet: str = "",
         folder: str = "seeds", **fields) -> Path:
    """A news item as the fetcher writes one (Smartable front matter); `fields` as they are named there."""
    meta = {"title": title, "publishedDateTime": date, "topics": ["AI"], **fields}
    if url:
        meta["webUrl"] = url
    if outlet:
        meta["provider"] = {"name": outlet, "domain": outlet.lower().replace(" ", "") + ".example"}
    path = config.root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(meta, sort_keys=True) + "---\n", encoding="utf-8")
    return path


def publish(config: SiteConfig) -> Path:
    """`digest build` into the site's output folder, as the daily deploy runs it."""
    build(config, output=config.root / "out", show_progress=False)
    return config.root / "out"


@dataclass(frozen=True)
class StoryPage:
    headline: str
    link: str | None  # "Read the full story at ..."
    redirect: str | None = None  # where the page sends the reader, when it is another story's copy


def story_page(out: Path, path: str) -> StoryPage:
    html = (out / path / "index.html").read_text(encoding="utf-8")
    if moved := REFRESH.search(html):
        return StoryPage("", None, unescape(moved[1]))
    link = SOURCE_LINK.search(html)
    return StoryPage(unescape(H1.search(html)[1]).strip(), unescape(link[1]) if link else None)


@dataclass(frozen=True)
class FeedEntry:
    title: str
    link: str  # the story's page


def feed_entries(out: Path, feed: str = "feed.xml") -> dict[str, FeedEntry]:
    """Feed entry id -> what a feed reader shows under it."""
    parsed = feedparser.parse((out / feed).read_bytes())
    assert parsed.bozo == 0
    return {entry.id: FeedEntry(entry.title, entry.link) for entry in parsed.entries}


def feed_title(out: Path, feed: str) -> tuple[str, str]:
    """A feed's id and title, as a subscriber's reader knows it."""
    parsed = feedparser.parse((out / feed).read_bytes())
    assert parsed.bozo == 0
    return parsed.feed.id, parsed.feed.title
