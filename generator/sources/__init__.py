"""Read every source document into Article models. Reading never renders."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, Diagnostics, SourceError
from generator.model import Article, Topic, in_folders
from generator.records import pickled_by_fields
from generator.sources.article import build_article
from generator.sources.document import decode, parse_document, read_bytes
from generator.sources.filedates import fallback_date
from generator.parallel import fork_map
from generator.sources.topics import load_taxonomy
from generator.stories import remember_urls, story_urls
from generator.walk import walk_files

DATA_SUFFIXES = (".yml", ".yaml")


def read_taxonomy(config: SiteConfig, diagnostics: Diagnostics) -> tuple[Topic, ...]:
    return load_taxonomy(config.root / config.topics_file, config.topics_file, diagnostics)


def source_files(config: SiteConfig, diagnostics: Diagnostics) -> list[str]:
    """The path of every document under the source folders, in a stable order; hidden files, editor
    temporaries, data files and links that lead out of their source folder are passed over."""
    found = []

    def refuse(path: str, reason: str) -> None:
        diagnostics.warn(Path(os.path.relpath(path, config.root)).as_posix(), reason)

    for folder in config.sources:
        for entry in walk_files(str(config.root / folder), refuse=refuse):
            if not entry.name.endswith(DATA_SUFFIXES):
                found.append(entry.path)
    return found


def read_file(path: Path, config: SiteConfig, taxonomy: tuple[Topic, ...],
              diagnostics: Diagnostics) -> Article:
    label = path.relative_to(config.root).as_posix()  # also the default key: the same on every OS
    return _article(label, read_bytes(label, path, config.max_file_bytes), path, config, taxonomy, diagnostics)


def _article(label: str, data: bytes, path: Path | str, config: SiteConfig, taxonomy: tuple[Topic, ...],
             diagnostics: Diagnostics, undated=fallback_date) -> Article:
    text, lossy = decode(label, data)
    if lossy:
        diagnostics.warn(label, "not valid UTF-8; undecodable bytes replaced with U+FFFD")
    if not text.strip():
        raise SourceError(label, "empty file")
    doc = parse_document(label, text)
    kind = "page" if "pages" in label.split("/")[1:-1] else "article"
    return build_article(doc, path, kind, config, taxonomy, diagnostics, undated)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CachedRead:
    stamp: tuple[int, int]  # (mtime_ns, size): unchanged stamp, unchanged file
    article: Article | None  # None when the file could not be read
    diagnostics: tuple[Diagnostic, ...]
    # A new stamp on the same bytes (a fresh checkout, a copy) keeps the read: besides its path (the key),
    # the settings and code (the cache's fingerprint) and its bytes, an article depends only on the date
    # an undated document takes from git or its mtime, so that is kept too.
    content: bytes | None = None  # digest of the bytes read; None: no bytes were read, never reused
    undated: tuple[datetime, str] | None = None  # what fallback_date gave, when the document needed it
    urls: tuple[str, ...] | None = None  # the pages the article's URLs name (stories.story_urls)


def read_sources(config: SiteConfig, taxonomy: tuple[Topic, ...], diagnostics: Diagnostics,
                 progress=lambda items: items, cache: dict[str, CachedRead] | None = None,
                 edited: set[str] | None = None, workers: int = 1, meanwhile=None) -> list[Article]:
    """Read every document. With a cache (kept by the caller between builds) only changed files are
    re-read; when the caller knows that only the `edited` files changed, nothing else is even listed.
    `meanwhile`: the caller's own work, done while reading workers read (parallel.fork_map)."""
    cache = {} if cache is None else cache
    if edited is not None:
        edited = {p for p in edited if p in cache or os.path.exists(p)}  # a vanished temp file is no change
        for deleted in {p for p in edited if not os.path.exists(p)}:
            del cache[deleted]
    # A file that became a link may now lead anywhere: only a listing decides whether it may be read.
    if edited is not None and edited <= cache.keys() and not any(os.path.islink(p) for p in edited):
        files = list(cache)
    else:  # a new file, or no hint: list the folders
        files, edited = source_files(config, diagnostics), None
        for gone in set(cache) - set(files):
            del cache[gone]
    candidates = files if edited is None else [p for p in files if p in edited]
    # A file the cache does not hold is read whatever its stamp: the worker reading it takes that.
    stamps = {path: file_stamp(path) for path in candidates if path in cache}
    stale = [path for path in candidates if path not in stamps or cache[path].stamp != stamps[path]]
    records = fork_map(lambda path: _read_record(path, stamps.get(path), config, taxonomy, cache.get(path)),
                       stale, workers, progress, meanwhile)
    for path, record in zip(stale, records, strict=True):  # None: same bytes, the cached read stands
        cache[path] = replace(cache[path], stamp=stamps[path]) if record is None else record
    articles: list[Article] = []
    _reads.clear()
    for path in files:
        record = cache[path]
        for diagnostic in record.diagnostics:
            diagnostics.add(diagnostic)
        if record.article is not None:
            articles.append(record.article)
            if record.urls is not None:
                remember_urls(record.article, record.urls)
            if record.content is not None:
                _reads[id(record.article)] = (record.article, (record.article.file, record.content, record.undated))
    return settle_ids(articles, diagnostics, config.editorial)


