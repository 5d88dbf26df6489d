"""The pipeline: config -> read sources -> index -> render -> write.

A Builder keeps what its last run read and rendered, so the dev server's rebuilds re-read
only changed files and re-render only pages whose inputs or templates changed; a fresh
Builder does a full build.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import sys
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from tqdm import tqdm

from generator.cache import fingerprint, input_stamp, load_build_record, load_reads, save_build_record, save_reads
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.feeds import json_feed_path, render_feed, render_json_feed
from generator.index import Reuse, SiteIndex, build_index, html_pages, placed_alike, site_files, update_index
from generator.model import Article
from generator.output import OutputError, StagedSite, check_target, tree_stamp
from generator.parallel import fork_imap, fork_map
from generator.render import Renderer, template_dependencies, template_stamps, theme_static_files
from generator.sources import read_sources, read_taxonomy
from generator.urls import Urls


@dataclass(frozen=True)
class BuildResult:
    files: dict[str, bytes]  # output path -> bytes
    rendered: tuple[str, ...]  # the outputs this run actually (re-)rendered
    documents: int  # documents read successfully, drafts included
    index: SiteIndex
    diagnostics: Diagnostics


class Builder:
    """`run` returns every output's bytes and keeps them for the next run's comparisons; with a
    `sink` (a StagedSite), each output goes to it as soon as it is rendered, in the worker process
    that rendered it, and nothing is kept (one-shot builds)."""

    def __init__(self, config: SiteConfig, drafts: bool = False, show_progress: bool = False, workers: int = 1):
        self.config, self.drafts, self.show_progress, self.workers = config, drafts, show_progress, workers
        self.urls = Urls(config.url, config.base_path)
        self.renderer = Renderer(config, self.urls, drafts)
        self._read_cache: dict = {}
        self._taxonomy = None
        self._outputs: dict[str, tuple[object, bytes]] = {}  # path -> (inputs, bytes) of the last run
        self._stamps: dict[str, tuple[int, int]] = {}
        self._nav = None
        self._uses: dict[str, set[str]] | None = None
        self._indexed: tuple[list[Article], SiteIndex, tuple] | None = None  # articles, index, its warnings
        self._reuse_pages, self._reuse_jobs = Reuse(), Reuse()  # unchanged entries keep their pages and jobs
        self.page_salt: bytes | None = None  # set: digest each output's inputs (see _write_through)
        self.previous_digests: dict[str, bytes] = {}
        self.may_keep_folder = False  # the caller knows the folder's other files (static) are current
        self.digests: dict[str, bytes | None] = {}
        self.kept_folder = False

    def preload(self, taxonomy, reads: dict) -> None:
        """Start from reads kept by an earlier process (see cache.py) made with this taxonomy."""
        self._taxonomy, self._read_cache = taxonomy, reads

    @property
    def reads(self) -> tuple:
        return self._taxonomy, self._read_cache

    def run(self, edited: set[Path] | None = None, sink=None) -> BuildResult:
        """Build; `edited` (files known to be the only change, from a watcher) spares listing the sources."""
        diagnostics = Diagnostics()
        taxonomy = read_taxonomy(self.config, diagnostics)
        if taxonomy == self._taxonomy:
            taxonomy = self._taxonomy  # the same objects keep page comparisons to identity checks
        else:
            self._read_cache.clear()  # topics guessed from keywords depend on it
            self._taxonomy, self._indexed = taxonomy, None
        edited_paths = {str(p) for p in edited} if edited is not None else None
        articles = read_sources(self.config, taxonomy, diagnostics, self._progress("reading"), self._read_cache,
                                edited_paths, self.workers)
        index = self._index(articles, diagnostics)
        files, rendered = self._render(index, sink)
        return BuildResult(files, tuple(rendered), len(articles), index, diagnostics)

    def _index(self, articles: list[Article], diagnostics: Diagnostics) -> SiteIndex:
        """The last index updated in place when every edit left the articles placed alike; else a new one."""
        edited = _edits(self._indexed[0], articles) if self._indexed else None
        if edited is None:
            local = Diagnostics()
            index = build_index(self.config, articles, self._taxonomy, local, self.drafts)
            self._indexed = (articles, index, tuple(local.items))
        else:
            index = update_index(self._indexed[1], edited) if edited else self._indexed[1]
            self._indexed = (articles, index, self._indexed[2])
        for diagnostic in self._indexed[2]:
            diagnostics.add(diagnostic)
        return index

    def _render(self, index: SiteIndex, sink=None) -> tuple[dict[str, bytes], list[str]]:
        stale_templates = self._stale_templates()
        if stale_templates or self._uses is None:
            self.renderer.env.cache.clear()  # templates are not re-checked on each use (auto_reload off)
            self._uses = template_dependencies(self.renderer.env)
        uses = self._uses
        if index.pages != self._nav:  # every page's navigation lists the standalone pages
            self._outputs.clear()
            self._nav = index.pages
        self.renderer.use(index)
        jobs = self._jobs(index)
        _refuse_clashes(job[0] for job in jobs)
        outputs, todo = {}, []
        for job in jobs:
            path, template, inputs, _ = job
            previous = self._outputs.get(path)
            if previous is not None and previous[0] == inputs and not uses.get(template, {template}) & stale_templates:
                outputs[path] = previous
            else:
                todo.append(job)
        outputs[".nojekyll"] = (None, b"")  # GitHub Pages would otherwise drop paths starting with "_"
        if sink is not None:
            self._outputs = {}
            return {}, self._write_through(todo, sink, index)
        for (path, _, inputs, _), data in zip(todo, self._make_each([job[3] for job in todo]), strict=True):
            outputs[path] = (inputs, data)
        self._outputs = outputs
        return {path: data for path, (_, data) in outputs.items()}, [job[0] for job in todo]

    def _write_through(self, jobs: list[tuple], sink, index: SiteIndex) -> list[str]:
        """Each output is rendered and written by the same worker: no page's bytes cross a pipe. With
        `page_salt` set, each output's inputs are digested first, and one whose digest matches the last
        build's (`previous_digests`, from a folder left untouched since) is kept, not rendered. When
        every one matches and `may_keep_folder`, nothing is staged at all (`kept_folder`)."""
        digests = self._digests(jobs, index)
        self.digests = dict(zip((job[0] for job in jobs), digests))
        previous = self.previous_digests
        self.kept_folder = self.may_keep_folder and None not in digests and self.digests == previous
        if self.kept_folder:
            return []
        tasks = [partial(_write_one, sink, path, make, digest, previous.get(path))
                 for (path, _, _, make), digest in zip(jobs, digests)]
        rendered = [job[0] for job, made in zip(jobs, self._make_each(tasks), strict=True) if made]
        sink.place(".nojekyll", b"")
        return rendered

    def _digests(self, jobs: list[tuple], index: SiteIndex) -> list[bytes | None]:
        shared = None
        if self.page_salt is not None:  # what every page shows besides its own inputs
            shared = _digest((self.page_salt, self.drafts, sorted(self._stamps.items()), index.pages))
        if shared is None:
            return [None] * len(jobs)
        return fork_map(lambda n: _digest((shared, jobs[n][1], jobs[n][2])), list(range(len(jobs))), self.workers)

    def _jobs(self, index: SiteIndex) -> list[tuple]:
        """Every output as (path, template it depends on, inputs that decide its bytes, how to make it)."""
        config, urls, renderer = self.config, self.urls, self.renderer
        pages = html_pages(config, index, self._reuse_pages)
        jobs = [self._reuse_jobs(page, lambda page=page: (page.path, page.template, (page.template, page.context),
                                                          partial(renderer.page, page)))
                for page in pages]
        self._reuse_pages.next_build()
        self._reuse_jobs.next_build()
        for feed in index.feeds:
            jobs.append((feed.path, "feed_entry.html", feed, partial(render_feed, feed, config, urls, renderer.feed_entry)))
            jobs.append((json_feed_path(feed), "feed_entry.html", feed,
                         partial(render_json_feed, feed, config, urls, renderer.feed_entry)))
        for path, template, context in site_files(config, pages):
            jobs.append((path, template, (template, context), partial(renderer.file, template, **context)))
        return jobs

    def _make_each(self, makers: list):
        return fork_imap(lambda index: makers[index](), list(range(len(makers))), self.workers, self._progress("rendering"))

    def _stale_templates(self) -> set[str]:
        stamps = template_stamps(self.config)
        stale = {name for name in stamps.keys() | self._stamps.keys() if stamps.get(name) != self._stamps.get(name)}
        self._stamps = stamps
        return stale

    def _progress(self, description: str):
        return lambda items: tqdm(items, desc=description, unit=" files", leave=False, disable=not self.show_progress)


def _edits(old: list[Article], new: list[Article]) -> dict[int, Article] | None:
    """id(old article) -> its edited version, when the documents are the same ones and none of them
    moved (see index.PLACEMENT); None when the index has to be built afresh."""
    if len(old) != len(new):
        return None
    edited = {}
    for before, after in zip(old, new):
        if before is not after:
            if not placed_alike(before, after):
                return None
            edited[id(before)] = after
    return edited


def _write_one(sink, path: str, make, digest: bytes | None, previous: bytes | None) -> bool:
    """Keep or render one output; True if it was rendered. Runs in a worker."""
    if digest is not None and digest == previous and sink.keep(path):
        return False
    sink.place(path, make())
    return True


def _digest(inputs) -> bytes | None:
    """A digest of the value of `inputs`: the pickler's memo is off ("fast" mode), so objects shared in
    one process and merely equal in another (a topic name from topics.yml) give the same bytes."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    try:
        pickler.dump(inputs)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        return None  # cannot be digested: always rendered
    return hashlib.sha256(buffer.getbuffer()).digest()


