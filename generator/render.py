"""Render pages with Jinja2. Templates come from the theme, and a site may override any one of them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

from generator import __version__
from generator.config import SiteConfig
from generator.index import Entry, Page, SiteIndex
from generator.urls import Urls


def make_environment(config: SiteConfig, urls: Urls) -> Environment:
    theme = FileSystemLoader(config.theme_dir / "templates")
    loader = ChoiceLoader([
        FileSystemLoader(config.root / "templates"),  # the site's own overrides
        theme,
        PrefixLoader({"!theme": theme}),  # lets an override extend the template it replaces
    ])
    env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(site=config, url=urls.path, absolute_url=urls.absolute, generator_version=__version__)
    env.filters.update(
        iso_date=lambda d: d.astimezone(config.tz).isoformat(),
        human_date=lambda d: _human_date(d.astimezone(config.tz)),
        month_label=lambda d: d.astimezone(config.tz).strftime("%B %Y"),
        rebase=urls.rebase_html,
    )
    return env


def _human_date(moment: datetime) -> str:
    return f"{moment.day} {moment.strftime('%B %Y')}"


class Renderer:
    def __init__(self, config: SiteConfig, urls: Urls, index: SiteIndex, drafts: bool):
        self.env = make_environment(config, urls)
        self.env.globals.update(nav_pages=index.pages, preview_drafts=drafts)

    def page(self, page: Page) -> bytes:
        return self.env.get_template(page.template).render(page.context, page_path=_page_url_path(page.path)).encode()

    def feed_entry(self, entry: Entry) -> str:
        return self.env.get_template("feed_entry.html").render(entry=entry)


def _page_url_path(file_path: str) -> str:
    return file_path.removesuffix("index.html")


def theme_static_files(config: SiteConfig) -> list[tuple[Path, str]]:
    """Static files to copy, as (source, path in the output); the site's own `static/` wins over the theme's."""
    found: dict[str, Path] = {}
    for folder in (config.theme_dir / "static", config.root / "static"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                found["static/" + path.relative_to(folder).as_posix()] = path
    return [(source, target) for target, source in sorted(found.items())]