def read_from(article: Article) -> tuple | None:
    """What the article the last read_sources returned was read from: its file, a digest of its bytes and
    the date it took from git or its mtime, which with the settings and code (the read cache's
    fingerprint) decide its value. None for any other article, such as one an editor's note changed."""
    known = _reads.get(id(article))
    return known[1] if known is not None and known[0] is article else None


_reads: dict[int, tuple[Article, tuple]] = {}  # id -> (the article, kept alive; what it was read from)


def file_stamp(path: str) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except OSError:
        return (0, 0)  # vanished between listing and reading: an editor's save-by-rename
    return (status.st_mtime_ns, status.st_size)


def _read_record(path: str, stamp: tuple[int, int] | None, config: SiteConfig, taxonomy: tuple[Topic, ...],
                 cached: CachedRead | None = None) -> CachedRead | None:
    """A fresh read of the file, or None when its bytes (and its fallback date, if it took one) are
    those `cached` was read from: then a clean read would give exactly the cached record. `stamp`:
    the file's, taken before its bytes are read (here, if None)."""
    if stamp is None:
        stamp = file_stamp(path)
    local = Diagnostics()
    article = content = urls = None
    undated: list[tuple[datetime, str]] = []

    def recorded_date(file: Path) -> tuple[datetime, str]:
        undated.append(fallback_date(file))
        return undated[-1]

    try:
        label = _label(path, config)
        data = read_bytes(label, path, config.max_file_bytes)
        content = hashlib.blake2b(data, digest_size=16).digest()
        if cached is not None and cached.content == content and (
                cached.undated is None or fallback_date(Path(path)) == cached.undated):
            return None
        article = _article(label, data, path, config, taxonomy, local, recorded_date)
        urls = story_urls(article) if article.kind == "article" else None
    except SourceError as error:
        local.add(error.diagnostic)
    except OSError as error:
        content = None  # the failure, not the bytes, made this record
        local.add(SourceError(os.path.relpath(path, config.root), f"cannot read: {error.strerror}").diagnostic)
    except Exception as error:  # a reader bug must cost one file, not the build
        local.add(SourceError(os.path.relpath(path, config.root),
                              f"could not be read ({type(error).__name__}: {error})").diagnostic)
    return CachedRead(stamp, article, tuple(local.reported), content, undated[0] if undated else None, urls)


def root_prefix(config: SiteConfig) -> str:
    """Listed source paths are the root's followed by the relative path: cutting and adding it back is exact."""
    return os.path.join(str(config.root), "")


def _label(path: str, config: SiteConfig) -> str:
    """A listed file's path relative to the site root, '/'-separated (Article.file). By string, as the
    listing made `path` from the root: through pathlib this was a twelfth of reading a story."""
    prefix = root_prefix(config)
    if not path.startswith(prefix):
        return Path(path).relative_to(config.root).as_posix()
    label = path[len(prefix):]
    return label.replace(os.sep, "/") if os.sep != "/" else label


def settle_ids(articles: list[Article], diagnostics: Diagnostics, editorial: tuple[str, ...] = ()) -> list[Article]:
    """Make every key unique without moving any other document's: feed ids derive from the key.

    A document without an `id` is keyed by its path, which no other document has, so adding, removing
    or renaming a file never changes another's id. An explicit `id` claimed by several documents is
    kept by a document from the `editorial` folders (a scraped item cannot take an editor's id by its
    date), then the one with the earliest date, then the first path; one that is another document's
    path stays with that document. Each document that loses its claim is keyed by its own path instead
    and is still published, with a warning naming both files."""
    owners = {article.file: article for article in articles}
    claims: dict[str, list[Article]] = {}
    for article in articles:
        if article.key != article.file:
            claims.setdefault(article.key, []).append(article)
    moved: dict[int, Article] = {}
    for key, claimants in claims.items():
        keeper = owners.get(key) or min(claimants, key=lambda a: (not in_folders(a.file, editorial), a.date, a.file))
        why = "it is that file's path" if key in owners else "an editor's document, then earliest date, then first path"
        for article in claimants:
            if article is not keeper:
                diagnostics.warn(article.file, f"the id '{key}' is also claimed by {keeper.file}, which keeps it "
                                                 f"({why}); this document's id is its path '{article.file}'")
                moved[id(article)] = replace(article, key=article.file)
    return [moved.get(id(article), article) for article in articles] if moved else articles
