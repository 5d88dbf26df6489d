"""The site's record of what it has published: `published.json`, beside site.yml.

Feed readers know a story by its id, readers and search engines by its address. Both are computed
from the documents (the earliest copy's key and path, the outlet whose first story is earliest), so a
document arriving later but dated earlier could take them over. The record remembers, for every story
`digest build` published, its id, its address, the copy it shows and the documents it was told by, and
for every outlet slug the outlet it was given to; the next build lets each recorded choice win over
what it would compute, and adds what it newly published.

The file is JSON with sorted keys and no time stamps, so it changes only when something new is
published and merges like any text file:

    {"outlets": {"<slug>": "<outlet name, as outlet_key folds it>", ...},
     "stories": {"<id>": {"copies": ["<source path>", ...], "lead": "<source path>",
                          "path": "YYYY/MM/<slug>/", "was": ["<an earlier path>", ...]}, ...}}

`was` lists the addresses a story had before it moved (an editor's new title or slug): each one
redirects to `path`, so no published address ever dies.

A story or outlet no longer in the documents stays recorded: its id and address are not given to
another. The record is input like any document: a fresh checkout builds the site it records.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from generator.config import ConfigError, SiteConfig
from generator.model import Article, outlet_key
from generator.output import replace_file
from generator.stories import Precedent

RECORD_NAME = "published.json"
STORY_PATH = re.compile(r"[0-9]{4}/[0-9]{2}/[a-z0-9][a-z0-9-]*/")  # as index._place_articles makes them
OUTLET_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
STORY_FIELDS = {"copies", "lead", "path"}


class RecordError(ConfigError):
    """The record cannot be read as one: the build stops rather than forget what it published."""


@dataclass(frozen=True, slots=True)
class PublishedStory:
    id: str  # the key its feed entries' ids are minted from
    path: str  # its address, "YYYY/MM/<slug>/"
    lead: str  # the source path of the copy it shows
    copies: tuple[str, ...]  # the source path of every document it was told by, sorted
    was: tuple[str, ...] = ()  # the addresses it had before (a retitle moves it): each redirects to `path`


@dataclass(frozen=True)
class Published:
    stories: tuple[PublishedStory, ...] = ()  # by id
    outlets: Mapping[str, str] = field(default_factory=dict)  # slug -> outlet_key of the outlet it belongs to

    @cached_property
    def path_of(self) -> dict[str, str]:
        """Story id -> its address."""
        return {story.id: story.path for story in self.stories}

    @cached_property
    def addresses(self) -> frozenset[str]:
        """Every address a story has or had: no other story may take one."""
        return frozenset(address for story in self.stories for address in (story.path, *story.was))

    def story(self, key: str) -> PublishedStory | None:
        return self._by_id.get(key)

    @cached_property
    def _by_id(self) -> dict[str, PublishedStory]:
        return {story.id: story for story in self.stories}

    @cached_property
    def slug_of(self) -> dict[str, str]:
        """Outlet key -> its slug (the first in sort order, should a hand edit give it two)."""
        slugs: dict[str, str] = {}
        for slug in sorted(self.outlets):
            slugs.setdefault(self.outlets[slug], slug)
        return slugs

    def precedent(self, articles) -> Precedent:
        """Which published story each of `articles` is a copy of: by its source path, or, for a story none
        of whose documents is there any more (a file renamed), by the key that is the story's id."""
        sources = {article.file for article in articles}
        story_of: dict[str, str] = {}
        for story in self.stories:
            for source in story.copies:
                story_of.setdefault(source, story.id)
        orphans = {story.id for story in self.stories if not sources.intersection(story.copies)}
        for article in sorted(articles, key=lambda a: a.file):
            if article.key in orphans and article.file not in story_of:
                story_of[article.file] = article.key
                orphans.discard(article.key)
        return Precedent(story_of, {story.id: story.lead for story in self.stories})


NOTHING_PUBLISHED = Published()


def record_path(config: SiteConfig) -> Path:
    return config.root / RECORD_NAME


def read_record(config: SiteConfig, known: tuple[Published, bytes] | None = None) -> tuple[Published, bytes]:
    """The record and its bytes (b"" when there is none yet: a first build). `known`, the last record
    read, is returned as it is when the bytes are the same (the preview reads it on every save)."""
    data = record_bytes(config)
    if not data:
        return NOTHING_PUBLISHED, b""
    if known is not None and known[1] == data:
        return known
    return parse_record(data), data


def record_bytes(config: SiteConfig) -> bytes:
    """The record's bytes, b"" when there is none yet (a first build): all a build with nothing changed
    reads of it."""
    try:
        return record_path(config).read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as error:
        raise RecordError(f"{RECORD_NAME}: cannot read: {error.strerror}") from error


