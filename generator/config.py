"""Site configuration: `site.yml`. Each option is declared once, below, as a field of SiteConfig with
its type, default, check and one-line documentation; the README's table is generated from them
(`python -m generator.config`) and a test keeps the two equal."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from generator.yamlload import load_typed

CONFIG_NAME = "site.yml"
# A fork published at another repository name needs another base path, without editing site.yml.
ENVIRONMENT_OVERRIDES = {"DIGEST_BASE_PATH": "base_path", "DIGEST_URL": "url"}
BUNDLED_THEMES = Path(__file__).resolve().parent.parent / "themes"
TAG_AUTHORITY = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,},\d{4}(-\d{2}(-\d{2})?)?$")


class ConfigError(Exception):
    pass


# Checks: each takes the value as YAML gave it and returns it normalised, or raises ValueError
# with the end of a sentence that starts with the option's name.

def text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__} {value!r}")
    return value


def whole_number(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, got {value!r}")
    return value


def optional_count(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of at least 0, or left out, got {value!r}")
    return value


def url(value) -> str:
    parts = urlsplit(text(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"must be an absolute http(s) origin such as https://org.github.io, got {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def normalise_base_path(value) -> str:
    parts = [p for p in text(value).strip().split("/") if p]
    if any(p in (".", "..") or not re.fullmatch(r"[A-Za-z0-9._~-]+", p) for p in parts):
        raise ValueError(f"must be a URL path such as /digest/, got {value!r}")
    return "/" + "".join(p + "/" for p in parts)


def timezone(value) -> str:
    try:
        ZoneInfo(text(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"must be an IANA time zone such as Europe/London, got {value!r}") from exc
    return value


def tag_authority(value) -> str:
    if not TAG_AUTHORITY.match(text(value)):
        raise ValueError(f"must be 'domain,YYYY' (a domain you held on that date, RFC 4151), got {value!r}")
    return value


def domain(value) -> str:
    if text(value) and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", value):
        raise ValueError(f"must be a domain name such as digest.example.org, got {value!r}")
    return value


def inside_site(value) -> str:
    """A path inside the site folder, written relative to it: nothing outside is ever read or written."""
    if not text(value).strip() or Path(value).is_absolute() or ".." in Path(value).parts:
        raise ValueError(f"must be a path inside the site folder, got {value!r}")
    return value


def folders_inside_site(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"must be a list of folder names, got {value!r}")
    return tuple(inside_site(v) for v in value)


IMAGE_MODES = ("own", "link", "none")


def yes_or_no(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def image_mode(value) -> str:
    if value not in IMAGE_MODES:
        raise ValueError(f"must be one of {', '.join(IMAGE_MODES)}, got {value!r}")
    return value


def option(default: Any, check: Callable[[Any], Any], doc: str, shown_default: str | None = None):
    """Declare an option of site.yml: its default, the check that normalises a given value, and the
    line the README's table shows for it."""
    return field(default=default, metadata={"check": check, "doc": doc, "default": shown_default})


