"""One build: config -> read sources -> index -> render -> write."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.feeds import render_feed
from generator.index import SiteIndex, build_index, html_pages
from generator.output import check_target, write_site
from generator.render import Renderer, theme_static_files
from generator.sources import read_sources, read_taxonomy
from generator.urls import Urls


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

    def summary(self) -> str:
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        warnings = len(self.diagnostics.warnings)
        where = f"into {self.output}" if self.written else "(nothing written)"
        return (f"digest: read {_count(self.read, 'document')}{skipped}, wrote {_count(self.pages, 'page')} and "
                f"{_count(self.feeds, 'feed')} {where}, {_count(warnings, 'warning')}, {self.seconds:.2f} s")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def progress_bar(description: str, show: bool):
    return lambda items: tqdm(items, desc=description, unit=" files", leave=False, disable=not show)


def render_site(config: SiteConfig, index: SiteIndex, drafts: bool, progress=lambda items: items) -> dict[str, bytes]:
    urls = Urls(config.url, config.base_path)
    renderer = Renderer(config, urls, index, drafts)
    files = {page.path: renderer.page(page) for page in progress(html_pages(config, index))}
    for feed in index.feeds:
        files[feed.path] = render_feed(feed, config, urls, renderer.feed_entry)
    files[".nojekyll"] = b""  # GitHub Pages would otherwise drop files and folders starting with "_"
    return files


def build(config: SiteConfig, output: Path | None = None, drafts: bool = False, strict: bool = False,
          show_progress: bool | None = None) -> BuildReport:
    started = time.perf_counter()
    show = sys.stderr.isatty() if show_progress is None else show_progress
    target = Path(output) if output else config.output_dir
    check_target(target, config.root, [config.root / s for s in config.sources])
    diagnostics = Diagnostics()
    taxonomy = read_taxonomy(config, diagnostics)
    articles = read_sources(config, taxonomy, diagnostics, progress_bar("reading", show))
    index = build_index(config, articles, taxonomy, diagnostics, drafts)
    files = render_site(config, index, drafts, progress_bar("rendering", show))
    write = not (strict and diagnostics.items)
    if write:
        write_site(files, theme_static_files(config), target)
    return BuildReport(
        read=len(articles), skipped=len(diagnostics.errors), pages=sum(p.endswith(".html") for p in files),
        feeds=len(index.feeds), diagnostics=diagnostics, seconds=time.perf_counter() - started,
        output=target.resolve(), written=write,
    )
