"""The site's address scheme, declared once: where each section lives, what its files are called, and
the permanent ids of its feeds.

Paths are site-relative folders ("topics/ai/"), and `urls.Urls` puts them under base_path. Whatever
must know an address takes it from here: the index places things with these functions, the routes
write files at them, the navigation is
NAVIGATION, a standalone page may not take a RESERVED_PAGE_SLUGS name, and an `id:` may not take a
feed's id. A new section is one `Section` row here; a new feed format is one row in feeds.FEED_FORMATS.
"""

from __future__ import annotations

from dataclasses import dataclass

INDEX_FILE = "index.html"  # a folder's page: "topics/ai/" is written to "topics/ai/index.html"


@dataclass(frozen=True, slots=True)
class Section:
    """A folder of the site with a meaning of its own: no page, outlet or topic may take its name."""

    name: str
    path: str  # site-relative folder, "" for the home page
    nav: str = ""  # its label in the site's navigation, in this order; "" when it is not there


HOME = Section("home", "", nav="Latest")
EDITIONS = Section("editions", "editions/", nav="Editions")
TOPICS = Section("topics", "topics/", nav="Topics")
OUTLETS = Section("outlets", "sources/", nav="Sources")  # "sources" in the address, as published since
ARCHIVE = Section("archive", "archive/", nav="Archive")
SEARCH = Section("search", "search/")  # the header's search form opens it
STATIC = Section("static", "static/")  # the theme's and the site's static files
IMAGES = Section("images", "images/")  # reserved for images the site publishes itself
SECTIONS = (HOME, EDITIONS, TOPICS, OUTLETS, ARCHIVE, SEARCH, STATIC, IMAGES)
NAVIGATION = tuple(section for section in SECTIONS if section.nav)


def section_of(page_path: str) -> str | None:
    """The path of the navigation section a page belongs to (marked current in the header), or None."""
    for section in NAVIGATION:
        if page_path == section.path or (section.path and page_path.startswith(section.path)):
            return section.path
    return None

PAGE_STEP = "page/"  # the later pages of any listing: "topics/ai/page/2/"

# Files at the site's root.
ATOM_FILE, JSON_FEED_FILE = "feed.xml", "feed.json"  # beside the listing each feed mirrors
OPML_FILE = "feeds.opml"
NOT_FOUND_FILE = "404.html"
SITEMAP_FILE = "sitemap.xml"
SEARCH_WORDS_FILE = SEARCH.path + "words.json"  # every indexed word with its story count, for the search page
SEARCH_INDEX = SEARCH.path + "index/"  # the search index's files (search.py), which static/search.js reads
ROBOTS_FILE = "robots.txt"
CNAME_FILE = "CNAME"
NOJEKYLL_FILE = ".nojekyll"
ROOT_FILES = (ATOM_FILE, JSON_FEED_FILE, OPML_FILE, NOT_FOUND_FILE, SITEMAP_FILE, ROBOTS_FILE, CNAME_FILE,
              NOJEKYLL_FILE)

# An edition's copies for mail, beside its page.
EMAIL_HTML_FILE, EMAIL_TEXT_FILE = "email.html", "email.txt"

# Standalone pages ("about/") sit at the root, beside the sections, the pagination step and root files.
RESERVED_PAGE_SLUGS = frozenset({section.path.strip("/") for section in SECTIONS if section.path}
                                | {PAGE_STEP.strip("/")} | set(ROOT_FILES))


def topic_path(slug: str) -> str:
    return f"{TOPICS.path}{slug}/"


def outlet_path(slug: str) -> str:
    return f"{OUTLETS.path}{slug}/"


def month_path(year: int, month: int) -> str:
    return f"{year:04d}/{month:02d}/"


def edition_path(year: int, week: int) -> str:
    """An ISO week's edition: "editions/2026-W48/"."""
    return f"{EDITIONS.path}{edition_name(year, week)}/"


def edition_name(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


def page_path(base: str, number: int) -> str:
    """Page `number` of the listing at `base`: base/, base/page/2/, ..."""
    return base if number == 1 else f"{base}{PAGE_STEP}{number}/"


# Permanent feed ids (tag URIs minted from these by index.tag_uri): the site's feed, the editions feed,
# each topic's and outlet's feed, and each edition's entry. A story's own id may take none of them.
SITE_FEED_ID, EDITIONS_FEED_ID = "feed", "editions"
TOPIC_FEED_ID, OUTLET_FEED_ID, EDITION_ENTRY_ID = "topic/", "source/", "edition/"
FEED_IDS = (SITE_FEED_ID, EDITIONS_FEED_ID)
FEED_ID_PREFIXES = (TOPIC_FEED_ID, OUTLET_FEED_ID, EDITION_ENTRY_ID)


def is_feed_id(key: str) -> bool:
    return key in FEED_IDS or key.startswith(FEED_ID_PREFIXES)