@dataclass(frozen=True)
class SiteConfig:
    root: Path  # the folder holding site.yml: every other path is relative to it
    title: str = option("AI in Healthcare Digest", text, "shown on every page and in feeds")
    description: str = option("", text, "the site's one-line description, in listings' lede and feeds")
    url: str = option("http://localhost:8000", url,
                      "absolute origin the site is published at, no path (`https://org.github.io`)")
    base_path: str = option("/", normalise_base_path, "URL path the site lives under (`/digest/`)")
    language: str = option("en", text, "`<html lang>` and feed language")
    timezone: str = option("UTC", timezone, "IANA zone; months are grouped and dates shown in it")
    page_size: int = option(20, whole_number, "stories per listing page")
    feed_size: int = option(50, whole_number, "entries in the site's feed")
    topic_feed_size: int = option(20, whole_number, "entries in each topic's and each source's feed")
    edition_size: int = option(10, whole_number, "top stories in each weekly edition")
    minimum_heat: int | None = option(None, optional_count, "a news item with a lower `heat` is left out of "
                                      "editions' top stories (items without `heat` are kept)", shown_default="none")
    theme: str = option("default", inside_site, "folder under `themes/`")
    author: str = option("", text, "the feed-level author Atom requires", shown_default="the title")
    id_authority: str = option("digest.invalid,2026", tag_authority,
                               "`domain,YYYY` for feed ids, see *Feeds and their ids*")
    sources: tuple[str, ...] = option(("seeds", "content"), folders_inside_site,
                                      "folders read for documents, inside the site folder")
    editorial: tuple[str, ...] = option(("content",), folders_inside_site,
                                        "the `sources` folders that hold the editors' own documents: an `id` one "
                                        "of them claims is theirs, and a story one of them tells is shown by it")
    topics_file: str = option("content/topics.yml", inside_site, "the taxonomy, inside the site folder")
    output: str = option("output", inside_site, "where `make build` writes")
    max_file_bytes: int = option(5 * 1024 * 1024, whole_number,
                                 "a larger document is skipped unread, with an error")
    max_field_chars: int = option(20_000, whole_number,
                                  "a longer text field is cut, with a warning (titles are cut at 300)")
    cname: str = option("", domain, "custom domain written to `output/CNAME`")
    subscriptions: str = option("subscriptions.opml", inside_site, "the feeds `digest fetch` reads, as an OPML "
                                "file inside the site folder (any feed reader exports one). See *Fetching*")
    fetch_into: str = option("", lambda v: inside_site(v) if v else "", "the folder `digest fetch` writes new "
                             "stories into; empty: the first of `sources`")
    new_feed_items: int = option(10, whole_number, "how many of its newest entries a subscription gives the "
                                 "first time it is fetched; the rest of its backlog is left out")
    images: str = option("own", image_mode, "`own`: stories show only images from the image store, published "
                         "under `images/` (`digest images` fills it); `link`: hot-link each image from its outlet; "
                         "`none`: no story images. See *Images*")
    image_budget: int = option(200_000_000, whole_number, "bytes of images a build may publish, newest stories "
                               "first; older stories get smaller sizes, then none. See *Images*")
    search: bool = option(True, yes_or_no, "`false`: no search page, no index and no search box. See *Search*",
                          shown_default="`true`")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def theme_dir(self) -> Path:
        """The site's own copy of the theme, else the one shipped with digest."""
        own = self.root / "themes" / self.theme
        return own if own.is_dir() else BUNDLED_THEMES / self.theme

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    @property
    def feed_author(self) -> str:
        return self.author or self.title


OPTIONS = {f.name: f for f in fields(SiteConfig) if f.name != "root"}


def load_config(path: Path, overrides: dict | None = None, environ: dict | None = None) -> SiteConfig:
    """Read `site.yml` (or use defaults when it does not exist) and check every option.
    DIGEST_BASE_PATH and DIGEST_URL in the environment win over the file, `overrides` (the command
    line's flags, by option name) over both; a problem names where the value came from."""
    path = Path(path)
    given = {key: (value, path.name) for key, value in (_read_yaml(path) if path.exists() else {}).items()}
    environ = os.environ if environ is None else environ
    given.update({key: (environ[name], name) for name, key in ENVIRONMENT_OVERRIDES.items() if environ.get(name)})
    given.update({key: (value, "--" + key.replace("_", "-")) for key, value in (overrides or {}).items()
                  if value is not None})
    problems = [f"{origin}: unknown key '{key}'" for key, (_, origin) in given.items() if key not in OPTIONS]
    values = {}
    for key, (value, origin) in given.items():
        if key in OPTIONS:
            try:
                values[key] = OPTIONS[key].metadata["check"](value)
            except ValueError as exc:
                problems.append(f"{origin}: '{key}' {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return replace(SiteConfig(root=path.parent.resolve()), **values)


def _read_yaml(path: Path) -> dict:
    try:
        data = load_typed(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: {getattr(exc, 'problem', None) or exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return data


def options_table() -> str:
    """The README's table of options, from their declarations."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for name, declared in OPTIONS.items():
        default = declared.metadata["default"]
        if default is None:
            value = declared.default
            default = f"`[{', '.join(value)}]`" if isinstance(value, tuple) else f"`{value}`" if value != "" else ""
        rows.append(f"| `{name}` | {default} | {declared.metadata['doc']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(options_table(), end="")
