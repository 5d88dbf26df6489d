"""`digest build`, top to bottom: settings -> read -> index -> plan (routes) -> render -> write.

A build writes into a staged copy of the output folder and swaps it in whole. With the cache, it
stops early when nothing changed, re-reads only changed documents, and, when the folder is as the
last build left it, renders only outputs whose inputs changed; a few such changes are patched into
the folder in place. The dev server keeps its memory between rebuilds in session.py instead; both
plan with routes.site_outputs and render with Renderer.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from generator.cache import (BuildRecord, PageStore, compiled_templates, fingerprint, inputs_digest, keep_pages,
                             load_build_record, load_page_store, load_reads, load_search_words, save_build_record,
                             save_reads, save_search_words, with_record)
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.images.store import store_dir
from generator.model import Article
from generator.output import FolderMaker, PatchedSite, StagedSite, check_target, folder_digest
from generator.parallel import fork_imap
from generator.published import (NOTHING_PUBLISHED, RECORD_NAME, Published, dump_record, parse_record, record_after,
                                 record_bytes, write_record)
from generator.sources import read_from, read_sources, read_taxonomy
from generator.sources.editorial import Overlay, read_editorial
from generator.sources.outlets import read_outlet_logos
from generator.theme import StaticFile, static_files, template_digests

if TYPE_CHECKING:
    from generator.index import Entry, SiteIndex
    from generator.render import Renderer
    from generator.routes import Output


@dataclass(frozen=True)
class BuildReport:
    read: int
    skipped: int
    pages: int
    feeds: int
    diagnostics: Diagnostics
    seconds: float
    output: Path
    written: bool
    up_to_date: bool = False  # nothing changed since the last build into `output`: nothing was redone

    def summary(self) -> str:
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        if self.up_to_date:
            done = f"nothing changed since the last build; {self.output} is up to date"
        else:
            where = f"into {self.output}" if self.written else "(nothing written)"
            done = f"wrote {_count(self.pages, 'page')} and {_count(self.feeds, 'feed')} {where}"
        read = _count(self.read, "document") if self.up_to_date else f"read {_count(self.read, 'document')}"
        return (f"digest: {read}{skipped}, {done}, "
                f"{_count(len(self.diagnostics.warnings), 'warning')}, {self.seconds:.2f} s")


def build(config: SiteConfig, output: Path | None = None, drafts: bool = False, strict: bool = False,
          show_progress: bool | None = None, use_cache: bool = True) -> BuildReport:
    """A full build, written atomically: the output is replaced only by a complete site."""
    started = time.perf_counter()
    target = Path(output) if output else config.output_dir
    check_target(target, config.root, [config.root / s for s in config.sources] + [store_dir(config)])
    show = sys.stderr.isatty() if show_progress is None else show_progress
    workers = os.cpu_count() or 1
    with collector_paused():
        diagnostics = Diagnostics()
        taxonomy = read_taxonomy(config, diagnostics)
        static = static_files(config, diagnostics)
        recorded = record_bytes(config)
        last = _last_build(config, target, taxonomy, drafts, static, recorded) if use_cache else None
        if last is not None and last.up_to_date:
            return replace(last.record.report, seconds=time.perf_counter() - started, written=False, up_to_date=True)
        renderers, records = [], []

        def get_ready() -> None:
            """While the workers read: read the site's record, import what only a build with work to do needs
            (importing it was a third of a build with nothing changed) and compile the templates once, for
            every worker."""
            records.append(parse_record(recorded) if recorded else NOTHING_PUBLISHED)
            from generator.render import Renderer
            from generator.urls import Urls

            renderers.append(Renderer(config, Urls(config.url, config.base_path), drafts,
                                      compiled_templates(config) if use_cache else None).loaded())

        staged = not _may_patch(last)  # built whole beside the old site: its folders can be made ahead
        with ExitStack() as stack:
            folders = stack.enter_context(FolderMaker(workers if staged else 1))
            reads = load_reads(config, taxonomy) if use_cache else {}
            cached = dict(reads)
            articles = read_sources(config, taxonomy, diagnostics, progress_bar(show, "reading"), reads, workers=workers,
                                    meanwhile=get_ready)
            from generator.images.plan import plan_images
            from generator.index import article_places, build_index
            from generator.routes import refuse_clashes, site_outputs
            if use_cache and sum(cached.get(path) is not read for path, read in reads.items()) * UNSAVED_SHARE > len(reads):
                save_reads(config, taxonomy, reads)
            reads = cached = None  # the stories stay; what else each read kept goes (tens of MB at 100,000)
            published = records[0]
            articles = Overlay().apply(articles, read_editorial(config, diagnostics), diagnostics)  # the editors' hand
            articles = plan_images(config, articles, drafts)  # from the image store, within the byte budget
            # Staged before the index, for `folders` to make the pages' folders while it is built.
            ahead = stack.enter_context(StagedSite(target)) if staged else None
            places = article_places(config, articles)
            if ahead is not None:
                folders.start(ahead, _likely_folders(articles, places, drafts))
            index = build_index(config, articles, taxonomy, diagnostics, drafts, read_outlet_logos(config, diagnostics),
                                published, places)
            places = None
            with _search_words_kept(config, taxonomy, use_cache):
                outputs = site_outputs(config, index)
            refuse_clashes(outputs)

            renderer = renderers[0]
            renderer.use(index)
            digests = _digests(config, taxonomy, drafts, index, outputs) if use_cache else {}
            keep = last.reusable_outputs if last is not None else {}
            write = not (strict and diagnostics.items)
            pages = load_page_store(config) if use_cache else None  # files made before, by their inputs
            updated = []  # the site's record with what this build publishes, made while the workers render

            def update_record() -> None:
                if write and not drafts:
                    updated.append(record_after(published, index))

            if ahead is not None:
                ahead.made_ahead(folders.made())
            folders.close()
            site = ahead or stack.enter_context(PatchedSite(target) if _patchable(last, outputs, digests)
                                                else StagedSite(target))
            if last is not None and last.same_static and digests == keep and None not in digests.values():
                rendered: list[Output] = []  # every file in the folder is already what this build makes
            else:
                rendered = _write_outputs(outputs, digests, keep, renderer, site, workers, progress_bar(show, "rendering"),
                                          pages, update_record)
                if write:
                    _publish(site, static, outputs)
        if write and not drafts:
            recorded = _record(config, published, recorded, updated[0] if updated else record_after(published, index),
                               diagnostics)
        report = _report(len(articles), diagnostics, rendered, target, write, 0)
        if use_cache and write:
            keep_pages(config, pages, target, digests)
            save_build_record(config, target, BuildRecord(with_record(last.inputs, recorded), folder_digest(target),
                                                          report, digests, last.static_digest))
    return replace(report, seconds=time.perf_counter() - started)


@contextmanager
def _search_words_kept(config: SiteConfig, taxonomy, use_cache: bool):
    """The search index takes each unchanged story's words and stems from the last build's, kept in .cache/."""
    if not (use_cache and config.search):
        yield
        return
    from generator import search

    known = load_search_words(config, taxonomy)
    search.use_words(known)
    try:
        yield
    finally:
        made = search.words_made()
    if known is None or made.keys() != known[0].keys():  # the same stories' text: the same words
        save_search_words(config, taxonomy, made, search.stems_of(made))


def _record(config: SiteConfig, published: Published, recorded: bytes, after: Published,
            diagnostics: Diagnostics) -> bytes:
    """Write `after`, the site's record with what this build published (published.record_after); its bytes
    as the file now holds them. A record already up to date is left as it is, byte for byte."""
    if recorded and after == published:  # nothing new: not even written out to be compared (0.1 s at 10k)
        return recorded
    data = dump_record(after)
    if data == recorded:
        return recorded
    try:
        write_record(config, data)
    except OSError as error:
        diagnostics.warn(RECORD_NAME, f"cannot be written ({error.strerror}); the next build cannot know what "
                                      f"this one published")
        return recorded
    return data


@dataclass(frozen=True)
class LastBuild:
    """This build's stamps next to what the last complete build into the same folder recorded."""

    inputs: str  # inputs_digest now, taken before reading: an edit made meanwhile is seen next time
    folder: str  # folder_digest of the output folder now
    static_digest: str
    record: BuildRecord | None
    published: bytes = b""  # the site's record of what it published, as this build read it

    @property
    def up_to_date(self) -> bool:
        return self.record is not None and (self.record.inputs, self.record.folder) == (
            with_record(self.inputs, self.published), self.folder)

    @property
    def folder_untouched(self) -> bool:
        """The folder is exactly as that build left it, so its files can be linked into the new one."""
        return self.record is not None and self.record.folder == self.folder

    @property
    def reusable_outputs(self) -> dict[str, bytes | None]:
        return self.record.outputs if self.folder_untouched else {}

    @property
    def same_static(self) -> bool:
        return self.folder_untouched and self.record.static == self.static_digest


