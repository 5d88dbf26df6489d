"""The dev server's memory: what one rebuild keeps for the next, so a save re-reads one file and
re-renders only the outputs that show it. `digest build` keeps none of this (see build.py).

Every attribute of a PreviewSession is written by `rebuild` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import search
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, Diagnostics
from generator.images.plan import ImagePlanner
from generator.index import SiteIndex, build_index, placed_alike, update_index
from generator.model import Article
from generator.parallel import fork_imap
from generator.published import NOTHING_PUBLISHED, read_record
from generator.render import Renderer, template_dependencies
from generator.routes import Output, Reuse, refuse_clashes, site_outputs
from generator.sources import read_sources, read_taxonomy
from generator.sources.editorial import Overlay, read_editorial
from generator.sources.outlets import read_outlet_logos
from generator.theme import template_stamps
from generator.urls import Urls


@dataclass(frozen=True)
class Rebuilt:
    files: dict[str, bytes]  # every output of the site (static files aside): path -> bytes
    rendered: tuple[str, ...]  # the outputs this rebuild rendered
    documents: int  # documents read successfully, drafts included
    index: SiteIndex
    diagnostics: Diagnostics


@dataclass(frozen=True, slots=True)
class Made:
    inputs: tuple  # Output.inputs it was rendered from
    data: bytes


@dataclass(frozen=True)
class Indexed:
    articles: list[Article]
    index: SiteIndex
    diagnostics: tuple[Diagnostic, ...]  # what build_index reported, repeated while the index is reused


class PreviewSession:
    def __init__(self, config: SiteConfig, drafts: bool = False, workers: int = 1):
        self.config, self.drafts, self.workers = config, drafts, workers
        self.renderer = Renderer(config, Urls(config.url, config.base_path), drafts)
        self._taxonomy = None
        self._logos = None  # content/outlets.yml as last read
        self._published, self._recorded = NOTHING_PUBLISHED, None  # the site's record, and its bytes, as last read
        self._reads: dict = {}  # source path -> sources.CachedRead
        self._indexed: Indexed | None = None
        self._template_stamps: dict[str, tuple[int, int]] = {}
        self._template_uses: dict[str, set[str]] | None = None  # template -> itself and all it includes
        self._navigation = None  # the standalone pages every page links: when they change, every page does
        self._made: dict[str, Made] = {}  # output path -> how the last rebuild made it
        self._reuse = Reuse()  # index part -> the outputs derived from it
        self._images = ImagePlanner(config, drafts)  # the image store, and which images each article shows
        self._overlay = Overlay()  # content/editorial.yml applied, the same objects while it is unchanged
        search.remember_between_builds()  # each story's search document, made again only when it changes

    def rebuild(self, edited: set[Path] | None = None) -> Rebuilt:
        """Build again; `edited` (files known to be the only change, from a watcher) spares listing the sources."""
        diagnostics = Diagnostics()
        taxonomy = read_taxonomy(self.config, diagnostics)
        if taxonomy == self._taxonomy:
            taxonomy = self._taxonomy  # the same objects keep page comparisons to identity checks
        else:
            self._reads.clear()  # topics guessed from keywords depend on it
            self._taxonomy, self._indexed = taxonomy, None
        logos = read_outlet_logos(self.config, diagnostics)
        if logos != self._logos:
            self._logos, self._indexed = logos, None
        known = (self._published, self._recorded) if self._recorded is not None else None
        published, recorded = read_record(self.config, known)  # read, never written: only `digest build` publishes
        if recorded != self._recorded:
            self._published, self._recorded, self._indexed = published, recorded, None
        edited_paths = {str(p) for p in edited} if edited is not None else None
        articles = read_sources(self.config, taxonomy, diagnostics, cache=self._reads, edited=edited_paths,
                                workers=self.workers)
        articles = self._overlay.apply(articles, read_editorial(self.config, diagnostics), diagnostics)
        articles = self._images.plan(articles)
        index = self._index(articles, diagnostics)
        outputs = site_outputs(self.config, index, self._reuse)
        self._reuse.next_build()
        refuse_clashes(outputs)
        rendered = self._render(outputs, index)
        files = {path: made.data for path, made in self._made.items()}
        return Rebuilt(files, tuple(rendered), len(articles), index, diagnostics)

    def _index(self, articles: list[Article], diagnostics: Diagnostics) -> SiteIndex:
        """The last index updated in place when every edit left the articles placed alike; else a new one."""
        edited = _edits(self._indexed.articles, articles) if self._indexed else None
        if edited is None:
            local = Diagnostics()
            index = build_index(self.config, articles, self._taxonomy, local, self.drafts, self._logos,
                                self._published)
            self._indexed = Indexed(articles, index, tuple(local.reported))
        else:
            index = update_index(self._indexed.index, edited) if edited else self._indexed.index
            self._indexed = Indexed(articles, index, self._indexed.diagnostics)
        for diagnostic in self._indexed.diagnostics:
            diagnostics.add(diagnostic)
        return index

    def _render(self, outputs: list[Output], index: SiteIndex) -> list[str]:
        """Render what changed: an output whose inputs and templates are as last time keeps its bytes."""
        stale_templates = self._stale_templates()
        if index.standalone != self._navigation:
            self._made.clear()
            self._navigation = index.standalone
        self.renderer.use(index)
        made, todo = {}, []
        for output in outputs:
            previous = self._made.get(output.path)
            if (previous is not None and previous.inputs == output.inputs
                    and not self._template_uses.get(output.template, {output.template}) & stale_templates):
                made[output.path] = previous
            else:
                todo.append(output)
        rendered = fork_imap(lambda n: self.renderer.render(todo[n]), list(range(len(todo))), self.workers)
        for output, data in zip(todo, rendered, strict=True):
            made[output.path] = Made(output.inputs, data)
        self._made = made
        return [output.path for output in todo]

    def _stale_templates(self) -> set[str]:
        stamps = template_stamps(self.config)
        stale = {name for name in stamps.keys() | self._template_stamps.keys()
                 if stamps.get(name) != self._template_stamps.get(name)}
        self._template_stamps = stamps
        if stale or self._template_uses is None:
            self.renderer.env.cache.clear()  # templates are not re-checked on each use (auto_reload off)
            self._template_uses = template_dependencies(self.renderer.env)
        return stale


def _edits(old: list[Article], new: list[Article]) -> dict[int, Article] | None:
    """id(old article) -> its edited version, when the documents are the same ones and none of them
    moved (see model.placement); None when the index has to be built afresh."""
    if len(old) != len(new):
        return None
    edited = {}
    for before, after in zip(old, new):
        if before is not after:
            if not placed_alike(before, after):
                return None
            edited[id(before)] = after
    return edited