def _refuse_clashes(paths) -> None:
    """The index gives every page its own path; this guards that promise against any future change."""
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            raise OutputError(f"two pages would both be written to {path}")
        seen.add(path)


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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def build(config: SiteConfig, output: Path | None = None, drafts: bool = False, strict: bool = False,
          show_progress: bool | None = None, use_cache: bool = True) -> BuildReport:
    """A full build, written atomically: the output is replaced only by a complete site. With the
    cache, a build whose inputs and output folder are exactly as the last one left them stops early."""
    collecting = gc.isenabled()
    gc.disable()  # a build makes almost no cyclic garbage, and full collections over 100k models cost seconds
    try:
        return _build(config, output, drafts, strict, show_progress, use_cache)
    finally:
        if collecting:
            gc.enable()


def _build(config: SiteConfig, output: Path | None, drafts: bool, strict: bool, show_progress: bool | None,
           use_cache: bool) -> BuildReport:
    started = time.perf_counter()
    target = Path(output) if output else config.output_dir
    check_target(target, config.root, [config.root / s for s in config.sources])
    show = sys.stderr.isatty() if show_progress is None else show_progress
    builder = Builder(config, drafts, show, workers=os.cpu_count() or 1)
    static = theme_static_files(config)
    static_digest = _static_digest(static) if use_cache else None
    if use_cache:
        taxonomy = read_taxonomy(config, Diagnostics())
        inputs = input_stamp(config, taxonomy, drafts)  # before reading: an edit made meanwhile is seen next time
        record, left = load_build_record(config, target), tree_stamp(target)
        if record is not None and record[:2] == (inputs, left):
            return replace(record[2], seconds=time.perf_counter() - started, written=False, up_to_date=True)
        builder.preload(taxonomy, load_reads(config, taxonomy))
        builder.page_salt = fingerprint(config, taxonomy).encode()
        if record is not None and record[1] == left:  # the folder is as that build left it: its pages can be kept
            builder.previous_digests = record[3]
            builder.may_keep_folder = record[4] == static_digest
    with StagedSite(target) as site:  # leaving it waits for the previous site's removal, done meanwhile
        result = builder.run(sink=site)
        write = not (strict and result.diagnostics.items)
        if write and not builder.kept_folder:  # kept: every file in the folder is already what this build makes
            site.commit(static)
        if use_cache:
            save_reads(config, *builder.reads)
            if write:
                report = _report(result, target, write, 0)
                save_build_record(config, target, (inputs, tree_stamp(target), report, builder.digests, static_digest))
    return _report(result, target, write, time.perf_counter() - started)


def _static_digest(static: list[tuple[Path, str]]) -> str:
    return hashlib.sha256(repr([(target, hashlib.sha256(source.read_bytes()).hexdigest())
                                for source, target in static]).encode()).hexdigest()


FEED_NAMES = ("feed.xml", "feed.json")


def _report(result: BuildResult, target: Path, written: bool, seconds: float) -> BuildReport:
    return BuildReport(
        read=result.documents,
        skipped=len(result.diagnostics.errors), pages=sum(p.endswith(".html") for p in result.rendered),
        feeds=sum(p.endswith(FEED_NAMES) for p in result.rendered), diagnostics=result.diagnostics,
        seconds=seconds, output=target.resolve(), written=written,
    )