def parse_record(data: bytes) -> Published:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RecordError(f"{RECORD_NAME}: not a JSON record ({error}); restore it from git, or delete it to "
                          f"start a new one") from error
    problems: list[str] = []
    if not isinstance(value, dict):
        raise RecordError(f"{RECORD_NAME}: expected an object with 'outlets' and 'stories'")
    problems += [f"unknown key {key!r}" for key in value if key not in ("outlets", "stories")]
    outlets, stories = value.get("outlets", {}), value.get("stories", {})
    if not isinstance(outlets, dict) or not all(isinstance(v, str) and OUTLET_SLUG.fullmatch(k)
                                                for k, v in outlets.items()):
        problems.append("'outlets' must map outlet slugs to outlet names")
        outlets = {}
    recorded = []
    if not isinstance(stories, dict):
        problems.append("'stories' must map story ids to stories")
        stories = {}
    paths: dict[str, str] = {}
    for key, story in stories.items():
        was = story.get("was", []) if isinstance(story, dict) else None
        if not (isinstance(story, dict) and set(story) - {"was"} == STORY_FIELDS and isinstance(story["path"], str)
                and STORY_PATH.fullmatch(story["path"]) and isinstance(story["lead"], str)
                and isinstance(story["copies"], list) and all(isinstance(c, str) for c in story["copies"])
                and isinstance(was, list) and all(isinstance(w, str) and STORY_PATH.fullmatch(w) for w in was)):
            problems.append(f"story {key!r} must have exactly 'copies' (a list of paths), 'lead' (a path) and "
                            f"'path' (YYYY/MM/<slug>/), and may have 'was' (earlier paths)")
            continue
        if story["path"] in paths:
            problems.append(f"stories {paths[story['path']]!r} and {key!r} have one address, {story['path']}")
        paths[story["path"]] = key
        recorded.append(PublishedStory(key, story["path"], story["lead"], tuple(sorted(set(story["copies"]))),
                                       tuple(sorted(set(was) - {story["path"]}))))
    if problems:
        raise RecordError("\n".join(f"{RECORD_NAME}: {problem}" for problem in problems))
    return Published(tuple(sorted(recorded, key=lambda s: s.id)), dict(sorted(outlets.items())))


def record_after(previous: Published, index) -> Published:
    """`previous` with what `index` (a SiteIndex) publishes: each listed story and outlet. A recorded
    story keeps the copies that are no longer read (a deleted file), but not those now told elsewhere."""
    members = {story.key: story.members for story in index.stories}
    told: dict[str, tuple[Article, ...]] = {entry.feed_key: members.get(entry.feed_key, (entry.article,))
                                            for entry in index.entries}
    present = {article.file for copies in told.values() for article in copies}
    stories = {story.id: story for story in previous.stories}
    for key, story in stories.items():
        if key not in told and present.intersection(story.copies):
            stories[key] = PublishedStory(key, story.path, story.lead,
                                          tuple(c for c in story.copies if c not in present), story.was)
    for entry in index.entries:
        key = entry.feed_key
        before = stories.get(key)
        kept = [c for c in before.copies if c not in present] if before else []
        was = tuple(sorted({*before.was, before.path} - {entry.path})) if before else ()
        stories[key] = PublishedStory(key, entry.path, entry.article.file,
                                      tuple(sorted({a.file for a in told[key]} | set(kept))), was)
    outlets = dict(previous.outlets)
    for listing in index.outlets:
        outlets.setdefault(listing.outlet.slug, outlet_key(listing.outlet.name))
    return Published(tuple(sorted(stories.values(), key=lambda s: s.id)), dict(sorted(outlets.items())))


_JSON, _ASCII_JSON = (json.JSONEncoder(sort_keys=True, ensure_ascii=ascii) for ascii in (False, True))


def dump_record(published: Published) -> bytes:
    """JSON, sorted, one line per outlet and per story: a newly published story is one added line."""
    try:
        return _dump(published, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in an id: escaped, so the file stays UTF-8
        return _dump(published, ensure_ascii=True).encode("ascii")


def _dump(published: Published, ensure_ascii: bool) -> str:
    text = _ASCII_JSON.encode if ensure_ascii else _JSON.encode

    def mapping(rows: list[str]) -> str:
        return "{\n" + ",\n".join(rows) + "\n }" if rows else "{}"

    outlets = [f"  {text(slug)}: {text(key)}" for slug, key in sorted(published.outlets.items())]
    def story(s: PublishedStory) -> dict:
        return {"copies": list(s.copies), "lead": s.lead, "path": s.path, **({"was": list(s.was)} if s.was else {})}

    stories = [f"  {text(s.id)}: {text(story(s))}" for s in sorted(published.stories, key=lambda s: s.id)]
    return f'{{\n "outlets": {mapping(outlets)},\n "stories": {mapping(stories)}\n}}\n'


def write_record(config: SiteConfig, data: bytes) -> None:
    """Replace the record atomically: a killed build leaves the old one or the new one."""
    replace_file(record_path(config), data)
