"""The editors' hand over fetched stories: `content/editorial.yml`, which `digest fetch` never touches,
keyed by a story's URL (as any copy names it) or its `id`:

    "https://www.example.com/news/ai-triage":
      headline: Emergency rooms try AI triage       # shown instead of the outlet's, which is still named
      note: "**Why it matters:** waits fell by a third."   # Markdown, sanitised
      featured: true                                 # an editor's pick: leads its edition
    welcome:
      hide: true                                     # in no listing, feed, sitemap or search

The overlay is applied to the documents as they are read, so every page, card, edition, email, feed
and the search index shows the same story. A headline never moves the story's address: the page keeps
the slug of the outlet's own title.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import yaml

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.derived import Derived
from generator.model import Article
from generator.sources.fields import MAX_TITLE, TRUTHY, clean_text
from generator.sources.sanitize import markdown_to_html
from generator.stories import canonical_url
from generator.yamlload import load_strings

EDITORIAL_FILE = "content/editorial.yml"
FIELDS = ("headline", "note", "featured", "hide")


@dataclass(frozen=True, slots=True)
class Edit:
    headline: str = ""
    note_html: str = ""
    featured: bool = False
    hide: bool = False


def read_editorial(config: SiteConfig, diagnostics: Diagnostics) -> dict[str, Edit]:
    """Story key (an id, or a canonical URL) -> what the editors set; problems are warnings, never fatal."""
    path = config.root / EDITORIAL_FILE
    if not path.is_file():
        return {}
    try:
        data = load_strings(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        diagnostics.warn(EDITORIAL_FILE, f"not read: {error}")
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        diagnostics.warn(EDITORIAL_FILE, "must map story URLs or ids to what the editors set; not read")
        return {}
    edits = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            diagnostics.warn(EDITORIAL_FILE, f"{key!r}: expected headline, note, featured or hide; ignored")
            continue
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            diagnostics.warn(EDITORIAL_FILE, f"{key!r}: unknown {', '.join(map(repr, unknown))} ignored "
                                             f"(known: {', '.join(FIELDS)})")
        headline = clean_text(value["headline"])[:MAX_TITLE] if isinstance(value.get("headline"), str) else ""
        note = value.get("note") if isinstance(value.get("note"), str) else ""
        edits[story_key(str(key))] = Edit(headline, markdown_to_html(note) if note.strip() else "",
                                          _yes(value.get("featured")), _yes(value.get("hide")))
    return edits


def _yes(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUTHY)


def story_key(key: str) -> str:
    return canonical_url(key) or key.strip()


def _keys(article: Article) -> list[str]:
    return [article.key, *(url for url in (canonical_url(u) for u in (article.outlet_url or "", *article.alternate_urls))
                           if url)]


class Overlay:
    """Kept between the preview's rebuilds: an article whose edit is as before comes back as the very same
    object, so the preview sees no change."""

    def __init__(self):
        self._edited = Derived()

    def apply(self, articles: list[Article], edits: dict[str, Edit], diagnostics: Diagnostics) -> list[Article]:
        if not edits:  # the common case, and the preview's on every save: nothing to look up
            self._edited.done()
            return articles
        matched: set[str] = set()
        shown = []
        for article in articles:
            key = next((k for k in _keys(article) if k in edits), None)
            edit = edits.get(key) if key else None
            if key:
                matched.add(key)
            result = self._edited.get(article, edit, lambda: _edited(article, edit) if edit else article)
            if not (edit and edit.hide):
                shown.append(result)
        self._edited.done()
        unmatched = sorted(set(edits) - matched)
        every = sorted({k for article in articles for k in _keys(article)}) if unmatched else []
        for key in unmatched:
            close = difflib.get_close_matches(key, every, n=1, cutoff=0.6)
            diagnostics.warn(EDITORIAL_FILE, f"{key!r} names no story" + (f"; did you mean {close[0]!r}?" if close else ""))
        return shown


def _edited(article: Article, edit: Edit) -> Article:
    changes = {"featured": article.featured or edit.featured}
    if edit.note_html:
        changes["note_html"] = edit.note_html
    if edit.headline and edit.headline != article.title:
        # The address keeps the outlet's title's slug, and stories still compare the outlet's title.
        changes.update(title=edit.headline, outlet_title=article.title, slug=article.slug or article.title)
    return replace(article, **changes)