def _last_build(config: SiteConfig, target: Path, taxonomy, drafts: bool, static: list[StaticFile],
                published: bytes) -> LastBuild:
    return LastBuild(inputs_digest(config, taxonomy, drafts, static), folder_digest(target),
                     _static_digest(static), load_build_record(config, target), published)


def _digests(config: SiteConfig, taxonomy, drafts: bool, index: SiteIndex,
             outputs: list[Output]) -> dict[str, bytes | None]:
    """For each output, a digest of everything its bytes depend on: its own inputs, plus what every
    page shows (settings, code, templates, navigation)."""
    shared = _digest((fingerprint(config, taxonomy), str(config.root), drafts, sorted(template_digests(config).items()),
                      index.standalone))
    _entry_digests.clear()
    try:
        digests = [_digest((shared, output.inputs)) for output in outputs]  # forking costs more than it saves
    finally:
        _entry_digests.clear()  # it keeps every entry alive
    return dict(zip((output.path for output in outputs), digests, strict=True))


def _write_outputs(outputs: list[Output], digests: dict, keep: dict, renderer: Renderer, site: StagedSite,
                   workers: int, progress, pages: PageStore | None, meanwhile=None) -> list[Output]:
    """Render and stage each output in the worker that rendered it (no page's bytes cross a pipe), or
    link last build's file when its digest is unchanged, or the page store's (`pages`) copy of it.
    Returns the outputs rendered. `meanwhile`: work of the caller's, done while the others render."""

    def write_one(n: int) -> bool:
        output = outputs[n]
        digest = digests.get(output.path)
        if digest is not None:
            if digest == keep.get(output.path) and site.keep(output.path):
                return False
            stored = pages.copy_of(output.path, digest) if pages is not None else None
            if stored is not None and site.adopt(stored, output.path):
                return False
        site.place(output.path, renderer.render(output))
        return True

    made = fork_imap(write_one, list(range(len(outputs))), workers, progress, meanwhile)
    return [output for output, rendered in zip(outputs, made, strict=True) if rendered]


def _likely_folders(articles: list[Article], places: tuple[list[str], list[str]], drafts: bool) -> Iterable[str]:
    """The folders of the articles' pages, unless another article or a published address holds a slug
    (index.article_places)."""
    return dict.fromkeys(folder + slug for article, folder, slug in zip(articles, *places)
                         if article.kind == "article" and (drafts or not article.draft))


def _may_patch(last: LastBuild | None) -> bool:
    """Whether the folder could be patched in place (`_patchable` tells once the outputs are known)."""
    return last is not None and bool(last.reusable_outputs) and last.same_static


def _patchable(last: LastBuild | None, outputs: list[Output], digests: dict) -> bool:
    """Patch the folder in place only for a few changes (a tenth of the outputs at most) to a folder as
    the last build left it. A stylesheet or template change, or a new setting, reaches every page:
    patched file by file, a reader would meet new pages beside old ones (and new CSS under old HTML)
    for seconds, so such a site is built beside the old one and swapped in whole."""
    if not _may_patch(last):
        return False
    kept = last.reusable_outputs
    changed = sum(digests.get(output.path) is None or digests[output.path] != kept.get(output.path) for output in outputs)
    return changed <= max(PATCH_FILES, len(outputs) // 10)


# When at most a hundredth of the documents were read afresh, the read cache is left as it was: the next
# build reads them again in less time than saving all of them takes (0.3 s at 10,000).
UNSAVED_SHARE = 100
PATCH_FILES = 64  # on a small site a patch of everything takes milliseconds: patch up to this many anyway


def _publish(site: StagedSite | PatchedSite, static: list[StaticFile], outputs: list[Output]) -> None:
    """Put the new site in place: a staged one swapped in whole, a patched one file by file."""
    site.commit(static, {output.path for output in outputs})


def _digest(inputs, pickler_class=None) -> bytes | None:
    """A digest of the value of `inputs`: the pickler's memo is off ("fast" mode), so objects shared in
    one process and merely equal in another (a topic name from topics.yml) give the same bytes."""
    buffer = io.BytesIO()
    pickler = (pickler_class or _EntriesByDigest)(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    try:
        pickler.dump(inputs)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        return None  # cannot be digested: always rendered
    return hashlib.sha256(buffer.getbuffer()).digest()


class _EntriesByDigest(pickle.Pickler):
    """Pickles each story (Entry) as the digest of its value, taken once per build: a story shows in
    up to ten outputs (its page, listings, feeds), and pickling it whole for each took seconds at 10k."""

    def __init__(self, *args):
        super().__init__(*args)
        self.entry_type = _entry_class()

    def persistent_id(self, obj):
        if type(obj) is not self.entry_type:
            return None
        known = _entry_digests.get(id(obj))
        if known is None or known[0] is not obj:
            digest = _digest(obj, _ArticlesByRead)
            if digest is None:
                raise pickle.PicklingError("a story that cannot be digested")
            known = _entry_digests[id(obj)] = (obj, digest)
        return known[1]


_entry_digests: dict[int, tuple[Entry, bytes]] = {}  # id -> (the entry, kept alive; its digest)


@lru_cache(maxsize=1)
def _entry_class() -> type:
    """Entry, imported once a build has work to do (a build with nothing changed never imports the index);
    a pickler is made for every output, and an import statement in each was a microsecond."""
    from generator.index import Entry

    return Entry


class _ArticlesByRead(pickle.Pickler):
    """Pickles an article as what it was read from (its file, its bytes' digest, its fallback date), which
    with the settings and code in every output's digest decide its value: pickling each article whole
    was most of the time the outputs' digests took."""

    def persistent_id(self, obj):
        return read_from(obj) if type(obj) is Article else None


def _static_digest(static: list[StaticFile]) -> str:
    return hashlib.sha256(repr([(file.path, hashlib.sha256(file.source.read_bytes()).hexdigest())
                                for file in static]).encode()).hexdigest()


def _report(read: int, diagnostics: Diagnostics, rendered: list[Output], target: Path, written: bool,
            seconds: float) -> BuildReport:
    from generator.routes import Writer

    return BuildReport(
        read=read, skipped=len(diagnostics.errors), pages=sum(o.path.endswith(".html") for o in rendered),
        feeds=sum(o.writer is Writer.FEED for o in rendered), diagnostics=diagnostics,
        seconds=seconds, output=target.resolve(), written=written,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def progress_bar(show: bool, description: str):
    if not show:  # tqdm, imported, is 40 ms of the one core a build starts on
        return lambda items: items
    from tqdm import tqdm

    return lambda items: tqdm(items, desc=description, unit=" files", leave=False)


@contextmanager
def collector_paused():
    """A build makes almost no cyclic garbage, and full collections over 100k models cost seconds."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
